//! Unit tests of the human renderings and the private file writer.

use expect_test::expect;
use serde_json::{Map, Value, json};

use crate::output::{
    DecodeReport, DiscoverReport, EndpointsReport, KeyReport, LoginReport, LoginSummary,
    ServerReport, Style, decode_text, discover_text, login_summary, seconds, terminal_safe_json,
    untrusted, write_private_file,
};

fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

const NOW: i64 = 1_700_000_000;

#[test]
fn decode_shows_dates_and_says_unverified() {
    let report = DecodeReport {
        verified: false,
        encrypted: false,
        header: map(json!({"alg": "RS256", "kid": "k1"})),
        claims: Some(map(json!({
            "sub": "alice@example.com",
            "iat": NOW - 5400,
            "nbf": "soon",
            "exp": NOW + 9030,
        }))),
        signature_bytes: 256,
    };
    expect![[r#"
        UNVERIFIED decoded only: the signature, issuer, audience and times were not checked (use `okta verify`)

        Header
        {
          "alg": "RS256",
          "kid": "k1"
        }

        Claims
        {
          "exp": 1700009030,
          "iat": 1699994600,
          "nbf": "soon",
          "sub": "alice@example.com"
        }

        Times (now 2023-11-14T22:13:20Z)
          iat        2023-11-14T20:43:20Z  1 hour 30 minutes ago
          nbf        not a number of seconds
          exp        2023-11-15T00:43:50Z  expires in 2 hours 30 minutes

        Signature 256 bytes, not checked
    "#]]
    .assert_eq(&decode_text(&report, NOW, Style::PLAIN));
}

#[test]
fn decode_of_an_expired_token_says_how_long_ago_in_red() {
    let report = DecodeReport {
        verified: false,
        encrypted: false,
        header: map(json!({"alg": "RS256"})),
        claims: Some(map(json!({"exp": NOW - 120}))),
        signature_bytes: 0,
    };
    let text = decode_text(&report, NOW, Style { color: true });
    assert!(text.contains("\x1b[1;31mexpired 2 minutes ago\x1b[0m"), "{text}");
    assert!(text.contains("\x1b[1;33mUNVERIFIED\x1b[0m"), "{text}");
}

#[test]
fn numeric_dates_accept_integers_and_finite_floats_only() {
    assert_eq!(seconds(&json!(5)), Some(5));
    assert_eq!(seconds(&json!(5.9)), Some(5));
    assert_eq!(seconds(&json!(1e300)), None);
    assert_eq!(seconds(&json!("5")), None);
    assert_eq!(seconds(&json!(null)), None);
}

#[test]
fn untrusted_text_loses_its_escape_sequences_and_is_cut() {
    assert_eq!(untrusted("kid\x1b[31m", 64), "kid\\u{1b}[31m");
    assert_eq!(untrusted("line\nbreak", 64), "line\\nbreak");
    assert_eq!(untrusted("abcdef", 3), "abc…");
    assert_eq!(untrusted("ünïcode", 64), "ünïcode");
}

#[test]
fn discover_lists_endpoints_methods_and_keys() {
    let report = DiscoverReport {
        issuer: "https://dev-1.okta.com/oauth2/default".to_owned(),
        authorization_server: ServerReport { kind: "custom", id: Some("default".to_owned()) },
        endpoints: EndpointsReport {
            authorization: "https://dev-1.okta.com/oauth2/default/v1/authorize".to_owned(),
            token: "https://dev-1.okta.com/oauth2/default/v1/token".to_owned(),
            userinfo: None,
            jwks: "https://dev-1.okta.com/oauth2/default/v1/keys".to_owned(),
            introspection: "https://dev-1.okta.com/oauth2/default/v1/introspect".to_owned(),
            revocation: "https://dev-1.okta.com/oauth2/default/v1/revoke".to_owned(),
            end_session: None,
        },
        token_endpoint_auth_methods: vec!["client_secret_basic".to_owned()],
        code_challenge_methods: vec!["S256".to_owned()],
        id_token_signing_algs: vec!["RS256".to_owned()],
        scopes_supported: Vec::new(),
        authorization_response_iss_parameter_supported: true,
        keys: vec![
            KeyReport {
                kid: Some("k1".to_owned()),
                kty: Some("RSA".to_owned()),
                alg: Some("RS256".to_owned()),
                key_use: Some("sig".to_owned()),
                bits: Some(2048),
                crv: None,
                usable: true,
            },
            KeyReport {
                kid: Some("evil\x1b]0;title\x07".to_owned()),
                kty: Some("AKP".to_owned()),
                alg: None,
                key_use: None,
                bits: None,
                crv: None,
                usable: false,
            },
        ],
    };
    expect![[r#"
        Issuer   https://dev-1.okta.com/oauth2/default
        Server   custom authorization server "default"

        Endpoints
          authorization  https://dev-1.okta.com/oauth2/default/v1/authorize
          token          https://dev-1.okta.com/oauth2/default/v1/token
          userinfo       (not advertised)
          jwks           https://dev-1.okta.com/oauth2/default/v1/keys
          introspection  https://dev-1.okta.com/oauth2/default/v1/introspect
          revocation     https://dev-1.okta.com/oauth2/default/v1/revoke
          end_session    (not advertised)

        Supported
          client authentication  client_secret_basic
          PKCE methods           S256
          ID token algorithms    RS256
          scopes                 (not advertised)
          iss in responses       yes (RFC 9207)

        Keys (2)
          k1                                           RSA  RS256  sig  2048 bits  usable
          evil\u{1b}]0;title\u{7}                      AKP  -      -    -          unusable
    "#]]
    .assert_eq(&discover_text(&report, Style::PLAIN));
}

#[test]
fn the_login_summary_says_who_what_and_until_when() {
    let report = LoginReport {
        token_type: "Bearer",
        access_token: "at",
        id_token: Some("it"),
        refresh_token: None,
        expires_at: Some(NOW + 3600),
        scope: "openid profile".to_owned(),
        id_token_claims: Some(map(json!({"sub": "00u1"}))),
        access_token_claims: Some(map(json!({"sub": "alice@example.com", "aud": "api://default"}))),
    };
    let audiences = ["api://default".to_owned()];
    let summary = LoginSummary {
        issuer: "https://dev-1.okta.com/oauth2/default",
        report: &report,
        now: NOW,
        audiences: Some(&audiences),
    };
    expect![[r#"
        ✓ Signed in as alice@example.com at https://dev-1.okta.com/oauth2/default
          subject       00u1
          scopes        openid profile
          expires       2023-11-14T23:13:20Z (expires in 1 hour)
          refresh token not granted (ask for it with --scope offline_access)
          ID token      verified
          access token  verified (audience api://default)
    "#]]
    .assert_eq(&login_summary(&summary, Style::PLAIN));
    // The summary never shows a token.
    let text = login_summary(&LoginSummary { audiences: None, ..summary }, Style::PLAIN);
    assert!(text.contains("no audience configured: accepted api://default"), "{text}");
    let org = LoginReport {
        access_token_claims: None,
        scope: report.scope.clone(),
        id_token_claims: report.id_token_claims.clone(),
        ..report
    };
    let text =
        login_summary(&LoginSummary { report: &org, audiences: None, ..summary }, Style::PLAIN);
    assert!(text.contains("opaque to local validation"), "{text}");
    assert!(text.contains("Signed in as 00u1"), "{text}");
}

#[cfg(unix)]
#[test]
fn private_files_are_created_with_mode_0600_even_over_a_wider_file() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokens.json");
    std::fs::write(&path, b"old").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    write_private_file(&path, b"{\"a\":1}").expect("written");
    let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read(&path).expect("read"), b"{\"a\":1}");
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    assert!(write_private_file(dir.path(), b"x").is_err() || dir.path().is_dir());
}

/// Removes the colour codes `Style` emits.
fn strip_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\x1b[") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        rest = after.find('m').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

#[test]
fn colours_never_change_the_layout() {
    let report = LoginReport {
        token_type: "Bearer",
        access_token: "at",
        id_token: None,
        refresh_token: Some("rt"),
        expires_at: Some(NOW + 60),
        scope: "openid".to_owned(),
        id_token_claims: None,
        access_token_claims: None,
    };
    let summary = LoginSummary { issuer: "https://x", report: &report, now: NOW, audiences: None };
    let coloured = login_summary(&summary, Style { color: true });
    assert_ne!(coloured, login_summary(&summary, Style::PLAIN));
    assert_eq!(strip_colours(&coloured), login_summary(&summary, Style::PLAIN));

    let decode = DecodeReport {
        verified: false,
        encrypted: false,
        header: map(json!({"alg": "RS256"})),
        claims: Some(map(json!({"exp": NOW + 60, "iat": NOW}))),
        signature_bytes: 3,
    };
    assert_eq!(
        strip_colours(&decode_text(&decode, NOW, Style { color: true })),
        decode_text(&decode, NOW, Style::PLAIN)
    );
}

#[test]
fn untrusted_text_loses_bidi_and_c1_controls() {
    assert_eq!(untrusted("invoice\u{202e}fdp.exe", 64), r"invoice\u{202e}fdp.exe");
    assert_eq!(
        untrusted("\u{2066}x\u{2069}\u{200e}\u{200f}", 64),
        r"\u{2066}x\u{2069}\u{200e}\u{200f}"
    );
    assert_eq!(untrusted("csi\u{9b}31m", 64), r"csi\u{9b}31m");
    assert_eq!(untrusted("O'Brien", 64), "O'Brien");
}

#[test]
fn json_output_escapes_what_a_terminal_would_interpret_and_stays_the_same_json() {
    let value = json!({
        "name": "Mallory \u{202e}nimda\u{202c}",
        "esc": "\u{1b}[2J\u{1b}]0;pwned\u{7}",
        "c1": "\u{9b}31m",
        "isolates": "\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}",
        "zero width": "a\u{200b}b\u{feff}",
        "astral private use": "\u{f0000}",
        "kept": "Müller 日本 O'Brien \"quoted\" back\\slash 😀",
        "\u{202e}key": 1,
    });
    for text in [
        terminal_safe_json(&serde_json::to_string(&value).unwrap()),
        terminal_safe_json(&serde_json::to_string_pretty(&value).unwrap()),
    ] {
        let interpreted =
            text.chars().filter(|c| c.escape_debug().len() > 1 && !"\"'\\\n".contains(*c));
        assert_eq!(interpreted.collect::<String>(), "", "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value, "the same JSON value");
        assert!(text.contains(r"Mallory \u202enimda\u202c"), "{text}");
        assert!(text.contains(r"\udb80\udc00"), "astral characters as surrogate pairs: {text}");
        assert!(text.contains("Müller 日本 O'Brien"), "{text}");
    }
}
