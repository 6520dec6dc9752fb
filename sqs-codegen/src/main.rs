//! `cargo run -p sqs-codegen [MODEL] [OUT_DIR]`: regenerates the models of sqs-client.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args_os().skip(1);
    let model = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("model/sqs.json"));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../sqs-client/src/generated"));
    let run = || -> Result<Vec<PathBuf>, sqs_codegen::Error> {
        let text = std::fs::read_to_string(&model)
            .map_err(|e| sqs_codegen::Error::Io(model.clone(), e))?;
        let files = sqs_codegen::generate(&text, &sqs_codegen::Options::default())?;
        sqs_codegen::write_if_changed(&out, &files)
    };
    match run() {
        Ok(changed) if changed.is_empty() => {
            println!("sqs-codegen: {} is up to date", out.display());
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
