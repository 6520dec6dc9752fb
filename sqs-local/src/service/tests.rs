//! Unit tests of the service state.

use super::queues::*;
use super::state::*;

#[test]
fn pages_follow_on_from_their_token() {
    let names = || ["a", "b", "c"].into_iter().map(str::to_owned);
    let (first, token) = paginate(names(), Some(2), None).unwrap();
    assert_eq!(first, ["a", "b"]);
    let (second, none) = paginate(names(), Some(2), token.as_deref()).unwrap();
    assert_eq!(second, ["c"]);
    assert_eq!(none, None);
    let (all, none) = paginate(names(), None, None).unwrap();
    assert_eq!((all.len(), none), (3, None));
    assert!(paginate(names(), Some(0), None).is_err());
    assert!(paginate(names(), Some(1), Some("zz")).is_err());
}

#[test]
fn queue_urls_name_their_queue() {
    let s = Service::new(
        "http://127.0.0.1:1".into(),
        "us-east-1".into(),
        "000000000000".into(),
    );
    assert_eq!(
        s.name_from_url("http://localhost:9/000000000000/q1")
            .unwrap(),
        "q1"
    );
    assert_eq!(s.name_from_url("q2").unwrap(), "q2");
    assert!(s.name_from_url("http://h/111111111111/q").is_err());
    assert!(s.name_from_url("http://h/").is_err());
}
