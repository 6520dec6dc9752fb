//! The resolved model the emitter works from: Rust names chosen, member targets turned into
//! types, constraint traits of shapes and members merged, operation inputs and outputs named.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::Error;
use crate::smithy::{Ast, Member as AstMember, Shape, local_name};

const T_DOC: &str = "smithy.api#documentation";
const T_REQUIRED: &str = "smithy.api#required";
const T_DEFAULT: &str = "smithy.api#default";
const T_XML_NAME: &str = "smithy.api#xmlName";
const T_FLATTENED: &str = "smithy.api#xmlFlattened";
const T_ENUM_VALUE: &str = "smithy.api#enumValue";
const T_ERROR: &str = "smithy.api#error";
const T_HTTP_ERROR: &str = "smithy.api#httpError";
const T_QUERY_ERROR: &str = "aws.protocols#awsQueryError";
const T_DEPRECATED: &str = "smithy.api#deprecated";
const T_PAGINATED: &str = "smithy.api#paginated";
const T_READONLY: &str = "smithy.api#readonly";
const T_IDEMPOTENT: &str = "smithy.api#idempotent";
/// The project's own traits (defined in its description): see [`Hooks`].
const T_CLIENT_HOOKS: &str = "rs.sqs#clientHooks";
const T_LONG_POLL: &str = "rs.sqs#longPoll";
const T_CARRIES_MESSAGES: &str = "rs.sqs#carriesMessages";
const T_LENGTH: &str = "smithy.api#length";
const T_RANGE: &str = "smithy.api#range";
const T_PATTERN: &str = "smithy.api#pattern";
const T_XML_NAMESPACE: &str = "smithy.api#xmlNamespace";
const T_SIGV4: &str = "aws.auth#sigv4";

