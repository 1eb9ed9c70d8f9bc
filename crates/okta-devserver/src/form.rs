//! `application/x-www-form-urlencoded` input, decoded by `form_urlencoded` and
//! `percent-encoding` rather than by hand: query strings and form bodies as [`Params`], single
//! values (client credentials in a Basic header), and the content-type rule of Okta's form
//! endpoints.

use http::{HeaderMap, header};
use percent_encoding::percent_decode_str;

use crate::error::OAuthError;

/// Parameters of a query string or form body, in order, duplicates kept.
#[derive(Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

/// A parameter that appeared more than once.
#[derive(Debug)]
pub(crate) struct Duplicate;

impl Params {
    /// Parses `a=1&b=2` (form encoding).
    pub(crate) fn parse(input: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(input).into_owned().collect())
    }

    /// The value of `name` if it appears exactly once; `Err` if it appears several times.
    /// An empty value counts as absent, as it does for Okta.
    pub(crate) fn single(&self, name: &str) -> Result<Option<&str>, Duplicate> {
        let mut found = None;
        for (key, value) in &self.0 {
            if key == name {
                if found.is_some() {
                    return Err(Duplicate);
                }
                found = Some(value.as_str());
            }
        }
        Ok(found.filter(|value| !value.is_empty()))
    }

    /// The first value of `name`, ignoring duplicates (for code paths that checked already).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first parameter name that appears more than once.
    pub(crate) fn first_duplicate(&self) -> Option<&str> {
        self.0.iter().enumerate().find_map(|(index, (key, _))| {
            self.0[..index].iter().any(|(earlier, _)| earlier == key).then_some(key.as_str())
        })
    }

    /// All pairs.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Decodes one `application/x-www-form-urlencoded` value (`+` is a space), as RFC 6749 §2.3.1
/// asks of client credentials in a Basic header. Stricter than a form body: `None` on a `%` not
/// followed by two hex digits, or on bytes that are not UTF-8.
pub(crate) fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let escapes_well_formed =
        bytes.iter().enumerate().filter(|(_, byte)| **byte == b'%').all(|(index, _)| {
            bytes.get(index + 1..index + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
        });
    if !escapes_well_formed {
        return None;
    }
    // `+` first: an encoded plus (`%2B`) must stay a plus.
    let spaced = value.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

/// Form-encodes one value (the inverse of [`form_decode`]).
#[cfg(test)]
pub(crate) fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Whether the request body is declared as a form.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// Okta's token-style endpoints only take form bodies.
pub(crate) fn require_form(headers: &HeaderMap) -> Result<(), OAuthError> {
    if is_form(headers) {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "The request must use Content-Type application/x-www-form-urlencoded.",
        ))
    }
}

#[cfg(test)]
mod tests;
