//! Generates the typed Rust models of `sqs-model`, and the per-operation tables of the crates
//! built on it, from a Smithy IDL 2.0 JSON AST.
//!
//! # Quick start
//!
//! `cargo run -p sqs-codegen` reads `sqs-codegen/model/sqs.json` (the project's own API
//! description) and rewrites every generated folder of the workspace, touching only files whose
//! contents changed: `sqs-model/src/generated/` (the models, both sides of both protocols, the
//! service's dispatch), `sqs-client/src/generated/` (the fluent builders) and
//! `sqs-extended/src/generated/` (the extended client's entry points). From code:
//!
//! ```no_run
//! let model = std::fs::read_to_string("sqs-codegen/model/sqs.json")?;
//! let options = sqs_codegen::Options::default();
//! for output in sqs_codegen::generate_workspace(&model, &options)? {
//!     sqs_codegen::write_if_changed(output.dir.as_ref(), &output.files)?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Pipeline
//!
//! 1. [`smithy`]: the JSON AST read with serde, member order kept.
//! 2. [`ir`]: shapes resolved into Rust names and types; constraint traits merged.
//! 3. `emit`: code built with `quote!`, formatted with `prettyplease`, in a deterministic order.
//!
//! Generated for each operation: `*Input` / `*Output` structures with serde (AWS JSON 1.0),
//! AWS Query serialization, XML decoding, `validate()` from `@length`, `@range` and `@pattern`,
//! the service side of both protocols, and a sealed `Operation` implementation with the hooks
//! the description names (`@readonly` / `@idempotent`, and the project's traits
//! `rs.sqs#clientHooks`, `rs.sqs#longPoll`); for each enum an `Unknown(String)` variant; one
//! `ErrorCode` enum for every modeled error; the tables of every operation: the service's
//! `Handler` trait and `dispatch`, `OPERATION_NAMES`, the client's fluent builders, and the
//! extended client's entry points and pass-through operations (those without
//! `rs.sqs#carriesMessages`). The code relies on the `codec` module of `sqs-model`.
//!
//! # Errors
//!
//! A model that uses something the generator does not support (a union, a timestamp, a pattern
//! outside the supported subset, ...) is refused with an [`Error`] naming the shape.

use std::fmt;
use std::path::{Path, PathBuf};

pub mod ir;
pub mod smithy;

mod emit;

pub use emit::Options;

/// A generated source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name, relative to the output folder.
    pub name: String,
    /// Full contents.
    pub contents: String,
}

/// Why generation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The model is not valid JSON or not a Smithy JSON AST.
    Parse(serde_json::Error),
    /// The model uses something the generator does not support, or is inconsistent.
    Model(String),
    /// The emitted code did not parse as Rust (a generator bug).
    Emit(String),
    /// Reading or writing files failed.
    Io(PathBuf, std::io::Error),
}

impl Error {
    pub(crate) fn model(message: impl Into<String>) -> Self {
        Error::Model(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "the model is not a Smithy JSON AST: {e}"),
            Error::Model(m) => write!(f, "unsupported or inconsistent model: {m}"),
            Error::Emit(m) => write!(f, "generated code does not parse (generator bug): {m}"),
            Error::Io(path, e) => write!(f, "{}: {e}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Parse(e) => Some(e),
            Error::Io(_, e) => Some(e),
            _ => None,
        }
    }
}

/// Parses a Smithy JSON AST.
pub fn parse(model: &str) -> Result<smithy::Ast, Error> {
    serde_json::from_str(model).map_err(Error::Parse)
}

/// Generates the model files for a Smithy JSON AST holding one service.
pub fn generate(model: &str, options: &Options) -> Result<Vec<GeneratedFile>, Error> {
    let ast = parse(model)?;
    let service = ir::resolve(&ast)?;
    emit::emit(&service, options)
}

/// Generated files and the folder they go to, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The folder, relative to the workspace root (`sqs-model/src/generated`).
    pub dir: &'static str,
    /// The files of that folder; the folder holds no other `.rs` file.
    pub files: Vec<GeneratedFile>,
}

/// Generates every generated folder of the workspace: the models and codecs of `sqs-model`
/// and the per-operation tables of the crates built on it.
pub fn generate_workspace(model: &str, options: &Options) -> Result<Vec<Output>, Error> {
    let ast = parse(model)?;
    let service = ir::resolve(&ast)?;
    Ok(vec![
        Output {
            dir: "sqs-model/src/generated",
            files: emit::emit(&service, options)?,
        },
        Output {
            dir: "sqs-client/src/generated",
            files: emit::client_layer(&service, options)?,
        },
        Output {
            dir: "sqs-extended/src/generated",
            files: emit::extended_layer(&service, options)?,
        },
    ])
}

/// Writes the files into `dir`, skipping those whose contents are already the same, and deletes
/// `.rs` files there that the generator no longer produces. Returns the paths that changed.
pub fn write_if_changed(dir: &Path, files: &[GeneratedFile]) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
    let mut changed = Vec::new();
    for file in files {
        let path = dir.join(&file.name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(file.contents.as_str()) {
            std::fs::write(&path, &file.contents).map_err(|e| Error::Io(path.clone(), e))?;
            changed.push(path);
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io(dir.to_owned(), e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::Io(dir.to_owned(), e))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".rs") && !files.iter().any(|f| f.name == name) {
            std::fs::remove_file(&path).map_err(|e| Error::Io(path.clone(), e))?;
            changed.push(path);
        }
    }
    Ok(changed)
}
