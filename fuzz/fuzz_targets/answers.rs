//! Answers as a client reads them: the first byte picks an operation and a protocol, the rest is
//! the body given to that operation's response decoder, and to both error decoders.
//!
//! `cargo +nightly fuzz run answers` in `fuzz/` (seed it with `tests/fixtures/wire`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_model::wire::{decode_json_error, decode_xml_error, read_answer};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let names = sqs_model::OPERATION_NAMES;
    let name = names[usize::from(pick >> 1) % names.len()];
    let json = pick & 1 == 0;
    assert!(read_answer(name, json, body).is_some());
    let _ = decode_json_error(None, None, body);
    let _ = decode_xml_error(body);
});
