//! Just enough HTML reading for the sign-in pages: start tags, their attributes, forms and the
//! text of an element with an id. No JavaScript, no DOM: the pages have stable ids.

/// A start tag: its lower-case name and attributes (names lower-cased, values entity-decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tag {
    pub(crate) name: String,
    pub(crate) attributes: Vec<(String, String)>,
    /// Byte offset just after the tag's `>`.
    pub(crate) end: usize,
}

impl Tag {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// A form on a page: where it posts and the fields a browser would send without user input
/// (hidden inputs and pre-filled text inputs), plus its submit buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Form {
    pub(crate) action: String,
    pub(crate) method: String,
    pub(crate) inputs: Vec<Input>,
    pub(crate) buttons: Vec<Button>,
}

/// An `<input>` of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Input {
    pub(crate) id: Option<String>,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) value: String,
}

/// A `<button>` of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Button {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) value: Option<String>,
}

/// Every start tag of the document, in order (comments, doctype and end tags skipped).
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut at = 0;
    while let Some(offset) = html[at..].find('<') {
        let start = at + offset + 1;
        if html[start..].starts_with("!--") {
            at = html[start..].find("-->").map_or(bytes.len(), |end| start + end + 3);
            continue;
        }
        let name_len = html[start..].bytes().take_while(u8::is_ascii_alphanumeric).count();
        if name_len == 0 {
            // `</x>`, `<!doctype>` or a stray `<`.
            at = start;
            continue;
        }
        let name = html[start..start + name_len].to_ascii_lowercase();
        let (attributes, end) = attributes(html, start + name_len);
        tags.push(Tag { name, attributes, end });
        at = end;
    }
    tags
}

/// Whether an element with this `id` exists.
pub(crate) fn has_id(html: &str, id: &str) -> bool {
    tags(html).iter().any(|tag| tag.attribute("id") == Some(id))
}

/// The text inside the element with this `id` (tags stripped, entities decoded, whitespace
/// collapsed), if it exists.
pub(crate) fn text_of_id(html: &str, id: &str) -> Option<String> {
    let tag = tags(html).into_iter().find(|tag| tag.attribute("id") == Some(id))?;
    let rest = &html[tag.end..];
    let close = format!("</{}", tag.name);
    let inner = &rest[..rest.find(&close).unwrap_or(rest.len())];
    let mut text = String::new();
    let mut in_tag = false;
    for character in inner.chars() {
        match character {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    Some(decode_entities(&text).split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Every form of the document.
pub(crate) fn forms(html: &str) -> Vec<Form> {
    let mut forms: Vec<Form> = Vec::new();
    let mut open = false;
    for tag in tags(html) {
        match tag.name.as_str() {
            "form" => {
                forms.push(Form {
                    action: tag.attribute("action").unwrap_or_default().to_owned(),
                    method: tag.attribute("method").unwrap_or("get").to_ascii_lowercase(),
                    inputs: Vec::new(),
                    buttons: Vec::new(),
                });
                open = true;
            }
            "input" if open => {
                let Some(form) = forms.last_mut() else { continue };
                let Some(name) = tag.attribute("name") else { continue };
                form.inputs.push(Input {
                    id: tag.attribute("id").map(str::to_owned),
                    name: name.to_owned(),
                    kind: tag.attribute("type").unwrap_or("text").to_ascii_lowercase(),
                    value: tag.attribute("value").unwrap_or_default().to_owned(),
                });
            }
            "button" if open => {
                let Some(form) = forms.last_mut() else { continue };
                form.buttons.push(Button {
                    id: tag.attribute("id").map(str::to_owned),
                    name: tag.attribute("name").map(str::to_owned),
                    value: tag.attribute("value").map(str::to_owned),
                });
            }
            _ => {}
        }
    }
    forms
}

/// Parses attributes from `at` up to the end of the tag; returns them and the offset after `>`.
fn attributes(html: &str, mut at: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attributes = Vec::new();
    loop {
        while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
            at += 1;
        }
        if at >= bytes.len() {
            return (attributes, bytes.len());
        }
        if bytes[at] == b'>' {
            return (attributes, at + 1);
        }
        let name_start = at;
        while at < bytes.len() && !matches!(bytes[at], b'=' | b'>' | b'/') {
            if bytes[at].is_ascii_whitespace() {
                break;
            }
            at += 1;
        }
        let name = html[name_start..at].to_ascii_lowercase();
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let mut value = String::new();
        if at < bytes.len() && bytes[at] == b'=' {
            at += 1;
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if at < bytes.len() && matches!(bytes[at], b'"' | b'\'') {
                let quote = bytes[at];
                let start = at + 1;
                let end = html[start..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(bytes.len(), |p| start + p);
                value = decode_entities(&html[start..end]);
                at = (end + 1).min(bytes.len());
            } else {
                let start = at;
                while at < bytes.len() && !bytes[at].is_ascii_whitespace() && bytes[at] != b'>' {
                    at += 1;
                }
                value = decode_entities(&html[start..at]);
            }
        }
        if name.is_empty() {
            // A stray `=` or similar: skip one byte so the loop always advances.
            at += 1;
        } else {
            attributes.push((name, value));
        }
    }
}

/// Decodes the character references HTML escapers produce: `&amp;` `&lt;` `&gt;` `&quot;`
/// `&apos;` and numeric ones. Anything else is kept as written.
pub(crate) fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(character) => {
                out.push(character);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
