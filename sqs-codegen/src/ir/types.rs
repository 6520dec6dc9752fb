//! The resolved model: a service, its operations, structures, members and their types,
//! enums and errors.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Error;

use super::traits::*;

/// A whole service, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Shape name of the service (the JSON target prefix, `AmazonSQS`).
    pub name: String,
    /// Namespace of the service's shapes (`com.amazonaws.sqs`), the part of an AWS JSON 1.0
    /// error's `__type` before `#`.
    pub namespace: String,
    /// API version (`2012-11-05`).
    pub version: String,
    /// SigV4 signing name, when the service declares one.
    pub signing_name: Option<String>,
    /// XML namespace of Query responses, when declared.
    pub xml_namespace: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
    /// Operations, sorted by name.
    pub operations: Vec<Operation>,
    /// Structures to emit, by Rust name.
    pub structures: BTreeMap<String, Structure>,
    /// Enums to emit, by Rust name.
    pub enums: BTreeMap<String, EnumDef>,
    /// Every error any operation declares, by shape name.
    pub errors: BTreeMap<String, ErrorDef>,
}

/// One operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Operation name (`SendMessage`).
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Rust name of the input structure (always present; empty when the model has none).
    pub input: String,
    /// Rust name of the output structure (always present; empty for `Unit`).
    pub output: String,
    /// Shape names of the declared errors, sorted.
    pub errors: Vec<String>,
    /// Pagination, when the operation pages.
    pub paginated: Option<Pagination>,
    /// `@readonly` or `@idempotent`: sending it again has no further effect.
    pub idempotent: bool,
    /// The hand-written checks the description names for it (`rs.sqs#clientHooks`).
    pub hooks: Hooks,
    /// The long poll it may make (`rs.sqs#longPoll`).
    pub long_poll: Option<LongPoll>,
    /// It carries message bodies or receipt handles (`rs.sqs#carriesMessages`).
    pub carries_messages: bool,
    /// Shape name of the input in the model, if any (for conformance checks).
    pub input_shape: Option<String>,
    /// Shape name of the output in the model, if any (`None` for `Unit`).
    pub output_shape: Option<String>,
}

/// Functions of the model crate's `checks` module that an operation's `Operation` hooks call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hooks {
    /// `check(input, limits)`, before sending.
    pub check: Option<String>,
    /// `sent_digests(input)`, right after encoding.
    pub sent_digests: Option<String>,
    /// `verify(input, sent_digests, output)`, after decoding the answer.
    pub verify: Option<String>,
    /// `complete(input, output)`, after decoding the answer, whether digests are checked or not.
    pub complete: Option<String>,
    /// `fill(input, output)` on the service side (`rs.sqs#serviceHooks`): puts in an answer the
    /// digests of what the request carried, where the answer has none yet.
    pub fill_digests: Option<String>,
}

/// How long the server may hold a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongPoll {
    /// The input member holding the wait in seconds.
    pub wait_member: String,
    /// The longest wait when the member is absent.
    pub when_absent: u64,
}

/// Member names that carry pagination.
#[derive(Debug, Clone, PartialEq)]
pub struct Pagination {
    /// Input member holding the token.
    pub input_token: String,
    /// Output member holding the next token.
    pub output_token: String,
    /// Output member holding the page's items.
    pub items: String,
    /// Input member limiting the page size.
    pub page_size: Option<String>,
}

/// What a structure is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The input of an operation.
    Input,
    /// The output of an operation.
    Output,
    /// Anything else.
    Shared,
}

/// A structure to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// Shape name in the model (`SendMessageRequest`), or the synthetic name for a unit output.
    pub shape_name: String,
    /// Rust name (`SendMessageInput`).
    pub rust_name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Members in declaration order.
    pub members: Vec<Member>,
    /// Input, output or shared.
    pub role: Role,
    /// Reachable from an operation input (needs Query serialization and validation).
    pub in_requests: bool,
    /// Reachable from an operation output (needs XML decoding; lenient JSON decoding).
    pub in_responses: bool,
}

/// A member of a structure.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Name in the model and on the JSON wire.
    pub name: String,
    /// Rust field name.
    pub rust_name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Its type.
    pub ty: Ty,
    /// `@required`.
    pub required: bool,
    /// Has a `@default` (so it is never absent).
    pub has_default: bool,
    /// Name in Query requests and XML responses.
    pub xml_name: String,
    /// `@xmlFlattened`.
    pub flattened: bool,
    /// Limits on the value.
    pub constraints: Constraints,
    /// Deprecation note, if deprecated.
    pub deprecated: Option<String>,
    /// Shape name of the target, for conformance checks.
    pub target_shape: String,
}

