//! Compiles `@pattern` traits into plain Rust, so validation needs no regex engine.
//!
//! Supported: `^[class]+$` or `^[class]*$`, optionally followed by one optional literal group,
//! as in `^[A-Za-z0-9_-]+(\.fifo)?$`. A class holds characters, ranges (`a-z`) and escaped
//! characters (`\-`, `\.`, `\\`, `\]`). Anything else is refused with an error naming the pattern,
//! rather than validated loosely.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// A pattern reduced to what the runtime check needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compiled {
    /// Allowed characters, as inclusive ranges.
    pub(crate) ranges: Vec<(char, char)>,
    /// `+` (at least one character) rather than `*`.
    pub(crate) non_empty: bool,
    /// A literal the value may end with, outside the class.
    pub(crate) optional_suffix: Option<String>,
}

impl Compiled {
    /// A `fn(char) -> bool` closure over the class.
    pub(crate) fn predicate(&self) -> TokenStream {
        let alternatives = self.ranges.iter().map(|&(a, b)| {
            let (la, lb) = (Literal::character(a), Literal::character(b));
            if a == b {
                quote!(#la)
            } else {
                quote!(#la..=#lb)
            }
        });
        quote!(|c: char| matches!(c, #(#alternatives)|*))
    }
}

pub(crate) fn compile(pattern: &str) -> Result<Compiled, String> {
    let unsupported = |why: &str| format!("pattern {pattern:?} is not supported: {why}");
    let body = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .ok_or_else(|| unsupported("it must be anchored with ^ and $"))?;
    let mut chars = body.chars().peekable();
    if chars.next() != Some('[') {
        return Err(unsupported("it must start with a character class"));
    }
    if chars.peek() == Some(&'^') {
        return Err(unsupported("negated classes are not supported"));
    }
    let mut items: Vec<char> = Vec::new();
    let mut escaped: Vec<bool> = Vec::new();
    loop {
        match chars.next() {
            None => return Err(unsupported("the class is not closed")),
            Some(']') => break,
            Some('\\') => {
                let c = chars.next().ok_or_else(|| unsupported("dangling escape"))?;
                if c.is_ascii_alphanumeric() {
                    return Err(unsupported(
                        "class escapes such as \\d or \\w are not supported",
                    ));
                }
                items.push(c);
                escaped.push(true);
            }
            Some(c) => {
                items.push(c);
                escaped.push(false);
            }
        }
    }
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let is_range = i + 2 < items.len() && items[i + 1] == '-' && !escaped[i + 1];
        if is_range {
            let (a, b) = (items[i], items[i + 2]);
            if a > b {
                return Err(unsupported("a range runs backwards"));
            }
            ranges.push((a, b));
            i += 3;
        } else {
            ranges.push((items[i], items[i]));
            i += 1;
        }
    }
    if ranges.is_empty() {
        return Err(unsupported("the class is empty"));
    }
    let non_empty = match chars.next() {
        Some('+') => true,
        Some('*') => false,
        _ => return Err(unsupported("the class must be followed by + or *")),
    };
    let rest: String = chars.collect();
    let optional_suffix = if rest.is_empty() {
        None
    } else {
        let group = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(")?"))
            .ok_or_else(|| unsupported("only one optional literal group may follow the class"))?;
        let mut literal = String::new();
        let mut it = group.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => literal.push(it.next().ok_or_else(|| unsupported("dangling escape"))?),
                '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                    return Err(unsupported("the optional group must be a plain literal"));
                }
                c => literal.push(c),
            }
        }
        Some(literal)
    };
    Ok(Compiled {
        ranges,
        non_empty,
        optional_suffix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_name_pattern() {
        let c = compile(r"^[A-Za-z0-9_-]+(\.fifo)?$").unwrap();
        assert_eq!(
            c.ranges,
            vec![('A', 'Z'), ('a', 'z'), ('0', '9'), ('_', '_'), ('-', '-')]
        );
        assert!(c.non_empty);
        assert_eq!(c.optional_suffix.as_deref(), Some(".fifo"));
    }

    #[test]
    fn printable_ascii_range_and_escapes() {
        let c = compile("^[!-~]*$").unwrap();
        assert_eq!(c.ranges, vec![('!', '~')]);
        assert!(!c.non_empty);
        let c = compile(r"^[a\-z.]+$").unwrap();
        assert_eq!(
            c.ranges,
            vec![('a', 'a'), ('-', '-'), ('z', 'z'), ('.', '.')]
        );
    }

    #[test]
    fn unsupported_patterns_are_refused() {
        for p in [
            "[a-z]+",
            "^[^a]+$",
            r"^[\d]+$",
            "^[a-z]{1,3}$",
            "^[a-z]+(x|y)?$",
            "^(a)$",
        ] {
            assert!(compile(p).is_err(), "{p} should be refused");
        }
    }
}
