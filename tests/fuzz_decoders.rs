//! A bounded fuzz run of every decoder that reads network data, on stable Rust in every test
//! run: the captured wire examples (tests/fixtures/wire), mutated at random (bytes flipped,
//! inserted, deleted, cut, spliced from another example), fed to the response decoders of every
//! operation in both protocols, both error decoders, the request decoders of every operation
//! (JSON bodies, and forms), the extended client's pointer and receipt-handle readers. None may
//! panic; each must answer. The seed is printed, and SQS_FUZZ_SEED replays a run;
//! SQS_FUZZ_ROUNDS makes it longer. (`cargo fuzz` targets of the same decoders are in
//! sqs-model/fuzz, for nightly.)

use std::path::Path;

use sqs_extended::PayloadLocation;
use sqs_model::server::{Form, RequestBody, read_request};
use sqs_model::wire::{decode_json_error, decode_xml_error, read_answer};

/// The captured examples and a few shapes of our own (a pointer, wrapped receipt handles).
fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wire");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    let location = PayloadLocation {
        bucket: "bucket".into(),
        key: "prefix/0b6cd1a2-6d37-4c5b-9b0e-3d2c7c0e4f11".into(),
    };
    seeds.push(location.to_pointer().into_bytes());
    seeds.push(location.wrap_handle("AQEB+handle==").into_bytes());
    seeds.sort();
    seeds
}

/// One random change to `data` (which may come out empty or larger).
fn mutate(rng: &mut fastrand::Rng, data: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    const INTERESTING: &[&[u8]] = &[
        b"\0",
        b"\xff",
        b"\xc0\x80",
        b"\\u0000",
        b"\\ud800",
        b"&#0;",
        b"&#x1F;",
        b"<",
        b">",
        b"</",
        b"<![CDATA[",
        b"]]>",
        b"&amp",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\"",
        b"%",
        b"%zz",
        b"%ff",
        b"=",
        b"&",
        b"-..s3Key..-",
        b"-..s3BucketName..-",
        b"99999999999999999999",
        b"-1",
        b"1e999",
        b"null",
        b"true",
    ];
    match rng.u8(0..6) {
        0 if !data.is_empty() => {
            let at = rng.usize(..data.len());
            data[at] ^= 1 << rng.u8(0..8);
        }
        1 => {
            let at = rng.usize(..=data.len());
            let piece = INTERESTING[rng.usize(..INTERESTING.len())];
            data.splice(at..at, piece.iter().copied());
        }
        2 if !data.is_empty() => {
            let start = rng.usize(..data.len());
            let end = (start + rng.usize(1..64)).min(data.len());
            data.drain(start..end);
        }
        3 => data.truncate(rng.usize(..=data.len())),
        4 => {
            // A piece of another example spliced in.
            let other = &seeds[rng.usize(..seeds.len())];
            if !other.is_empty() {
                let start = rng.usize(..other.len());
                let end = (start + rng.usize(1..256)).min(other.len());
                let at = rng.usize(..=data.len());
                data.splice(at..at, other[start..end].iter().copied());
            }
        }
        _ => {
            // A run repeated: deep nesting, long values.
            if !data.is_empty() {
                let start = rng.usize(..data.len());
                let end = (start + rng.usize(1..8)).min(data.len());
                let run = data[start..end].to_vec();
                for _ in 0..rng.usize(1..200) {
                    data.splice(start..start, run.iter().copied());
                }
            }
        }
    }
}

/// Every decoder on `data`; none may panic.
fn decode_all(data: &[u8]) -> usize {
    let mut answered = 0;
    for name in sqs_model::OPERATION_NAMES {
        for json in [true, false] {
            answered += usize::from(read_answer(name, json, data).is_some());
        }
        answered += usize::from(read_request(name, RequestBody::Json(data)).is_some());
        if let Ok(form) = Form::parse(data) {
            answered += usize::from(read_request(name, RequestBody::Query(&form)).is_some());
        }
    }
    let _ = decode_json_error(None, None, data);
    let _ = decode_xml_error(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PayloadLocation::from_pointer(text);
        let _ = PayloadLocation::unwrap_handle(text);
    }
    answered
}

#[test]
fn no_decoder_panics_on_mutated_wire_data() {
    let seed = std::env::var("SQS_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let rounds: usize = std::env::var("SQS_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    println!("fuzz seed {seed} (SQS_FUZZ_SEED={seed} replays it), {rounds} rounds");
    let mut rng = fastrand::Rng::with_seed(seed);
    let seeds = seeds();
    assert!(seeds.len() > 40, "the wire examples are missing");
    let mut executions = 0;
    for round in 0..rounds {
        let mut data = seeds[round % seeds.len()].clone();
        for _ in 0..rng.usize(1..8) {
            mutate(&mut rng, &mut data, &seeds);
        }
        data.truncate(1 << 20);
        let answered = decode_all(&data);
        // Every operation name has its decoders.
        assert!(answered >= sqs_model::OPERATION_NAMES.len() * 3);
        executions += 1;
    }
    println!("{executions} mutated inputs, each through every decoder: no panic");
}
