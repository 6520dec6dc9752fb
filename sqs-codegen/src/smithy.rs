//! The Smithy IDL 2.0 JSON AST, read as it is written (member order kept).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

/// A whole model file.
#[derive(Debug, Deserialize)]
pub struct Ast {
    /// The IDL version (`"2.0"`).
    pub smithy: String,
    /// Every shape by absolute id (`namespace#Name`).
    #[serde(default)]
    pub shapes: BTreeMap<String, Shape>,
}

/// One shape; which fields are set depends on `kind`.
#[derive(Debug, Deserialize)]
pub struct Shape {
    /// `structure`, `operation`, `string`, `list`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Members of structures, unions and enums, in declaration order.
    #[serde(default)]
    pub members: Ordered<Member>,
    /// Element of a list.
    pub member: Option<Member>,
    /// Key of a map.
    pub key: Option<Member>,
    /// Value of a map.
    pub value: Option<Member>,
    /// Input of an operation.
    pub input: Option<Target>,
    /// Output of an operation.
    pub output: Option<Target>,
    /// Errors of an operation.
    #[serde(default)]
    pub errors: Vec<Target>,
    /// Operations of a service.
    #[serde(default)]
    pub operations: Vec<Target>,
    /// Version of a service.
    pub version: Option<String>,
    /// Applied traits by absolute id.
    #[serde(default)]
    pub traits: BTreeMap<String, Value>,
}

/// A member of an aggregate shape.
#[derive(Debug, Deserialize)]
pub struct Member {
    /// Absolute id of the member's shape.
    pub target: String,
    /// Traits applied to the member itself.
    #[serde(default)]
    pub traits: BTreeMap<String, Value>,
}

/// A reference to a shape.
#[derive(Debug, Deserialize)]
pub struct Target {
    /// Absolute id of the shape.
    pub target: String,
}

/// A JSON object read into a list of pairs, keeping the order of the file.
#[derive(Debug)]
pub struct Ordered<V>(pub Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for PairsVisitor<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    pairs.push((k, v));
                }
                Ok(Ordered(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor(std::marker::PhantomData))
    }
}

/// The name part of an absolute shape id (`com.example#Foo` -> `Foo`).
pub fn local_name(id: &str) -> &str {
    id.rsplit('#').next().unwrap_or(id)
}
