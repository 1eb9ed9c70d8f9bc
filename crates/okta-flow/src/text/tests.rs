//! What survives of hostile text: nothing a terminal, a log line or a page would interpret.

use crate::text::untrusted;

#[test]
fn controls_bidi_and_markup_are_escaped_and_text_is_kept() {
    let cases = [
        ("plain ASCII stays", "User is not assigned", "User is not assigned"),
        (
            "non-ASCII letters stay",
            "Zugriff verweigert: Müller, 日本",
            "Zugriff verweigert: Müller, 日本",
        ),
        ("quotes", r#"the "client" isn't known"#, r#"the \"client\" isn't known"#),
        ("ANSI escape", "red\x1b[31m", r"red\u{1b}[31m"),
        ("C1 control (CSI)", "a\u{9b}31m", r"a\u{9b}31m"),
        ("CR LF", "a\r\nX-Injected: 1", r"a\r\nX-Injected: 1"),
        ("right-to-left override", "txt.\u{202e}exe", r"txt.\u{202e}exe"),
        (
            "isolates and marks",
            "\u{2066}\u{2069}\u{200e}\u{200f}",
            r"\u{2066}\u{2069}\u{200e}\u{200f}",
        ),
        ("zero width", "a\u{200b}b\u{feff}", r"a\u{200b}b\u{feff}"),
        ("line separator", "a\u{2028}b", r"a\u{2028}b"),
        ("markup", "<script>", r"\u{3c}script\u{3e}"),
    ];
    for (name, text, expected) in cases {
        assert_eq!(untrusted(text, 200), expected, "{name}");
    }
}

#[test]
fn long_text_is_cut_with_an_ellipsis() {
    assert_eq!(untrusted("abcdef", 3), "abc…");
    assert_eq!(untrusted("abc", 3), "abc");
    assert_eq!(untrusted("ééé€", 3), "ééé…");
}
