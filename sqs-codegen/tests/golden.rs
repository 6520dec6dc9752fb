//! Golden files: small models, one per family of shape kinds and traits, and the exact code the
//! generator makes from them. `SQS_CODEGEN_BLESS=1 cargo test -p sqs-codegen --test golden`
//! rewrites the expected files after a deliberate change. That the expected code compiles and
//! behaves is checked by the `compile_generated` test.

use std::path::PathBuf;

fn check(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden");
    let model = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    let options = sqs_codegen::Options {
        source: format!("tests/fixtures/golden/{name}.json"),
    };
    let files = sqs_codegen::generate(&model, &options).unwrap();
    let out = dir.join(name);
    if std::env::var_os("SQS_CODEGEN_BLESS").is_some() {
        sqs_codegen::write_if_changed(&out, &files).unwrap();
        return;
    }
    for f in &files {
        let expected = std::fs::read_to_string(out.join(&f.name))
            .unwrap_or_else(|e| panic!("{name}/{}: {e} (bless to create it)", f.name));
        assert!(
            expected == f.contents,
            "{name}/{} differs from the golden file",
            f.name
        );
    }
}

#[test]
fn scalars_enums_errors_and_constraints() {
    check("scalars");
}

#[test]
fn lists_maps_nesting_pagination_and_unit_operations() {
    check("collections");
}

#[test]
fn unsupported_models_are_refused_with_the_shape_named() {
    let cases = [
        (r#"{"smithy":"2.0","shapes":{}}"#, "exactly one service"),
        (r#"{"smithy":"1.0","shapes":{}}"#, "version"),
        (
            r#"{"smithy":"2.0","shapes":{"a#S":{"type":"service","operations":[{"target":"a#Op"}]},
               "a#Op":{"type":"operation","input":{"target":"a#In"}},
               "a#In":{"type":"structure","members":{"When":{"target":"smithy.api#Timestamp"}}}}}"#,
            "a#In$When",
        ),
        (
            r#"{"smithy":"2.0","shapes":{"a#S":{"type":"service","operations":[{"target":"a#Op"}]},
               "a#Op":{"type":"operation","input":{"target":"a#In"}},
               "a#In":{"type":"structure","members":{"N":{"target":"smithy.api#String","traits":{"smithy.api#pattern":"^\\d+$"}}}}}}"#,
            "In$N",
        ),
        (
            r#"{"smithy":"2.0","shapes":{"a#S":{"type":"service","operations":[{"target":"a#Op"}]},
               "a#Op":{"type":"operation","input":{"target":"a#Missing"}}}}"#,
            "a#Missing",
        ),
        // The project's traits: a hook that is no function name, a long poll on no member.
        (
            r#"{"smithy":"2.0","shapes":{"a#S":{"type":"service","operations":[{"target":"a#Op"}]},
               "a#Op":{"type":"operation","traits":{"rs.sqs#clientHooks":{"check":"1st"}}}}}"#,
            "a#Op: @clientHooks check must name a function",
        ),
        (
            r#"{"smithy":"2.0","shapes":{"a#S":{"type":"service","operations":[{"target":"a#Op"}]},
               "a#Op":{"type":"operation","input":{"target":"a#In"},"traits":{"rs.sqs#longPoll":{"waitMember":"Wait","whenAbsent":20}}},
               "a#In":{"type":"structure","members":{"N":{"target":"smithy.api#String"}}}}}"#,
            "@longPoll names Wait",
        ),
        ("not json", "Smithy JSON AST"),
    ];
    for (model, needle) in cases {
        let err = sqs_codegen::generate(model, &sqs_codegen::Options::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }
}
