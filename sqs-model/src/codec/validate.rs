//! Limits from the API description, checked before a request is sent.
//!
//! The checks build no strings while a value is fine: the path to a member is a chain of borrowed
//! segments that is only rendered when a check fails.

use std::fmt;

/// Where a checked value sits inside a request, as a chain of segments.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root(&'static str),
    Field(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    pub(crate) fn field(&'a self, name: &'static str) -> Path<'a> {
        Path::Field(self, name)
    }
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path::Index(self, i)
    }
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
        }
    }
}

/// What is counted by a length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LengthUnit {
    /// Unicode characters of a text.
    Characters,
    /// Bytes.
    Bytes,
    /// Elements of a list or entries of a map.
    Entries,
}

impl fmt::Display for LengthUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LengthUnit::Characters => "characters",
            LengthUnit::Bytes => "bytes",
            LengthUnit::Entries => "entries",
        })
    }
}

/// Which rule a value broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationProblem {
    /// A required value is missing.
    Missing,
    /// Shorter than the minimum.
    TooShort {
        /// The smallest accepted length.
        min: u64,
        /// The value's length.
        actual: u64,
        /// What is counted.
        unit: LengthUnit,
    },
    /// Longer than the maximum.
    TooLong {
        /// The largest accepted length.
        max: u64,
        /// The value's length.
        actual: u64,
        /// What is counted.
        unit: LengthUnit,
    },
    /// A number below the minimum.
    BelowMinimum {
        /// The smallest accepted value.
        min: i64,
        /// The value.
        actual: i64,
    },
    /// A number above the maximum.
    AboveMaximum {
        /// The largest accepted value.
        max: i64,
        /// The value.
        actual: i64,
    },
    /// Text that does not match the required pattern.
    PatternMismatch {
        /// The pattern, as written in the API description.
        pattern: &'static str,
        /// The first character that is not allowed, when one is to blame.
        offending: Option<char>,
    },
    /// Any other rule, explained in words.
    Invalid(String),
}

/// A request value that breaks a documented limit; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: String,
    problem: ValidationProblem,
}

impl ValidationError {
    /// Makes an error for the member at `field` (for example `SendMessageInput.delay_seconds`).
    pub fn new(field: impl Into<String>, problem: ValidationProblem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }
    pub(crate) fn at(path: &Path<'_>, problem: ValidationProblem) -> Self {
        Self::new(path.to_string(), problem)
    }
    /// The member that is wrong, as a path from the request type.
    pub fn field(&self) -> &str {
        &self.field
    }
    /// The rule it broke.
    pub fn problem(&self) -> &ValidationProblem {
        &self.problem
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.problem {
            ValidationProblem::Missing => write!(f, "{field}: a value is required"),
            ValidationProblem::TooShort { min, actual, unit } => {
                write!(
                    f,
                    "{field}: {actual} {unit}, fewer than the minimum of {min}"
                )
            }
            ValidationProblem::TooLong { max, actual, unit } => {
                write!(
                    f,
                    "{field}: {actual} {unit}, more than the maximum of {max}"
                )
            }
            ValidationProblem::BelowMinimum { min, actual } => {
                write!(f, "{field}: {actual} is below the minimum of {min}")
            }
            ValidationProblem::AboveMaximum { max, actual } => {
                write!(f, "{field}: {actual} is above the maximum of {max}")
            }
            ValidationProblem::PatternMismatch {
                pattern,
                offending: Some(c),
            } => write!(
                f,
                "{field}: character {c:?} is not allowed (pattern {pattern})"
            ),
            ValidationProblem::PatternMismatch {
                pattern,
                offending: None,
            } => write!(f, "{field}: does not match the pattern {pattern}"),
            ValidationProblem::Invalid(why) => write!(f, "{field}: {why}"),
        }
    }
}

impl std::error::Error for ValidationError {}

/// Implemented by generated structures that carry limits (directly or in nested members).
pub(crate) trait Validate {
    fn validate_at(&self, path: &Path<'_>) -> Result<(), ValidationError>;
}

/// Checks the length of a text in characters. Counting is skipped when the byte length alone
/// settles it (a character takes one to four bytes).
pub(crate) fn text_length(
    value: &str,
    min: Option<u64>,
    max: Option<u64>,
    path: &Path<'_>,
) -> Result<(), ValidationError> {
    // A text of n bytes holds between ceil(n / 4) and n characters.
    let bytes = value.len() as u64;
    let surely_long_enough = min.is_none_or(|m| bytes.div_ceil(4) >= m);
    let surely_short_enough = max.is_none_or(|m| bytes <= m);
    if surely_long_enough && surely_short_enough {
        return Ok(());
    }
    count(
        value.chars().count(),
        LengthUnit::Characters,
        min,
        max,
        path,
    )
}

/// Checks a count of elements, entries or bytes.
pub(crate) fn count(
    actual: usize,
    unit: LengthUnit,
    min: Option<u64>,
    max: Option<u64>,
    path: &Path<'_>,
) -> Result<(), ValidationError> {
    let actual = actual as u64;
    if let Some(min) = min
        && actual < min
    {
        return Err(ValidationError::at(
            path,
            ValidationProblem::TooShort { min, actual, unit },
        ));
    }
    if let Some(max) = max
        && actual > max
    {
        return Err(ValidationError::at(
            path,
            ValidationProblem::TooLong { max, actual, unit },
        ));
    }
    Ok(())
}

/// Checks a number against a range.
pub(crate) fn range(
    actual: i64,
    min: Option<i64>,
    max: Option<i64>,
    path: &Path<'_>,
) -> Result<(), ValidationError> {
    if let Some(min) = min
        && actual < min
    {
        return Err(ValidationError::at(
            path,
            ValidationProblem::BelowMinimum { min, actual },
        ));
    }
    if let Some(max) = max
        && actual > max
    {
        return Err(ValidationError::at(
            path,
            ValidationProblem::AboveMaximum { max, actual },
        ));
    }
    Ok(())
}

/// Checks a text against a pattern of the form `^[class]+(suffix)?$` that the generator has
/// compiled into `allowed` (the class), `non_empty` (`+` rather than `*`) and an optional literal
/// suffix.
pub(crate) fn pattern(
    value: &str,
    allowed: fn(char) -> bool,
    non_empty: bool,
    optional_suffix: Option<&str>,
    source: &'static str,
    path: &Path<'_>,
) -> Result<(), ValidationError> {
    let stem = optional_suffix
        .and_then(|suffix| value.strip_suffix(suffix))
        .unwrap_or(value);
    if let Some(c) = stem.chars().find(|c| !allowed(*c)) {
        return Err(ValidationError::at(
            path,
            ValidationProblem::PatternMismatch {
                pattern: source,
                offending: Some(c),
            },
        ));
    }
    if non_empty && stem.is_empty() {
        return Err(ValidationError::at(
            path,
            ValidationProblem::PatternMismatch {
                pattern: source,
                offending: None,
            },
        ));
    }
    Ok(())
}
