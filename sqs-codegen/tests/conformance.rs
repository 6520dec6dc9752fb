//! Our API description against the public SQS model (`../shared/reference/sqs-2012-11-05.json`),
//! used as an oracle: the same operations, members (name, target, required), XML names, errors and
//! query codes; and none of its documentation text copied anywhere in the project. The file is
//! not part of the project, so these tests are ignored by default (a fresh clone lists them as
//! ignored, with the reason); `.ci/run` runs them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sqs_codegen::smithy::{Ast, Shape, local_name};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn public_model() -> String {
    let path = root().join("../../shared/reference/sqs-2012-11-05.json");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the public model {} cannot be read: {e}", path.display()))
}

fn ours() -> Ast {
    sqs_codegen::parse(&std::fs::read_to_string(root().join("model/sqs.json")).unwrap()).unwrap()
}

/// The shapes of the service's namespace, by name (the project's own trait definitions live in
/// the `rs.sqs` namespace and have no counterpart in the public model).
fn by_name(ast: &Ast) -> BTreeMap<&str, &Shape> {
    ast.shapes
        .iter()
        .filter(|(id, _)| id.starts_with("com.amazonaws.sqs#"))
        .map(|(id, s)| (local_name(id), s))
        .collect()
}

fn trait_of<'a>(traits: &'a BTreeMap<String, Value>, id: &str) -> Option<&'a Value> {
    traits.get(id)
}

/// What must agree about one shape.
fn signature(shape: &Shape) -> Value {
    let member = |m: &sqs_codegen::smithy::Member| {
        serde_json::json!({
            "target": local_name(&m.target),
            "required": m.traits.contains_key("smithy.api#required"),
            "xmlName": trait_of(&m.traits, "smithy.api#xmlName"),
            "xmlFlattened": m.traits.contains_key("smithy.api#xmlFlattened"),
            "enumValue": trait_of(&m.traits, "smithy.api#enumValue"),
        })
    };
    let members: BTreeMap<&str, Value> = shape
        .members
        .0
        .iter()
        .map(|(n, m)| (n.as_str(), member(m)))
        .collect();
    let mut errors: Vec<&str> = shape.errors.iter().map(|e| local_name(&e.target)).collect();
    errors.sort();
    let mut operations: Vec<&str> = shape
        .operations
        .iter()
        .map(|e| local_name(&e.target))
        .collect();
    operations.sort();
    serde_json::json!({
        "type": shape.kind,
        "members": members,
        "member": shape.member.as_ref().map(member),
        "key": shape.key.as_ref().map(member),
        "value": shape.value.as_ref().map(member),
        "input": shape.input.as_ref().map(|t| local_name(&t.target)),
        "output": shape.output.as_ref().map(|t| local_name(&t.target)),
        "errors": errors,
        "operations": operations,
        "version": shape.version,
        "error": trait_of(&shape.traits, "smithy.api#error"),
        "httpError": trait_of(&shape.traits, "smithy.api#httpError"),
        "awsQueryError": trait_of(&shape.traits, "aws.protocols#awsQueryError"),
        "paginated": trait_of(&shape.traits, "smithy.api#paginated"),
        "default": trait_of(&shape.traits, "smithy.api#default"),
    })
}

#[test]
#[ignore = "needs the public SQS model at ../shared/reference/sqs-2012-11-05.json (.ci/run runs it)"]
fn description_declares_what_the_public_model_declares() {
    let text = public_model();
    let public = sqs_codegen::parse(&text).unwrap();
    let ours = ours();
    let (p, o) = (by_name(&public), by_name(&ours));
    let p_names: BTreeSet<_> = p.keys().collect();
    let o_names: BTreeSet<_> = o.keys().collect();
    assert_eq!(o_names, p_names, "shape names differ");
    let mut differences = Vec::new();
    for (name, shape) in &p {
        let (want, got) = (signature(shape), signature(o[name]));
        if want != got {
            differences.push(format!("{name}:\n  public {want}\n  ours   {got}"));
        }
    }
    assert!(
        differences.is_empty(),
        "{} shapes differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
    let operations = p.values().filter(|s| s.kind == "operation").count();
    assert_eq!(operations, 23);
}

#[test]
#[ignore = "needs the public SQS model at ../shared/reference/sqs-2012-11-05.json (.ci/run runs it)"]
fn the_generator_accepts_the_public_model() {
    let text = public_model();
    let files = sqs_codegen::generate(
        &text,
        &sqs_codegen::Options {
            source: "the public model".into(),
        },
    )
    .unwrap();
    let ops = files.iter().find(|f| f.name == "operations.rs").unwrap();
    assert_eq!(
        ops.contents
            .matches("impl crate::codec::Operation for ")
            .count(),
        23
    );
}

/// Sentences of 70 characters or more from the public model's documentation.
fn public_sentences(text: &str) -> BTreeSet<String> {
    let model: Value = serde_json::from_str(text).unwrap();
    let mut docs = Vec::new();
    fn collect(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if k == "smithy.api#documentation" {
                        if let Some(s) = v.as_str() {
                            out.push(s.to_owned());
                        }
                    } else {
                        collect(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    collect(&model["shapes"], &mut docs);
    let mut sentences = BTreeSet::new();
    for doc in docs {
        let mut plain = String::new();
        let mut in_tag = false;
        for c in doc.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        for sentence in plain.split(". ") {
            if sentence.len() >= 70 {
                sentences.insert(sentence.to_owned());
            }
        }
    }
    sentences
}

fn project_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with('.') && name != ".ci" || name == "target" {
            continue;
        }
        if path.is_dir() {
            project_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
#[ignore = "needs the public SQS model at ../shared/reference/sqs-2012-11-05.json (.ci/run runs it)"]
fn no_project_file_contains_the_public_documentation() {
    let text = public_model();
    let sentences = public_sentences(&text);
    assert!(
        sentences.len() > 100,
        "the oracle should yield many sentences"
    );
    let mut files = Vec::new();
    project_files(&root().join(".."), &mut files);
    assert!(files.len() > 20);
    for file in files {
        let Ok(contents) = std::fs::read_to_string(&file) else {
            continue;
        };
        let flat = contents.split_whitespace().collect::<Vec<_>>().join(" ");
        for s in &sentences {
            assert!(
                !flat.contains(s.as_str()),
                "{} contains public documentation text: {s:?}",
                file.display()
            );
        }
    }
}
