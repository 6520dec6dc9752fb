//! Our MD5 against the `md-5` crate, through the public API that uses it: one body at a time
//! (`checks::md5_hex`) and up to twelve received messages at once (`checks::verify_messages`,
//! which hashes them side by side). The first byte picks how many bodies the rest is cut into.
//!
//! `cargo +nightly fuzz run md5` in `sqs-model/fuzz`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use md5::Digest as _;
use sqs_model::checks::{md5_hex, verify_messages};
use sqs_model::types::Message;

fn theirs(bytes: &[u8]) -> String {
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(first % 12) + 1;
    let size = rest.len() / count + 1;
    let bodies: Vec<String> = rest
        .chunks(size)
        .map(|piece| String::from_utf8_lossy(piece).into_owned())
        .collect();
    let messages: Vec<Message> = bodies
        .iter()
        .map(|body| {
            assert_eq!(md5_hex(body.as_bytes()), theirs(body.as_bytes()));
            Message::builder()
                .body(body.as_str())
                .md5_of_body(theirs(body.as_bytes()))
                .build()
        })
        .collect();
    for verdict in verify_messages(&messages) {
        assert!(verdict.is_ok(), "{verdict:?}");
    }
});
