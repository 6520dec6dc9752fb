//! From a parsed model to the resolved one: the service's operations, with the shapes they
//! reach.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Error;
use crate::smithy::{Ast, local_name};

use super::resolver::*;
use super::traits::*;
use super::types::*;

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
        let hook_of = |t: &str, key: &str| {
            op.traits
                .get(t)
                .and_then(|h| h.get(key))
                .map(|v| {
                    v.as_str()
                        .filter(|f| {
                            f.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                                && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                        })
                        .map(str::to_owned)
                        .ok_or_else(|| {
                            Error::model(format!(
                                "{op_id}: @{} {key} must name a function",
                                t.trim_start_matches("rs.sqs#")
                            ))
                        })
                })
                .transpose()
        };
        let hook = |key: &str| hook_of(T_CLIENT_HOOKS, key);
        let hooks = Hooks {
            fill_digests: hook_of(T_SERVICE_HOOKS, "digests")?,
            check: hook("check")?,
            sent_digests: hook("sentDigests")?,
            verify: hook("verify")?,
            complete: hook("complete")?,
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
        namespace: service_id
            .split_once('#')
            .map_or("", |(namespace, _)| namespace)
            .to_owned(),
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
