//! `cargo run -p sqs-codegen [MODEL] [WORKSPACE]`: regenerates the models of sqs-model and the
//! per-operation tables of the crates built on it.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("model/sqs.json"));
    let workspace = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".."));
    let run = || -> Result<Vec<PathBuf>, sqs_codegen::Error> {
        let text = std::fs::read_to_string(&model)
            .map_err(|e| sqs_codegen::Error::Io(model.clone(), e))?;
        let mut changed = Vec::new();
        for output in sqs_codegen::generate_workspace(&text, &sqs_codegen::Options::default())? {
            changed.extend(sqs_codegen::write_if_changed(
                &workspace.join(output.dir),
                &output.files,
            )?);
        }
        Ok(changed)
    };
    match run() {
        Ok(changed) if changed.is_empty() => {
            println!("sqs-codegen: the generated code is up to date");
            ExitCode::SUCCESS
        }
        Ok(changed) => {
            for path in changed {
                println!("sqs-codegen: wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sqs-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}
