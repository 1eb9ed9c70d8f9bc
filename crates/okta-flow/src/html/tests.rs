//! Unit tests of HTML escaping.

use crate::html::escape;

#[test]
fn the_five_html_specials_are_escaped_and_the_rest_kept() {
    assert_eq!(escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    assert_eq!(escape("\"quoted\" é ✓"), "&quot;quoted&quot; é ✓");
    assert_eq!(escape(""), "");
}
