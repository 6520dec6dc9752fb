//! A compact JSON writer for request bodies, as a serde `Serializer`.
//!
//! It writes exactly what `serde_json::to_vec` writes for the shapes our models have (tests
//! compare the two, here on every serde form and in `request_json_tests` on the requests), but
//! copies runs of text that need no escaping in bulk: a message body is
//! screened 32 bytes at a time instead of one table lookup per byte, which is most of the cost
//! of encoding a SendMessage.

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::values::EncodeError;

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError::new(msg.to_string())
    }
}

/// Serializes `value` as compact JSON. A first pass counts the bytes, so that the buffer is
/// allocated once at its size (a batch of ten 1 KiB bodies otherwise grows it four times, each
/// time copying what was written).
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, EncodeError> {
    let mut count = Count(0);
    value.serialize(Writer { out: &mut count })?;
    let mut out = Vec::with_capacity(count.0);
    value.serialize(Writer { out: &mut out })?;
    Ok(out)
}

/// Where the writer puts its JSON.
trait Sink {
    fn push(&mut self, b: u8);
    fn extend_from_slice(&mut self, bytes: &[u8]);
    /// `text` as a JSON string.
    fn string(&mut self, text: &str);
}

impl Sink for Vec<u8> {
    fn push(&mut self, b: u8) {
        Vec::push(self, b);
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }
    fn string(&mut self, text: &str) {
        write_str(self, text);
    }
}

/// Only the number of bytes, strings counted without escapes (text that needs escaping grows
/// the buffer as it is written).
struct Count(usize);

impl Sink for Count {
    fn push(&mut self, _: u8) {
        self.0 += 1;
    }
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
    fn string(&mut self, text: &str) {
        self.0 += text.len() + 2;
    }
}

/// Whether `b` must be escaped inside a JSON string.
fn needs_escape(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// Appends `text` as a JSON string (the escapes serde_json uses: the short forms for `"`, `\`,
/// backspace, form feed, LF, CR and tab, `\u00XX` for other control characters).
fn write_str(out: &mut Vec<u8>, text: &str) {
    // Not `auth::HEX_DIGITS`: the codec is also built alone, by the codegen's compile test.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    for (n, block) in bytes.chunks(32).enumerate() {
        // Branch-free screening of the whole block (vectorized); most blocks need nothing.
        if !block.iter().fold(false, |acc, &b| acc | needs_escape(b)) {
            continue;
        }
        for (j, &b) in block.iter().enumerate() {
            if !needs_escape(b) {
                continue;
            }
            let i = n * 32 + j;
            out.extend_from_slice(&bytes[run_start..i]);
            run_start = i + 1;
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                _ => out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ]),
            }
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// Appends the decimal form of an integer.
fn write_u64(out: &mut impl Sink, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn write_i64(out: &mut impl Sink, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    write_u64(out, value.unsigned_abs());
}

/// Appends a number given as Rust prints it: the shortest form that reads back as the same value,
/// never with an exponent (valid JSON; serde_json would write `1e300` where this writes all the
/// digits).
fn write_float(out: &mut impl Sink, finite: bool, text: String) -> Result<(), EncodeError> {
    if !finite {
        return Err(EncodeError::new(format!(
            "{text} has no JSON form (numbers must be finite)"
        )));
    }
    out.extend_from_slice(text.as_bytes());
    if !text.contains('.') {
        out.extend_from_slice(b".0");
    }
    Ok(())
}

struct Writer<'a, S> {
    out: &'a mut S,
}

/// An object or array being written; `first` is whether no member has been written yet, `close`
/// what ends it (`]}` for the members of a tuple variant, inside `{"variant":`).
struct Compound<'a, S> {
    out: &'a mut S,
    first: bool,
    close: &'static [u8],
}

