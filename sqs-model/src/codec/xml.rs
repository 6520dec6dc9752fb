//! AWS Query responses: XML read with quick-xml into a small element tree, which generated
//! `FromXml` implementations walk. Entities and character references are decoded; elements the
//! models do not know are ignored; namespaces are dropped (local names only).

use quick_xml::events::Event;

use super::values::{Blob, DecodeError};

/// One XML element: its local name, its text (all direct text, entities decoded) and children.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct XmlNode {
    name: String,
    text: String,
    children: Vec<XmlNode>,
}

impl XmlNode {
    /// The element's local name (namespace prefix dropped).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// All direct text of the element, entities decoded.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The child elements, in document order.
    pub fn children(&self) -> &[XmlNode] {
        &self.children
    }
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }
    /// Every child with this name. Generated code calls it for lists and maps that are not
    /// flattened; the SQS description has none, other descriptions do.
    #[allow(dead_code)]
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a XmlNode> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Deepest nesting accepted; responses of the SQS models are a handful of levels deep.
const MAX_DEPTH: usize = 64;

/// Parses a document and returns its root element (at most 64 levels deep).
pub fn parse(body: &[u8]) -> Result<XmlNode, DecodeError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| DecodeError::new(format!("XML body is not UTF-8: {e}")))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<XmlNode> = Vec::new();
    let bad = |e: &dyn std::fmt::Display| DecodeError::new(format!("XML body: {e}"));
    loop {
        let event = reader.read_event().map_err(|e| bad(&e))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(DecodeError::new("XML body nests too deeply"));
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push(XmlNode {
                    name,
                    ..XmlNode::default()
                });
            }
            Event::Empty(start) => {
                let node = XmlNode {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    ..XmlNode::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| DecodeError::new("XML body: unbalanced end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Text(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&t.xml10_content().map_err(|e| bad(&e))?);
                }
            }
            Event::CData(t) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&t.decode().map_err(|e| bad(&e))?);
                }
            }
            Event::GeneralRef(r) => {
                let Some(node) = stack.last_mut() else {
                    continue;
                };
                if let Some(c) = r.resolve_char_ref().map_err(|e| bad(&e))? {
                    node.text.push(c);
                } else {
                    let name = r.decode().map_err(|e| bad(&e))?;
                    let value = quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| bad(&format_args!("unknown entity &{name};")))?;
                    node.text.push_str(value);
                }
            }
            Event::Eof => return Err(DecodeError::new("XML body ended before its root element")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

/// Implemented by generated structures that can be read from an element.
pub(crate) trait FromXml: Sized {
    fn from_xml(node: &XmlNode) -> Result<Self, DecodeError>;
}

/// Decodes `<OpResponse><OpResult>…</OpResult>…</OpResponse>`; a missing result element (as
/// for operations that return nothing) decodes like an empty one.
pub(crate) fn decode_result<T: FromXml>(
    body: &[u8],
    result_element: &str,
) -> Result<T, DecodeError> {
    let root = parse(body)?;
    if root.name() == "ErrorResponse" {
        return Err(DecodeError::new("an error document was given as a result"));
    }
    match root.child(result_element) {
        Some(result) => T::from_xml(result),
        None => T::from_xml(&XmlNode::default()),
    }
}

fn scalar_error(node: &XmlNode, what: &str) -> DecodeError {
    DecodeError::new(format!(
        "<{}>: {:?} is not {what}",
        node.name(),
        node.text()
    ))
}

pub(crate) fn string(node: &XmlNode) -> Result<String, DecodeError> {
    Ok(node.text().to_owned())
}

pub(crate) fn boolean(node: &XmlNode) -> Result<bool, DecodeError> {
    match node.text().trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(scalar_error(node, "a boolean")),
    }
}

pub(crate) fn number<T: std::str::FromStr>(node: &XmlNode) -> Result<T, DecodeError> {
    node.text()
        .trim()
        .parse()
        .map_err(|_| scalar_error(node, "a number"))
}

pub(crate) fn blob(node: &XmlNode) -> Result<Blob, DecodeError> {
    Blob::from_base64(node.text()).map_err(|e| DecodeError::new(format!("<{}>: {e}", node.name())))
}

/// The child element named `name`, or an error naming the parent.
pub(crate) fn required_child<'a>(
    node: &'a XmlNode,
    name: &str,
) -> Result<&'a XmlNode, DecodeError> {
    node.child(name)
        .ok_or_else(|| DecodeError::new(format!("<{}> has no <{name}>", node.name())))
}
