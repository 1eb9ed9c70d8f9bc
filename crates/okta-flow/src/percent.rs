//! Strict percent-decoding, shared by the callback parser and the `return_to` check: every `%`
//! must be followed by two hex digits, so malformed escapes are refused rather than guessed at.

/// Whether `+` stands for a space (`application/x-www-form-urlencoded`) or for itself (a path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plus {
    #[cfg_attr(
        not(feature = "axum"),
        allow(dead_code, reason = "only the axum return_to check reads paths")
    )]
    Literal,
    Space,
}

/// Decodes `%XX` escapes; `None` for a `%` not followed by two hex digits.
pub(crate) fn decode(bytes: &[u8], plus: Plus) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let high = hex_value(*bytes.get(i + 1)?)?;
                let low = hex_value(*bytes.get(i + 2)?)?;
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus == Plus::Space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The value of one hex digit (a sign, as `from_str_radix` would take, is not one).
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_strict() {
        assert_eq!(decode(b"a%2Fb+c", Plus::Space).unwrap(), b"a/b c");
        assert_eq!(decode(b"a%2fb+c", Plus::Literal).unwrap(), b"a/b+c");
        for bad in [&b"%"[..], b"%2", b"%ZZ", b"%+1", b"%-1", b"a%g0"] {
            assert_eq!(decode(bad, Plus::Space), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
