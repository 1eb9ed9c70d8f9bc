//! Small helpers shared by the endpoints: randomness, encodings, parameters and time formats.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A URL-safe random string carrying `n_bytes` bytes of entropy from the system CSPRNG.
pub(crate) fn random_token(n_bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n_bytes))
}

/// `n` lower-case ASCII letters, for paths and identifiers.
pub(crate) fn random_letters(n: usize) -> String {
    random_bytes(n).iter().map(|byte| char::from(b'a' + byte % 26)).collect()
}

/// Random bytes from aws-lc's CSPRNG.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    // aws-lc's generator only fails when the operating system cannot give entropy at all; a
    // dev server without entropy is broken beyond repair, and there is no caller to report to.
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system supplies random bytes");
    bytes
}

/// Base64url without padding, the JOSE encoding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of `input`.
pub(crate) fn sha256(input: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input).as_ref().to_vec()
}

/// Compares two secrets in constant time (for equal lengths).
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// Decodes one `application/x-www-form-urlencoded` value (`+` is a space), as RFC 6749 §2.3.1
/// asks of client credentials in a Basic header. `None` on a broken `%` escape or bad UTF-8.
pub(crate) fn form_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(index + 1..index + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 2;
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8(out).ok()
}

/// Form-encodes one value (the inverse of [`form_decode`]).
#[cfg(test)]
pub(crate) fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp with milliseconds, as Okta's APIs do
/// (`2026-11-28T07:14:48.000Z`).
pub(crate) fn rfc3339(unix_secs: u64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    i64::try_from(unix_secs)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|date| date.format(format).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59.999Z".to_owned())
}

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

#[cfg(test)]
mod tests;