impl<S: Sink> Compound<'_, S> {
    fn separate(&mut self) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b',');
        }
    }

    fn end(self) -> Result<(), EncodeError> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a, S: Sink> Writer<'a, S> {
    fn open(self, open: &[u8], close: &'static [u8]) -> Compound<'a, S> {
        self.out.extend_from_slice(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }

    /// `{"variant":` then `open`; the compound's end writes `close` (which closes both).
    fn open_variant(self, variant: &str, open: &[u8], close: &'static [u8]) -> Compound<'a, S> {
        self.out.push(b'{');
        self.out.string(variant);
        self.out.push(b':');
        self.open(open, close)
    }
}

/// The narrow integer forms, written as the wide ones.
macro_rules! widen_integers {
    () => {
        fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
            self.serialize_i64(v.into())
        }
        fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
            self.serialize_i64(v.into())
        }
        fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
            self.serialize_i64(v.into())
        }
        fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
            self.serialize_u64(v.into())
        }
        fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
            self.serialize_u64(v.into())
        }
        fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
            self.serialize_u64(v.into())
        }
    };
}

impl<'a, S: Sink> ser::Serializer for Writer<'a, S> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Compound<'a, S>;
    type SerializeTuple = Compound<'a, S>;
    type SerializeTupleStruct = Compound<'a, S>;
    type SerializeTupleVariant = Compound<'a, S>;
    type SerializeMap = Compound<'a, S>;
    type SerializeStruct = Compound<'a, S>;
    type SerializeStructVariant = Compound<'a, S>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    widen_integers!();
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        write_i64(self.out, v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        write_u64(self.out, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        write_float(self.out, v.is_finite(), v.to_string())
    }
    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        write_float(self.out, v.is_finite(), v.to_string())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.out.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.out.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        // As serde_json: an array of numbers (our blobs serialize themselves as base64 text).
        let mut seq = self.open(b"[", b"]");
        for &b in v {
            seq.separate();
            write_u64(seq.out, b.into());
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        let compound = self.open_variant(variant, b"", b"}");
        value.serialize(Writer {
            out: &mut *compound.out,
        })?;
        compound.end()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open_variant(variant, b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, S>, EncodeError> {
        Ok(self.open_variant(variant, b"{", b"}}"))
    }
}

impl<S: Sink> ser::SerializeSeq for Compound<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.separate();
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

/// Tuples, tuple structs and tuple variants write their members as a sequence does (the
/// brackets and the variant wrapper come from how the compound was opened).
macro_rules! members_as_a_seq {
    ($($trait:ident::$method:ident),*) => {$(
        impl<S: Sink> ser::$trait for Compound<'_, S> {
            type Ok = ();
            type Error = EncodeError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
                ser::SerializeSeq::serialize_element(self, value)
            }
            fn end(self) -> Result<(), EncodeError> {
                Compound::end(self)
            }
        }
    )*};
}

members_as_a_seq!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<S: Sink> ser::SerializeMap for Compound<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.separate();
        key.serialize(KeyWriter { out: self.out })?;
        self.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl<S: Sink> ser::SerializeStruct for Compound<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.separate();
        self.out.string(key);
        self.out.push(b':');
        value.serialize(Writer { out: self.out })
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl<S: Sink> ser::SerializeStructVariant for Compound<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

/// Map keys: JSON object keys are strings, so text is written as is and numbers and booleans
/// are quoted (as serde_json does); anything else is refused.
struct KeyWriter<'a, S> {
    out: &'a mut S,
}

impl<S: Sink> KeyWriter<'_, S> {
    fn quoted(self, write: impl FnOnce(&mut S)) -> Result<(), EncodeError> {
        self.out.push(b'"');
        write(self.out);
        self.out.push(b'"');
        Ok(())
    }
}

fn key_refused() -> EncodeError {
    EncodeError::new("a map key must be text, a number or a boolean")
}

impl<S: Sink> ser::Serializer for KeyWriter<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = Impossible<(), EncodeError>;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Impossible<(), EncodeError>;
    type SerializeStruct = Impossible<(), EncodeError>;
    type SerializeStructVariant = Impossible<(), EncodeError>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.quoted(|out| out.extend_from_slice(if v { b"true" } else { b"false" }))
    }
    widen_integers!();
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.quoted(|out| write_i64(out, v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.quoted(|out| write_u64(out, v))
    }
    fn serialize_f32(self, _v: f32) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.out.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.out.string(v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(key_refused())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        Err(key_refused())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(key_refused())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(key_refused())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(key_refused())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(key_refused())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Err(key_refused())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(key_refused())
    }
}

#[cfg(test)]
mod tests;
