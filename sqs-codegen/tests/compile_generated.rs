//! Code generated from other models must compile against sqs-model's codec module and behave:
//! the golden models, and (an ignored test, which `.ci/run` runs) the public SQS model. A scratch
//! crate is written under the target directory and built (and its tests run) with the
//! workspace's lock file, offline.

use std::path::{Path, PathBuf};
use std::process::Command;

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap();
    }
}

fn generate_into(dir: &Path, model: &str, source: &str) {
    let files = sqs_codegen::generate(
        model,
        &sqs_codegen::Options {
            source: source.into(),
        },
    )
    .unwrap();
    sqs_codegen::write_if_changed(dir, &files).unwrap();
}

#[test]
fn generated_code_compiles_and_behaves() {
    build_and_test("generated-check", None);
}

#[test]
#[ignore = "needs the public SQS model at ../shared/reference/sqs-2012-11-05.json (.ci/run runs it)"]
fn code_generated_from_the_public_model_compiles() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/sqs-2012-11-05.json");
    let model = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the public model {} cannot be read: {e}", path.display()));
    build_and_test("generated-check-public", Some(model));
}

/// Generates the golden models (and `public`, when given) into a scratch crate named `name`,
/// builds it and runs the behaviour tests.
fn build_and_test(name: &str, public: Option<String>) {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = here.parent().unwrap();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let src = scratch.join("src");

    let mut modules = vec!["scalars", "collections"];
    for name in ["scalars", "collections"] {
        let model =
            std::fs::read_to_string(here.join(format!("tests/fixtures/golden/{name}.json")))
                .unwrap();
        generate_into(&src.join(name), &model, name);
    }
    if let Some(model) = public {
        generate_into(&src.join("public"), &model, "the public SQS model");
        modules.push("public");
    }
    let codec = workspace.join("sqs-model/src/codec/mod.rs");
    let mods: String = modules.iter().map(|m| format!("mod {m};\n")).collect();
    write(
        &src.join("lib.rs"),
        &format!(
            "#![allow(dead_code, unused_imports, unreachable_pub, missing_docs)]\n#[path = {:?}]\nmod codec;\n{mods}#[cfg(test)]\nmod behaviour;\n",
            codec.display().to_string()
        ),
    );
    write(
        &src.join("behaviour.rs"),
        &std::fs::read_to_string(here.join("tests/fixtures/compile/behaviour.rs")).unwrap(),
    );
    write(
        &scratch.join("Cargo.toml"),
        &format!(
            r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
serde = {{ version = "1", default-features = false, features = ["std", "derive"] }}
serde_json = {{ version = "1", default-features = false, features = ["std"] }}
quick-xml = {{ version = "0.41", default-features = false }}
base64 = {{ version = "0.22", default-features = false, features = ["std"] }}
form_urlencoded = "1"
percent-encoding = {{ version = "2.3", default-features = false, features = ["std"] }}

[features]
default = ["server"]
server = []

[workspace]
"#
        ),
    );
    write(
        &scratch.join("Cargo.lock"),
        &std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap(),
    );

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--offline", "--quiet", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .args(["--lib", "behaviour::"])
        // One target directory for both scratch crates: the dependencies are built once.
        .env(
            "CARGO_TARGET_DIR",
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("generated-check-target"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the generated code failed to build or its tests failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("8 passed"),
        "the behaviour tests did not all run:\n{stdout}"
    );
}
