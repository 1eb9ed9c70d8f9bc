//! Where a user goes after signing in: only same-origin relative paths, so the sign-in is never
//! an open redirector (RFC 9700 §4.11.1, security catalog SC-039).

use url::Url;

use crate::MAX_RETURN_TO_LEN;

/// How many layers of percent-encoding are looked through before giving up.
const MAX_DECODE_LAYERS: usize = 3;

/// Whether `target` may be redirected to after sign-in: a path on this origin, such as
/// `/orders?page=2`.
///
/// Refused: anything longer than [`MAX_RETURN_TO_LEN`] bytes, absolute URLs and schemes
/// (`https://evil.example`, `javascript:...`), scheme-relative and backslash forms (`//host`,
/// `/\host`, which browsers treat alike), characters outside printable ASCII (browsers drop tabs
/// and newlines, turning `/\t/host` into `//host`), and the same tricks hidden under one to three
/// layers of percent-encoding (`/%2F%2Fhost`, `/%5Chost`, `/%252F%252Fhost`).
///
/// ```
/// use okta_flow::axum::is_safe_return_to;
///
/// assert!(is_safe_return_to("/orders?page=2"));
/// assert!(!is_safe_return_to("//evil.example"));
/// assert!(!is_safe_return_to("/%2F%2Fevil.example"));
/// ```
pub fn is_safe_return_to(target: &str) -> bool {
    if target.is_empty()
        || target.len() > MAX_RETURN_TO_LEN
        || !target.bytes().all(|byte| byte.is_ascii_graphic())
    {
        return false;
    }
    let mut layer = target.as_bytes().to_vec();
    for _ in 0..=MAX_DECODE_LAYERS {
        if !is_safe_layer(&layer) {
            return false;
        }
        match crate::percent::decode(&layer, crate::percent::Plus::Literal) {
            Some(decoded) if decoded == layer => return stays_on_origin(target),
            Some(decoded) => layer = decoded,
            None => return false,
        }
    }
    // Still encoded after every layer we look through: nobody writes paths like that.
    false
}

/// One decoding layer: a path (`/` then anything but `/` or `\`), without backslashes or
/// control characters anywhere.
fn is_safe_layer(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !bytes.iter().any(|&byte| byte == b'\\' || byte < 0x20 || byte == 0x7f)
}

/// The last word goes to a real URL parser: resolved against an origin, the target must stay on
/// it, without credentials.
fn stays_on_origin(target: &str) -> bool {
    let Ok(base) = Url::parse("https://return-to.invalid/") else {
        return false;
    };
    base.join(target).is_ok_and(|url| {
        url.origin() == base.origin() && url.username().is_empty() && url.password().is_none()
    })
}

#[cfg(test)]
mod tests;