impl Member {
    /// Whether the Rust field is an `Option`.
    pub fn optional(&self) -> bool {
        !(self.required || self.has_default)
    }
}

/// A member's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// Text.
    String,
    /// Bytes.
    Blob,
    /// Boolean.
    Bool,
    /// 8-bit integer.
    Byte,
    /// 16-bit integer.
    Short,
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    Long,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// A generated enum, by Rust name.
    Enum(String),
    /// A generated structure, by Rust name.
    Struct(String),
    /// A list.
    List(Box<ListTy>),
    /// A map.
    Map(Box<MapTy>),
}

impl Ty {
    /// Whether the type implements `Default`.
    pub fn has_default(&self, structures: &BTreeMap<String, Structure>) -> bool {
        match self {
            Ty::Enum(_) => false,
            Ty::Struct(name) => structures.get(name).is_some_and(|s| {
                s.members
                    .iter()
                    .all(|m| m.optional() || m.ty.has_default(structures))
            }),
            _ => true,
        }
    }
}

/// Element type of a list, with its own limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ListTy {
    /// Element type.
    pub member: Ty,
    /// Element name when the list is not flattened (`member` unless renamed).
    pub member_xml_name: String,
    /// Limits on each element.
    pub member_constraints: Constraints,
}

/// Key and value types of a map, with their own limits.
#[derive(Debug, Clone, PartialEq)]
pub struct MapTy {
    /// Key type (text or an enum).
    pub key: Ty,
    /// Value type.
    pub value: Ty,
    /// Element name of keys (`key` unless renamed).
    pub key_xml_name: String,
    /// Element name of values (`value` unless renamed).
    pub value_xml_name: String,
    /// Limits on keys.
    pub key_constraints: Constraints,
    /// Limits on values.
    pub value_constraints: Constraints,
}

/// `@length`, `@range` and `@pattern` as they apply to one value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// Minimum and maximum length.
    pub length: Option<(Option<u64>, Option<u64>)>,
    /// Minimum and maximum value.
    pub range: Option<(Option<i64>, Option<i64>)>,
    /// ECMA-262 pattern.
    pub pattern: Option<String>,
}

impl Constraints {
    /// Whether any limit is set.
    pub fn is_empty(&self) -> bool {
        self.length.is_none() && self.range.is_none() && self.pattern.is_none()
    }

    pub(super) fn from_traits(traits: &BTreeMap<String, Value>, at: &str) -> Result<Self, Error> {
        let bound_u = |v: &Value, k: &str| -> Result<Option<u64>, Error> {
            match v.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => n.as_u64().map(Some).ok_or_else(|| {
                    Error::model(format!("{at}: @length {k} must be a whole number"))
                }),
            }
        };
        let bound_i = |v: &Value, k: &str| -> Result<Option<i64>, Error> {
            match v.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(n) => n.as_i64().map(Some).ok_or_else(|| {
                    Error::model(format!("{at}: @range {k} must be a whole number"))
                }),
            }
        };
        let length = traits
            .get(T_LENGTH)
            .map(|v| Ok::<_, Error>((bound_u(v, "min")?, bound_u(v, "max")?)))
            .transpose()?;
        let range = traits
            .get(T_RANGE)
            .map(|v| Ok::<_, Error>((bound_i(v, "min")?, bound_i(v, "max")?)))
            .transpose()?;
        let pattern = traits
            .get(T_PATTERN)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::model(format!("{at}: @pattern must be a string")))
            })
            .transpose()?;
        Ok(Self {
            length,
            range,
            pattern,
        })
    }

    /// Member limits override those of the target shape, trait by trait.
    pub(super) fn merged(shape: Constraints, member: Constraints) -> Self {
        Self {
            length: member.length.or(shape.length),
            range: member.range.or(shape.range),
            pattern: member.pattern.or(shape.pattern),
        }
    }
}

/// An enum to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    /// Rust name.
    pub rust_name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Variants: Rust name, wire value, documentation.
    pub variants: Vec<(String, String, Option<String>)>,
}

/// A modeled error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDef {
    /// Shape name (`QueueDoesNotExist`), also the Rust variant name.
    pub shape_name: String,
    /// Query code, when it differs from the shape name.
    pub query_code: Option<String>,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// `client` (sender) or `server` (receiver).
    pub server_fault: bool,
    /// Documentation.
    pub doc: Option<String>,
    /// Deprecation note.
    pub deprecated: Option<String>,
}
