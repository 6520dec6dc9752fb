//! What the extended client reads from a received message: a body that may be a pointer to an
//! offloaded payload, and a receipt handle that may carry one. A pointer that reads must write
//! back to one that reads the same; a handle that unwraps must wrap back to itself.
//!
//! `cargo +nightly fuzz run pointers` in `fuzz/`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sqs_extended::PayloadLocation;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(location) = PayloadLocation::from_pointer(text) {
        let again = PayloadLocation::from_pointer(&location.to_pointer());
        assert_eq!(again.as_ref(), Ok(&location));
    }
    if let (Some(location), inner) = PayloadLocation::unwrap_handle(text) {
        assert_eq!(location.wrap_handle(inner), text);
    }
});