/// A whole service, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Shape name of the service (the JSON target prefix, `AmazonSQS`).
    pub name: String,
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

    fn from_traits(traits: &BTreeMap<String, Value>, at: &str) -> Result<Self, Error> {
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
    fn merged(shape: Constraints, member: Constraints) -> Self {
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

fn doc(traits: &BTreeMap<String, Value>) -> Option<String> {
    traits.get(T_DOC).and_then(Value::as_str).map(str::to_owned)
}

fn deprecation(traits: &BTreeMap<String, Value>) -> Option<String> {
    traits.get(T_DEPRECATED).map(|v| {
        v.get("message")
            .and_then(Value::as_str)
            .unwrap_or("deprecated")
            .to_owned()
    })
}

fn trait_str(traits: &BTreeMap<String, Value>, id: &str) -> Option<String> {
    traits.get(id).and_then(Value::as_str).map(str::to_owned)
}

/// `MD5OfBody` -> `md5_of_body`, `AWSAccountIds` -> `aws_account_ids`, `queueUrls` -> `queue_urls`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// `all` -> `All`, `DARK_BLUE` -> `DarkBlue`, `in-progress` -> `InProgress`; keeps names that
/// are already Pascal case (`AWSTraceHeader`).
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let shouting = word.len() > 1 && !word.chars().any(|c| c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if shouting {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Names the generated code uses itself; a shape may not take them.
const RESERVED_TYPE_NAMES: &[&str] = &["Option", "Result", "String", "Vec", "Box", "Self"];

/// Resolves a parsed model into the emitter's model.
pub fn resolve(ast: &Ast) -> Result<Service, Error> {
    if !ast.smithy.starts_with('2') {
        return Err(Error::model(format!(
            "Smithy IDL version {:?} is not supported (2.x is)",
            ast.smithy
        )));
    }
    let services: Vec<_> = ast
        .shapes
        .iter()
        .filter(|(_, s)| s.kind == "service")
        .collect();
    let [(service_id, service)] = services.as_slice() else {
        return Err(Error::model(format!(
            "the model must hold exactly one service shape; it holds {}",
            services.len()
        )));
    };
    let mut r = Resolver {
        ast,
        structures: BTreeMap::new(),
        enums: BTreeMap::new(),
        names: BTreeMap::new(),
    };

    let mut op_ids: Vec<&str> = service
        .operations
        .iter()
        .map(|t| t.target.as_str())
        .collect();
    op_ids.sort_by_key(|id| local_name(id));
    let mut operations = Vec::new();
    let mut errors = BTreeMap::new();
    for op_id in op_ids {
        let op = r.shape(op_id, "service operation")?;
        if op.kind != "operation" {
            return Err(Error::model(format!(
                "{op_id} is listed as an operation but is a {}",
                op.kind
            )));
        }
        let name = local_name(op_id).to_owned();
        let input_shape = op
            .input
            .as_ref()
            .map(|t| t.target.clone())
            .filter(|t| t != "smithy.api#Unit");
        let output_shape = op
            .output
            .as_ref()
            .map(|t| t.target.clone())
            .filter(|t| t != "smithy.api#Unit");
        let input = r.top_level(&name, input_shape.as_deref(), Role::Input)?;
        let output = r.top_level(&name, output_shape.as_deref(), Role::Output)?;
        let mut op_errors = Vec::new();
        for e in &op.errors {
            let def = r.error_def(&e.target)?;
            op_errors.push(def.shape_name.clone());
            errors.insert(def.shape_name.clone(), def);
        }
        op_errors.sort();
        let paginated = op
            .traits
            .get(T_PAGINATED)
            .map(|p| {
                let field = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
                match (field("inputToken"), field("outputToken"), field("items")) {
                    (Some(input_token), Some(output_token), Some(items)) => Ok(Pagination {
                        input_token,
                        output_token,
                        items,
                        page_size: field("pageSize"),
                    }),
                    _ => Err(Error::model(format!(
                        "{op_id}: @paginated needs inputToken, outputToken and items"
                    ))),
                }
            })
            .transpose()?;
        let hook = |key: &str| {
            op.traits
                .get(T_CLIENT_HOOKS)
                .and_then(|h| h.get(key))
                .map(|v| {
                    v.as_str()
                        .filter(|f| {
                            !f.is_empty()
                                && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        })
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            Error::model(format!(
                                "{op_id}: @clientHooks {key} must name a function"
                            ))
                        })
                })
                .transpose()
        };
        let hooks = Hooks {
            check: hook("check")?,
            sent_digests: hook("sentDigests")?,
            verify: hook("verify")?,
        };
        let long_poll = op
            .traits
            .get(T_LONG_POLL)
            .map(|p| {
                match (
                    p.get("waitMember").and_then(Value::as_str),
                    p.get("whenAbsent").and_then(Value::as_u64),
                ) {
                    (Some(member), Some(when_absent)) => Ok(LongPoll {
                        wait_member: member.to_owned(),
                        when_absent,
                    }),
                    _ => Err(Error::model(format!(
                        "{op_id}: @longPoll needs waitMember and whenAbsent"
                    ))),
                }
            })
            .transpose()?;
        operations.push(Operation {
            name,
            doc: doc(&op.traits),
            input,
            output,
            errors: op_errors,
            paginated,
            idempotent: op.traits.contains_key(T_READONLY) || op.traits.contains_key(T_IDEMPOTENT),
            hooks,
            long_poll,
            carries_messages: op.traits.contains_key(T_CARRIES_MESSAGES),
            input_shape: input_shape.map(|s| local_name(&s).to_owned()),
            output_shape: output_shape.map(|s| local_name(&s).to_owned()),
        });
    }
    r.mark_reachability(&operations);

    Ok(Service {
        name: local_name(service_id).to_owned(),
        version: service.version.clone().unwrap_or_default(),
        signing_name: service
            .traits
            .get(T_SIGV4)
            .and_then(|v| v.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        xml_namespace: service
            .traits
            .get(T_XML_NAMESPACE)
            .and_then(|v| v.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        doc: doc(&service.traits),
        operations,
        structures: r.structures,
        enums: r.enums,
        errors,
    })
}

struct Resolver<'a> {
    ast: &'a Ast,
    structures: BTreeMap<String, Structure>,
    enums: BTreeMap<String, EnumDef>,
    /// Rust name -> shape id that took it, to refuse collisions.
    names: BTreeMap<String, String>,
}

/// The simple types of the Smithy prelude.
fn prelude(id: &str) -> Option<&'static str> {
    Some(match id.strip_prefix("smithy.api#")? {
        "String" => "string",
        "Blob" => "blob",
        "Boolean" | "PrimitiveBoolean" => "boolean",
        "Byte" | "PrimitiveByte" => "byte",
        "Short" | "PrimitiveShort" => "short",
        "Integer" | "PrimitiveInteger" => "integer",
        "Long" | "PrimitiveLong" => "long",
        "Float" | "PrimitiveFloat" => "float",
        "Double" | "PrimitiveDouble" => "double",
        "Timestamp" => "timestamp",
        "Document" => "document",
        "BigInteger" => "bigInteger",
        "BigDecimal" => "bigDecimal",
        _ => return None,
    })
}

impl<'a> Resolver<'a> {
    fn shape(&self, id: &str, used_by: &str) -> Result<&'a Shape, Error> {
        self.ast.shapes.get(id).ok_or_else(|| {
            Error::model(format!(
                "{used_by} refers to {id}, which the model does not define"
            ))
        })
    }

    fn claim(&mut self, rust_name: &str, id: &str) -> Result<(), Error> {
        if RESERVED_TYPE_NAMES.contains(&rust_name) {
            return Err(Error::model(format!(
                "{id} would be named {rust_name}, which the generated code reserves"
            )));
        }
        match self.names.get(rust_name) {
            Some(other) if other != id => Err(Error::model(format!(
                "{id} and {other} would both be named {rust_name} in Rust"
            ))),
            _ => {
                self.names.insert(rust_name.to_owned(), id.to_owned());
                Ok(())
            }
        }
    }

    fn top_level(&mut self, op: &str, id: Option<&str>, role: Role) -> Result<String, Error> {
        let suffix = if role == Role::Input {
            "Input"
        } else {
            "Output"
        };
        let rust_name = format!("{op}{suffix}");
        let key = id
            .map(str::to_owned)
            .unwrap_or_else(|| format!("#{rust_name}"));
        self.claim(&rust_name, &key)?;
        let structure = match id {
            Some(id) => {
                let shape = self.shape(id, op)?;
                if shape.kind != "structure" {
                    return Err(Error::model(format!(
                        "{op}: {suffix} {id} is a {}, not a structure",
                        shape.kind
                    )));
                }
                self.structure(id, shape, rust_name.clone(), role)?
            }
            None => Structure {
                shape_name: rust_name.clone(),
                rust_name: rust_name.clone(),
                doc: Some(format!("{op} takes or returns nothing more.")),
                members: Vec::new(),
                role,
                in_requests: false,
                in_responses: false,
            },
        };
        self.structures.insert(rust_name.clone(), structure);
        Ok(rust_name)
    }

    fn structure(
        &mut self,
        id: &str,
        shape: &Shape,
        rust_name: String,
        role: Role,
    ) -> Result<Structure, Error> {
        let mut members = Vec::new();
        let mut field_names = BTreeSet::new();
        for (name, m) in &shape.members.0 {
            let at = format!("{id}${name}");
            let rust = rust_field_name(&snake_case(name));
            if !field_names.insert(rust.clone()) {
                return Err(Error::model(format!(
                    "{at}: two members of {id} map to the Rust field {rust}"
                )));
            }
            let (ty, shape_constraints) = self.ty(&m.target, &at)?;
            let constraints =
                Constraints::merged(shape_constraints, Constraints::from_traits(&m.traits, &at)?);
            let target_shape = self.ast.shapes.get(&m.target);
            let has_default = match m
                .traits
                .get(T_DEFAULT)
                .or_else(|| target_shape.and_then(|s| s.traits.get(T_DEFAULT)))
            {
                None | Some(Value::Null) => false,
                Some(Value::Bool(false)) => true,
                Some(Value::Number(n)) if n.as_f64() == Some(0.0) => true,
                Some(Value::String(s)) if s.is_empty() => true,
                Some(Value::Array(a)) if a.is_empty() => true,
                Some(Value::Object(o)) if o.is_empty() => true,
                Some(other) => {
                    return Err(Error::model(format!(
                        "{at}: only zero-value defaults are supported, not {other}"
                    )));
                }
            };
            members.push(Member {
                name: name.clone(),
                rust_name: rust,
                doc: doc(&m.traits).or_else(|| target_shape.and_then(|s| doc(&s.traits))),
                ty,
                required: m.traits.contains_key(T_REQUIRED),
                has_default,
                xml_name: trait_str(&m.traits, T_XML_NAME).unwrap_or_else(|| name.clone()),
                flattened: m.traits.contains_key(T_FLATTENED),
                constraints,
                deprecated: deprecation(&m.traits),
                target_shape: local_name(&m.target).to_owned(),
            });
        }
        Ok(Structure {
            shape_name: local_name(id).to_owned(),
            rust_name,
            doc: doc(&shape.traits),
            members,
            role,
            in_requests: false,
            in_responses: false,
        })
    }

    /// The Rust type of a target, and the limits its shape carries.
    fn ty(&mut self, id: &str, at: &str) -> Result<(Ty, Constraints), Error> {
        let (kind, shape) = match prelude(id) {
            Some(kind) => (kind, None),
            None => {
                let shape = self.shape(id, at)?;
                (shape.kind.as_str(), Some(shape))
            }
        };
        let constraints = match shape {
            Some(s) => Constraints::from_traits(&s.traits, id)?,
            None => Constraints::default(),
        };
        let ty = match kind {
            "string" => Ty::String,
            "blob" => Ty::Blob,
            "boolean" => Ty::Bool,
            "byte" => Ty::Byte,
            "short" => Ty::Short,
            "integer" => Ty::Int,
            "long" => Ty::Long,
            "float" => Ty::Float,
            "double" => Ty::Double,
            "enum" => Ty::Enum(self.enum_def(id, shape.expect("enum shapes come from the model"))?),
            "structure" => {
                let rust_name = pascal_case(local_name(id));
                if !self.names.contains_key(&rust_name) {
                    self.claim(&rust_name, id)?;
                    let s = self.structure(
                        id,
                        shape.expect("structures come from the model"),
                        rust_name.clone(),
                        Role::Shared,
                    )?;
                    self.structures.insert(rust_name.clone(), s);
                } else {
                    self.claim(&rust_name, id)?;
                }
                Ty::Struct(rust_name)
            }
            "list" | "set" => {
                let shape = shape.expect("lists come from the model");
                let member = shape
                    .member
                    .as_ref()
                    .ok_or_else(|| Error::model(format!("{id}: a list needs a member")))?;
                let (member_ty, member_constraints) = self.member_ty(member, id, "member")?;
                Ty::List(Box::new(ListTy {
                    member: member_ty,
                    member_xml_name: trait_str(&member.traits, T_XML_NAME)
                        .unwrap_or_else(|| "member".into()),
                    member_constraints,
                }))
            }
            "map" => {
                let shape = shape.expect("maps come from the model");
                let (Some(key), Some(value)) = (&shape.key, &shape.value) else {
                    return Err(Error::model(format!("{id}: a map needs a key and a value")));
                };
                let (key_ty, key_constraints) = self.member_ty(key, id, "key")?;
                if !matches!(key_ty, Ty::String | Ty::Enum(_)) {
                    return Err(Error::model(format!(
                        "{id}: map keys must be strings or enums"
                    )));
                }
                let (value_ty, value_constraints) = self.member_ty(value, id, "value")?;
                Ty::Map(Box::new(MapTy {
                    key: key_ty,
                    value: value_ty,
                    key_xml_name: trait_str(&key.traits, T_XML_NAME)
                        .unwrap_or_else(|| "key".into()),
                    value_xml_name: trait_str(&value.traits, T_XML_NAME)
                        .unwrap_or_else(|| "value".into()),
                    key_constraints,
                    value_constraints,
                }))
            }
            other => {
                return Err(Error::model(format!(
                    "{at}: shapes of type {other} ({id}) are not supported by this generator"
                )));
            }
        };
        Ok((ty, constraints))
    }

    fn member_ty(
        &mut self,
        m: &AstMember,
        owner: &str,
        role: &str,
    ) -> Result<(Ty, Constraints), Error> {
        let at = format!("{owner}${role}");
        let (ty, shape_c) = self.ty(&m.target, &at)?;
        Ok((
            ty,
            Constraints::merged(shape_c, Constraints::from_traits(&m.traits, &at)?),
        ))
    }

    fn enum_def(&mut self, id: &str, shape: &Shape) -> Result<String, Error> {
        let rust_name = pascal_case(local_name(id));
        self.claim(&rust_name, id)?;
        if self.enums.contains_key(&rust_name) {
            return Ok(rust_name);
        }
        let mut variants = Vec::new();
        let mut seen = BTreeSet::new();
        for (name, m) in &shape.members.0 {
            let value = trait_str(&m.traits, T_ENUM_VALUE).unwrap_or_else(|| name.clone());
            let variant = pascal_case(name);
            if variant == "Unknown" || !seen.insert(variant.clone()) {
                return Err(Error::model(format!(
                    "{id}: enum member {name} cannot be named {variant} in Rust"
                )));
            }
            variants.push((variant, value, doc(&m.traits)));
        }
        self.enums.insert(
            rust_name.clone(),
            EnumDef {
                rust_name: rust_name.clone(),
                doc: doc(&shape.traits),
                variants,
            },
        );
        Ok(rust_name)
    }

    fn error_def(&self, id: &str) -> Result<ErrorDef, Error> {
        let shape = self.shape(id, "an operation's errors")?;
        let fault = shape
            .traits
            .get(T_ERROR)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::model(format!(
                    "{id} is listed as an error but has no @error trait"
                ))
            })?;
        let query = shape.traits.get(T_QUERY_ERROR);
        let status = shape
            .traits
            .get(T_HTTP_ERROR)
            .and_then(Value::as_u64)
            .or_else(|| {
                query
                    .and_then(|q| q.get("httpResponseCode"))
                    .and_then(Value::as_u64)
            })
            .and_then(|s| u16::try_from(s).ok());
        Ok(ErrorDef {
            shape_name: local_name(id).to_owned(),
            query_code: query
                .and_then(|q| q.get("code"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            http_status: status,
            server_fault: fault == "server",
            doc: doc(&shape.traits),
            deprecated: deprecation(&shape.traits),
        })
    }

    /// Marks which structures are reachable from requests and from responses.
    fn mark_reachability(&mut self, operations: &[Operation]) {
        fn walk(ty: &Ty, out: &mut Vec<String>) {
            match ty {
                Ty::Struct(n) => out.push(n.clone()),
                Ty::List(l) => walk(&l.member, out),
                Ty::Map(m) => {
                    walk(&m.key, out);
                    walk(&m.value, out);
                }
                _ => {}
            }
        }
        for (roots, requests) in [
            (
                operations
                    .iter()
                    .map(|o| o.input.clone())
                    .collect::<Vec<_>>(),
                true,
            ),
            (
                operations
                    .iter()
                    .map(|o| o.output.clone())
                    .collect::<Vec<_>>(),
                false,
            ),
        ] {
            let mut todo = roots;
            let mut seen = BTreeSet::new();
            while let Some(name) = todo.pop() {
                if !seen.insert(name.clone()) {
                    continue;
                }
                if let Some(s) = self.structures.get_mut(&name) {
                    if requests {
                        s.in_requests = true;
                    } else {
                        s.in_responses = true;
                    }
                    for m in &s.members {
                        walk(&m.ty, &mut todo);
                    }
                }
            }
        }
    }
}

/// Escapes Rust keywords.
fn rust_field_name(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move",
        "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe",
        "use", "where", "while", "abstract", "become", "box", "do", "final", "macro", "override",
        "priv", "try", "typeof", "unsized", "virtual", "yield",
    ];
    if matches!(name, "self" | "super" | "crate" | "Self") {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_handles_acronyms_and_digits() {
        assert_eq!(snake_case("MD5OfBody"), "md5_of_body");
        assert_eq!(
            snake_case("MD5OfMessageAttributes"),
            "md5_of_message_attributes"
        );
        assert_eq!(snake_case("AWSAccountIds"), "aws_account_ids");
        assert_eq!(
            snake_case("QueueOwnerAWSAccountId"),
            "queue_owner_aws_account_id"
        );
        assert_eq!(snake_case("queueUrls"), "queue_urls");
        assert_eq!(snake_case("tags"), "tags");
        assert_eq!(snake_case("SenderFault"), "sender_fault");
    }

    #[test]
    fn pascal_case_of_enum_member_styles() {
        assert_eq!(pascal_case("DARK_BLUE"), "DarkBlue");
        assert_eq!(pascal_case("RED"), "Red");
        assert_eq!(pascal_case("AWSTraceHeader"), "AWSTraceHeader");
        assert_eq!(pascal_case("in-progress"), "InProgress");
        assert_eq!(pascal_case("2xx"), "V2xx");
    }

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(rust_field_name("type"), "r#type");
        assert_eq!(rust_field_name("self"), "self_");
        assert_eq!(rust_field_name("queue_url"), "queue_url");
    }
}
