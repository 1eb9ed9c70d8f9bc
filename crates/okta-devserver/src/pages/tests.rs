//! Tests of the HTML pages.

use super::*;

#[test]
fn html_escape_neutralises_markup() {
    assert_eq!(
        html_escape(r#"<a href="x">'&'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
}
