//! `okta decode`: header and claims with dates, labelled UNVERIFIED, offline.

use expect_test::expect;
use okta_devserver::DevServer;
use serde_json::json;

use crate::harness::{Okta, mask, now};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decode_shows_header_claims_and_times_unverified() {
    let server = DevServer::builder().start().await.expect("devserver");
    let kid = server.keys().signing_kid("default").expect("kid");
    let now = now();
    let token = server
        .keys()
        .sign(
            "default",
            &json!({
                "iss": server.issuer("default"), "sub": "alice@example.com", "aud": "api://default",
                "iat": now - 5400, "exp": now + 9030, "scp": ["openid"],
            }),
        )
        .expect("signed");
    // Decoding needs no settings and no network: the server could be gone.
    let run = Okta::new(["decode", "-o", "text", &token]).run().await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr, "");
    expect![[r#"
        UNVERIFIED decoded only: the signature, issuer, audience and times were not checked (use `okta verify`)

        Header
        {
          "alg": "RS256",
          "kid": "KID"
        }

        Claims
        {
          "aud": "api://default",
          "exp": EXP,
          "iat": IAT,
          "iss": "http://127.0.0.1:PORT/oauth2/default",
          "scp": [
            "openid"
          ],
          "sub": "alice@example.com"
        }

        Times (now DATE)
          iat        DATE  1 hour 30 minutes ago
          exp        DATE  expires in 2 hours 30 minutes

        Signature 256 bytes, not checked
    "#]]
    .assert_eq(
        &mask(
            &run.stdout
                .replace(&format!(": {},", now - 5400), ": IAT,")
                .replace(&format!(": {},", now + 9030), ": EXP,"),
            &server,
            &[kid],
        ),
    );

    let run =
        Okta::new(["decode", "--json", "-"]).run_with_stdin(&format!("Bearer {token}\n")).await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["verified"], false);
    assert_eq!(json["encrypted"], false);
    assert_eq!(json["header"]["alg"], "RS256");
    assert_eq!(json["claims"]["exp"], now + 9030);
    assert_eq!(json["signature_bytes"], 256);
}

#[tokio::test]
async fn decode_says_what_is_wrong_with_a_broken_token_and_exits_1() {
    let run = Okta::new(["decode", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"]).run().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "okta: error: cannot decode the token: the payload is not a JSON object\n"
    );
}

/// A token whose claims and header hold a right-to-left override, terminal escape sequences and
/// a C1 control: `okta decode` shows them escaped, in the text and in the JSON, and the JSON
/// still parses to the same values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decode_never_prints_terminal_controls_or_bidi_characters_raw() {
    use base64::Engine as _;
    let encode = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let header = json!({"alg": "RS256", "kid": "k\u{1b}]0;title\u{7}"});
    let claims = json!({
        "sub": "alice\u{202e}nimda",
        "name": "\u{1b}[2J\u{1b}[31mred",
        "csi": "\u{9b}31m",
        "\u{2066}key\u{2069}": "\u{200f}",
    });
    let token = format!("{}.{}.c2ln", encode(&header), encode(&claims));
    let raw = |c: char| c.escape_debug().len() > 1 && !"\"'\\\n".contains(c);

    let text = Okta::new(["decode", "--color", "never", "--output", "text", &token]).run().await;
    assert_eq!(text.code, 0, "{text:?}");
    let shown: String = text.stdout.chars().filter(|c| raw(*c)).collect();
    assert_eq!(shown, "", "raw characters on stdout: {text:?}");
    assert!(text.stdout.contains(r#""sub": "alice\u202enimda""#), "{}", text.stdout);
    assert!(text.stdout.contains(r#""name": "\u001b[2J\u001b[31mred""#), "{}", text.stdout);

    let json = Okta::new(["decode", "--json", &token]).run().await;
    assert_eq!(json.code, 0, "{json:?}");
    let shown: String = json.stdout.chars().filter(|c| raw(*c)).collect();
    assert_eq!(shown, "", "raw characters in the JSON: {json:?}");
    let parsed: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("JSON");
    assert_eq!(parsed["claims"], claims, "the same values, escaped differently");
    assert_eq!(parsed["header"], header);
}
