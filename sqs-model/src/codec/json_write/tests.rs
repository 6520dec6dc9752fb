//! Unit tests of `json_write`.

use std::collections::{BTreeMap, HashMap};

use super::*;

/// Ours and serde_json's bytes, which must be the same.
fn both<T: Serialize>(value: &T) -> (String, String) {
    let ours = String::from_utf8(to_vec(value).unwrap()).unwrap();
    let theirs = serde_json::to_string(value).unwrap();
    (ours, theirs)
}

#[track_caller]
fn same<T: Serialize>(value: &T) {
    let (ours, theirs) = both(value);
    assert_eq!(ours, theirs);
}

#[test]
fn text_is_escaped_as_serde_json_escapes_it() {
    // Every ASCII character, alone and in a run.
    for b in 0u8..0x80 {
        let c = char::from(b);
        same(&c.to_string());
        same(&format!("ab{c}cd"));
    }
    // Escapes at block edges (31, 32, 63, 64) and in the tail, among multi-byte characters.
    for at in [0, 1, 30, 31, 32, 33, 63, 64, 65, 99] {
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1f}", "\t\r"] {
            let mut text: String = "é€𝄞x".repeat(12);
            let at = (0..=at.min(text.len()))
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap();
            text.insert_str(at, special);
            same(&text);
        }
    }
    same(&"\u{2028}\u{2029}\u{7f}\u{feff}".to_string());
    same(&"x".repeat(1024));
    same(&String::new());
    assert_eq!(
        String::from_utf8(to_vec("a\"b\\c\u{8}\u{c}\n\r\t\u{0}").unwrap()).unwrap(),
        r#""a\"b\\c\b\f\n\r\t\u0000""#
    );
}

#[derive(Serialize)]
struct Unit;

#[derive(Serialize)]
struct Pair(i8, u16);

#[derive(Serialize)]
struct Wrapped(u64);

#[derive(Serialize)]
enum Shape {
    Empty,
    Wrapped(i64),
    Pair(u8, bool),
    Named { x: i32, label: String },
}

#[derive(Serialize)]
struct Everything {
    unit: Unit,
    pair: Pair,
    wrapped: Wrapped,
    shapes: Vec<Shape>,
    tuple: (char, &'static str),
    none: Option<u8>,
    some: Option<Option<bool>>,
    bytes: serde_bytes_like::Bytes,
    floats: Vec<f64>,
    small_floats: Vec<f32>,
    by_number: BTreeMap<i64, bool>,
    by_flag: BTreeMap<bool, ()>,
    by_char: BTreeMap<char, u32>,
    nested: Vec<Vec<HashMap<String, Vec<u8>>>>,
}

/// A byte string serialized with `serialize_bytes` (what `serde_bytes` does).
mod serde_bytes_like {
    pub(super) struct Bytes(pub(super) Vec<u8>);
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }
}

/// A value of every serde form, with `text` in two of its strings.
fn everything(text: &str) -> Everything {
    Everything {
        unit: Unit,
        pair: Pair(-128, 65535),
        wrapped: Wrapped(u64::MAX),
        shapes: vec![
            Shape::Empty,
            Shape::Wrapped(i64::MIN),
            Shape::Pair(7, false),
            Shape::Named {
                x: -1,
                label: text.into(),
            },
        ],
        tuple: ('k', "t"),
        none: None,
        some: Some(None),
        bytes: serde_bytes_like::Bytes(vec![0, 1, 255]),
        // Values whose shortest forms need no exponent, where Rust and serde_json agree.
        floats: vec![0.0, -0.0, 1.5, -2.0, 0.1, 123456.789, 1e15],
        small_floats: vec![0.1, 3.0, -7.25],
        by_number: [(-3, true), (0, false), (42, true)].into(),
        by_flag: [(true, ()), (false, ())].into(),
        by_char: [('k', 1)].into(),
        nested: vec![vec![], vec![HashMap::from([(text.to_owned(), vec![1, 2])])]],
    }
}

#[test]
fn every_serde_form_is_written_as_serde_json_writes_it() {
    same(&everything("\"q\\"));
    same(&everything("plain"));
    same(&Vec::<Shape>::new());
    same(&HashMap::<String, String>::new());
}

#[test]
fn what_json_cannot_say_is_an_error() {
    let err = to_vec(&f64::NAN).unwrap_err();
    assert!(err.to_string().contains("finite"), "{err}");
    assert!(to_vec(&vec![f32::INFINITY]).is_err());
    let by_list: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
    let err = to_vec(&by_list).unwrap_err();
    assert!(err.to_string().contains("map key"), "{err}");
    // Very large and very small numbers keep their value, written without an exponent.
    let big: f64 = String::from_utf8(to_vec(&1e300).unwrap())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(big, 1e300);
    assert_eq!(to_vec(&1e-7).unwrap(), b"0.0000001");
}

#[test]
fn the_buffer_is_allocated_once_at_its_size() {
    // Without escapes the first pass counts every byte the second writes.
    let plain = to_vec(&everything("plain")).unwrap();
    assert_eq!(plain.capacity(), plain.len());
    let body = "x".repeat(10 * 1024);
    let batch = to_vec(&vec![body.as_str(); 10]).unwrap();
    assert_eq!(batch.capacity(), batch.len());
    // Escapes make the text longer than counted; the buffer grows and the text is whole.
    same(&everything(&"\"\n".repeat(100)));
}
