//! Tests of the helpers of `cargo xtask third-party` (the run itself is `.ci/run`'s).

use super::*;

#[test]
fn node_versions_are_read_and_compared_with_the_minimum() {
    assert_eq!(parse_node_version("v20.20.2\n"), Some((20, 20)));
    assert_eq!(parse_node_version("v18.19.0"), Some((18, 19)));
    assert_eq!(parse_node_version("20.1"), None);
    assert!(parse_node_version("v18.19.0").unwrap() < NODE_MIN, "Debian 12's own Node.js");
    assert!(parse_node_version("v20.19.0").unwrap() >= NODE_MIN);
}
