//! Tests of the clock and the timestamp format.

use super::*;

#[test]
fn rfc3339_formats_known_instants() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000Z");
    assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20.000Z");
}
