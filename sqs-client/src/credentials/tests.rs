//! Unit tests of credentials and the shared files.

use super::files::*;
use super::identity::*;

#[test]
fn debug_never_shows_secrets() {
    let c = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
        .with_session_token("FwoGZXIvYXdzEXAMPLETOKEN");
    let shown = format!("{c:?}");
    assert!(shown.contains("AKIDEXAMPLE"));
    assert!(
        !shown.contains("wJalrXUtnFEMI") && !shown.contains("FwoGZXIvYXdz"),
        "{shown}"
    );
}

#[test]
fn environment_needs_both_keys() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let c = from_environment_with(env(&[
        ("AWS_ACCESS_KEY_ID", "id"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_SESSION_TOKEN", "t"),
    ]))
    .unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("id", "s", Some("t"))
    );
    let e = from_environment_with(env(&[("AWS_ACCESS_KEY_ID", "id")])).unwrap_err();
    assert!(
        e.to_string().contains("AWS_SECRET_ACCESS_KEY is not"),
        "{e}"
    );
}

#[test]
fn profiles_from_both_files() {
    let mut f = SharedFiles::default();
    f.parse("[default]\naws_access_key_id = A\naws_secret_access_key = B\n[dev]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=E\n", false);
    f.parse("[default]\nregion = eu-west-1\n[profile dev]\nregion=us-west-2\n[sso-session x]\nregion=nowhere\n", true);
    assert_eq!(f.credentials("default").unwrap().access_key_id(), "A");
    assert_eq!(f.credentials("dev").unwrap().session_token(), Some("E"));
    assert_eq!(f.get("dev", "region"), Some("us-west-2"));
    assert_eq!(f.get("default", "region"), Some("eu-west-1"));
    assert!(
        f.credentials("missing")
            .unwrap_err()
            .to_string()
            .contains("no profile named")
    );
}
