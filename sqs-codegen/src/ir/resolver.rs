//! The resolver's walk over shapes: Rust names claimed once, members typed, constraints
//! merged, enums and errors read, reachability marked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::Error;
use crate::smithy::{Ast, Member as AstMember, Shape, local_name};

use super::names::*;
use super::traits::*;
use super::types::*;

pub(super) struct Resolver<'a> {
    pub(super) ast: &'a Ast,
    pub(super) structures: BTreeMap<String, Structure>,
    pub(super) enums: BTreeMap<String, EnumDef>,
    /// Rust name -> shape id that took it, to refuse collisions.
    pub(super) names: BTreeMap<String, String>,
}

/// The simple types of the Smithy prelude.
pub(super) fn prelude(id: &str) -> Option<&'static str> {
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
    pub(super) fn shape(&self, id: &str, used_by: &str) -> Result<&'a Shape, Error> {
        self.ast.shapes.get(id).ok_or_else(|| {
            Error::model(format!(
                "{used_by} refers to {id}, which the model does not define"
            ))
        })
    }

    pub(super) fn claim(&mut self, rust_name: &str, id: &str) -> Result<(), Error> {
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

    pub(super) fn top_level(
        &mut self,
        op: &str,
        id: Option<&str>,
        role: Role,
    ) -> Result<String, Error> {
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

    pub(super) fn structure(
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
    pub(super) fn ty(&mut self, id: &str, at: &str) -> Result<(Ty, Constraints), Error> {
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

    pub(super) fn member_ty(
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

    pub(super) fn enum_def(&mut self, id: &str, shape: &Shape) -> Result<String, Error> {
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

    pub(super) fn error_def(&self, id: &str) -> Result<ErrorDef, Error> {
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
    pub(super) fn mark_reachability(&mut self, operations: &[Operation]) {
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
