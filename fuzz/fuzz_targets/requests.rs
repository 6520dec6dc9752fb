//! Requests as a service reads them: the first byte picks an operation and a protocol, the rest
//! is a JSON body or a form (parsed first, as sqs-local parses it) for that operation's request
//! decoder.
//!
//! `cargo +nightly fuzz run requests` in `fuzz/` (seed it with `tests/fixtures/wire`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_model::server::{Form, RequestBody, read_request};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let names = sqs_model::OPERATION_NAMES;
    let name = names[usize::from(pick >> 1) % names.len()];
    if pick & 1 == 0 {
        assert!(read_request(name, RequestBody::Json(body)).is_some());
    } else if let Ok(form) = Form::parse(body) {
        assert!(read_request(name, RequestBody::Query(&form)).is_some());
    }
});
