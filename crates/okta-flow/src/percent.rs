//! Strict percent-decoding, shared by the callback parser and the `return_to` check: the
//! `percent-encoding` crate decodes, after a check that every `%` is followed by two hex digits,
//! so malformed escapes are refused rather than guessed at.

use percent_encoding::percent_decode;

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

/// Decodes `%XX` escapes with the `percent-encoding` crate; `None` for a `%` not followed by two
/// hex digits (which that crate would pass through as it is).
pub(crate) fn decode(bytes: &[u8], plus: Plus) -> Option<Vec<u8>> {
    if !escapes_are_well_formed(bytes) {
        return None;
    }
    Some(match plus {
        Plus::Literal => percent_decode(bytes).collect(),
        Plus::Space => {
            let spaced: Vec<u8> =
                bytes.iter().map(|&byte| if byte == b'+' { b' ' } else { byte }).collect();
            percent_decode(&spaced).collect()
        }
    })
}

/// Whether every `%` starts an escape: two hex digits follow (a sign, as `from_str_radix`
/// would take, is not one).
fn escapes_are_well_formed(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().filter(|(_, byte)| **byte == b'%').all(|(at, _)| {
        matches!(
            (bytes.get(at + 1), bytes.get(at + 2)),
            (Some(high), Some(low)) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_strict() {
        assert_eq!(decode(b"a%2Fb+c", Plus::Space).unwrap(), b"a/b c");
        assert_eq!(decode(b"a%2fb+c", Plus::Literal).unwrap(), b"a/b+c");
        assert_eq!(decode(b"%2B+%25%252F%C3%BC", Plus::Space).unwrap(), "+ %%2Fü".as_bytes());
        for bad in [&b"%"[..], b"%2", b"%ZZ", b"%+1", b"%-1", b"a%g0", b"ok%", b"%%41", b"%4"] {
            assert_eq!(decode(bad, Plus::Space), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
