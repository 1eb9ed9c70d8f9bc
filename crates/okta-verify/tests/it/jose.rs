//! JOSE: header and signature attacks (SC-071 to SC-091), through `AccessTokenVerifier`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use expect_test::{Expect, expect};
use jsonwebtoken::Algorithm as Jwt;
use okta_verify::{AccessTokenVerifier, Algorithm, JwksCache};
use serde_json::{Value, json};

use crate::support::{
    Key, access_claims, access_options, access_token, access_verifier, b64, block_on, jwks_of,
    patched, serve_jwks, sign_raw, static_keys, token, token_with_header, verify_access,
};

/// Verifies each `(name, token)` with `verifier` and compares the outcomes with `expect`.
fn check(verifier: &AccessTokenVerifier, cases: Vec<(&str, String)>, expect: Expect) {
    let mut out = String::new();
    block_on(async {
        for (name, token) in cases {
            writeln!(out, "{name} => {}", verify_access(verifier, &token).await).unwrap();
        }
    });
    expect.assert_eq(&out);
}

fn claims_text() -> String {
    access_claims().to_string()
}

/// `BASE64URL(header).BASE64URL(claims).signature` with no real signature.
fn unsigned(header: &str, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header.as_bytes()), b64(claims_text().as_bytes()))
}

#[test]
fn sc_071_alg_none_in_every_spelling() {
    let cases = ["none", "None", "NONE", "nOnE"]
        .iter()
        .flat_map(|alg| {
            let header = json!({ "alg": alg, "kid": "key-a" }).to_string();
            [(*alg, unsigned(&header, "")), (*alg, unsigned(&header, "c2lnbmF0dXJl"))]
        })
        .collect();
    check(
        &access_verifier(),
        cases,
        expect![[r"
            none => algorithm_not_allowed: algorithm none is not allowed
            none => algorithm_not_allowed: algorithm none is not allowed
            None => algorithm_not_allowed: algorithm None is not allowed
            None => algorithm_not_allowed: algorithm None is not allowed
            NONE => algorithm_not_allowed: algorithm NONE is not allowed
            NONE => algorithm_not_allowed: algorithm NONE is not allowed
            nOnE => algorithm_not_allowed: algorithm nOnE is not allowed
            nOnE => algorithm_not_allowed: algorithm nOnE is not allowed
        "]],
    );
}

#[test]
fn sc_072_hmac_keyed_with_the_public_key() {
    let public_der = {
        use aws_lc_rs::signature::KeyPair as _;
        let pem = Key::RsaA.pem();
        let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).unwrap();
        let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
        pair.public_key().as_ref().to_vec()
    };
    let jwk = Key::RsaA.public_jwk();
    let modulus = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        jwk["n"].as_str().unwrap(),
    )
    .unwrap();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("public key DER", public_der),
        ("JWK n bytes", modulus),
        ("JWK JSON text", jwk.to_string().into_bytes()),
    ];
    let cases = secrets
        .into_iter()
        .map(|(name, secret)| {
            let header = json!({ "alg": "HS256", "kid": "key-a" }).to_string();
            let input = format!("{}.{}", b64(header.as_bytes()), b64(claims_text().as_bytes()));
            let key = jsonwebtoken::EncodingKey::from_secret(&secret);
            let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Jwt::HS256).unwrap();
            (name, format!("{input}.{signature}"))
        })
        .collect();
    check(
        &access_verifier(),
        cases,
        expect![[r"
            public key DER => algorithm_not_allowed: algorithm HS256 is not allowed
            JWK n bytes => algorithm_not_allowed: algorithm HS256 is not allowed
            JWK JSON text => algorithm_not_allowed: algorithm HS256 is not allowed
        "]],
    );
}

#[test]
fn sc_073_validly_signed_with_another_algorithm() {
    let claims = claims_text();
    let rsa = |alg: Jwt, name: &str| {
        sign_raw(&json!({ "alg": name, "kid": "key-a" }).to_string(), &claims, Key::RsaA, alg)
    };
    let cases = vec![
        ("RS384", rsa(Jwt::RS384, "RS384")),
        ("RS512", rsa(Jwt::RS512, "RS512")),
        ("PS256", rsa(Jwt::PS256, "PS256")),
        (
            "ES256",
            sign_raw(
                &json!({ "alg": "ES256", "kid": "key-ec" }).to_string(),
                &claims,
                Key::Ec,
                Jwt::ES256,
            ),
        ),
    ];
    check(
        &access_verifier(),
        cases.clone(),
        expect![[r"
            RS384 => algorithm_not_allowed: algorithm RS384 is not allowed
            RS512 => algorithm_not_allowed: algorithm RS512 is not allowed
            PS256 => algorithm_not_allowed: algorithm PS256 is not allowed
            ES256 => algorithm_not_allowed: algorithm ES256 is not allowed
        "]],
    );
    // The same tokens pass once the service allows those algorithms and the keys do not pin
    // RS256: the refusal above is the allow-list, not a broken signature.
    let mut options = access_options();
    options.algorithms =
        vec![Algorithm::Rs384, Algorithm::Rs512, Algorithm::Ps256, Algorithm::Es256];
    let unpinned = jwks_of([Key::RsaA.public_jwk(), Key::Ec.public_jwk()].map(|mut jwk| {
        jwk.as_object_mut().unwrap().remove("alg");
        jwk
    }));
    let widened =
        AccessTokenVerifier::new(options, JwksCache::from_json(unpinned.as_bytes()).unwrap())
            .unwrap();
    check(
        &widened,
        cases,
        expect![[r"
            RS384 => ok: sub=alice@example.com
            RS512 => ok: sub=alice@example.com
            PS256 => ok: sub=alice@example.com
            ES256 => ok: sub=alice@example.com
        "]],
    );
}

#[test]
fn sc_074_alg_missing_null_number_or_padded() {
    let cases = vec![
        ("missing", unsigned(r#"{"kid":"key-a"}"#, "c2ln")),
        ("null", unsigned(r#"{"alg":null,"kid":"key-a"}"#, "c2ln")),
        ("number", unsigned(r#"{"alg":256,"kid":"key-a"}"#, "c2ln")),
        ("trailing space", unsigned(r#"{"alg":"RS256 ","kid":"key-a"}"#, "c2ln")),
        ("empty", unsigned(r#"{"alg":"","kid":"key-a"}"#, "c2ln")),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            missing => malformed: malformed token: header has no `alg`
            null => malformed: malformed token: header is not a JSON object without duplicate members
            number => malformed: malformed token: header is not a JSON object without duplicate members
            trailing space => malformed: malformed token: header `alg` is not an algorithm name
            empty => malformed: malformed token: header `alg` is not an algorithm name
        "]],
    );
}

#[test]
fn sc_075_es256_signature_encodings() {
    let mut options = access_options();
    options.algorithms = vec![Algorithm::Es256];
    let verifier = AccessTokenVerifier::new(options, static_keys()).unwrap();
    let header = json!({ "alg": "ES256", "kid": "key-ec" }).to_string();
    let valid = sign_raw(&header, &claims_text(), Key::Ec, Jwt::ES256);
    let (input, signature) = valid.rsplit_once('.').unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
        .unwrap();
    let with = |bytes: &[u8]| format!("{input}.{}", b64(bytes));
    let der = {
        // SEQUENCE { INTEGER r, INTEGER s }, each with a leading zero if its high bit is set.
        let integer = |half: &[u8]| {
            let mut value = half.to_vec();
            if value[0] & 0x80 != 0 {
                value.insert(0, 0);
            }
            let mut out = vec![0x02, u8::try_from(value.len()).unwrap()];
            out.extend(value);
            out
        };
        let mut body = integer(&raw[..32]);
        body.extend(integer(&raw[32..]));
        let mut out = vec![0x30, u8::try_from(body.len()).unwrap()];
        out.extend(body);
        out
    };
    let cases = vec![
        ("valid", valid.clone()),
        ("r=0 s=0", with(&[0_u8; 64])),
        ("r=s=0xff..", with(&[0xff_u8; 64])),
        ("DER encoded", with(&der)),
        ("63 bytes", with(&raw[..63])),
        ("65 bytes", with(&[raw.as_slice(), &[0]].concat())),
    ];
    check(
        &verifier,
        cases,
        expect![[r"
            valid => ok: sub=alice@example.com
            r=0 s=0 => invalid_signature: invalid signature
            r=s=0xff.. => invalid_signature: invalid signature
            DER encoded => invalid_signature: invalid signature
            63 bytes => invalid_signature: invalid signature
            65 bytes => invalid_signature: invalid signature
        "]],
    );
}

#[test]
fn sc_076_to_078_header_keys_and_urls_are_ignored() {
    let attacker_jwk = Key::Attacker.public_jwk();
    let claims = access_claims();
    let with_header = |header: Value| {
        sign_raw(&header.to_string(), &claims.to_string(), Key::Attacker, Jwt::RS256)
    };
    let cases = vec![
        // SC-076: an embedded `jwk`, validly signed with its private key.
        (
            "jwk, attacker kid",
            with_header(json!({ "alg": "RS256", "kid": "key-attacker", "jwk": attacker_jwk })),
        ),
        (
            "jwk, victim kid",
            with_header(json!({ "alg": "RS256", "kid": "key-a", "jwk": attacker_jwk })),
        ),
        // SC-077: key URLs.
        (
            "jku",
            with_header(
                json!({ "alg": "RS256", "kid": "key-a", "jku": "https://evil.example/jwks" }),
            ),
        ),
        (
            "x5u",
            with_header(
                json!({ "alg": "RS256", "kid": "key-a", "x5u": "http://169.254.169.254/" }),
            ),
        ),
        // SC-078: a self-signed chain (its content is never read).
        (
            "x5c",
            with_header(
                json!({ "alg": "RS256", "kid": "key-a", "x5c": ["MIIBszCCAVmgAwIBAgIUdGVzdA"] }),
            ),
        ),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r#"
            jwk, attacker kid => key_not_found: no key found for kid "key-attacker"
            jwk, victim kid => invalid_signature: invalid signature
            jku => invalid_signature: invalid signature
            x5u => invalid_signature: invalid signature
            x5c => invalid_signature: invalid signature
        "#]],
    );
}

#[tokio::test]
async fn sc_077_no_request_goes_to_header_urls() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorder = Arc::clone(&seen);
    let jwks = crate::support::jwks_json();
    let client = move |request: http::Request<Vec<u8>>| {
        recorder.lock().unwrap().push(request.uri().to_string());
        let body = jwks.clone().into_bytes();
        async move { Ok(http::Response::builder().status(200).body(body).unwrap()) }
    };
    let keys = JwksCache::remote(
        "https://example.okta.com/oauth2/default/v1/keys".parse().unwrap(),
        Arc::new(client),
        okta_verify::JwksCacheOptions::default(),
        okta_verify::Clock::fixed_unix(1_700_000_000),
    )
    .unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    for header in [
        json!({ "alg": "RS256", "kid": "evil", "jku": "https://evil.example/jwks" }),
        json!({ "alg": "RS256", "kid": "evil", "x5u": "http://169.254.169.254/latest" }),
    ] {
        let forged = sign_raw(&header.to_string(), &claims_text(), Key::Attacker, Jwt::RS256);
        assert_eq!(verifier.verify(&forged).await.unwrap_err().kind(), "key_not_found");
    }
    // Only the configured key set is ever fetched: the first load, then one refetch for the
    // unknown kid; never the header's URLs.
    let keys_url = "https://example.okta.com/oauth2/default/v1/keys";
    assert_eq!(*seen.lock().unwrap(), [keys_url, keys_url]);
}

#[tokio::test]
async fn sc_079_hostile_kids_are_opaque_and_fetch_at_most_once() {
    let (http, calls) = serve_jwks(crate::support::jwks_json());
    let keys = JwksCache::remote(
        "https://example.okta.com/oauth2/default/v1/keys".parse().unwrap(),
        http,
        okta_verify::JwksCacheOptions::default(),
        okta_verify::Clock::fixed_unix(1_700_000_000),
    )
    .unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    let long = "k".repeat(8 * 1024);
    let mut out = String::new();
    for kid in ["../../dev/null", "' OR 1=1--", "\u{0}", &long, "https://evil.example/k", "a\nb"] {
        let header = json!({ "alg": "RS256", "kid": kid }).to_string();
        let forged = sign_raw(&header, &claims_text(), Key::RsaA, Jwt::RS256);
        writeln!(out, "{}", verify_access(&verifier, &forged).await).unwrap();
    }
    expect![[r#"
        key_not_found: no key found for kid "../../dev/null"
        key_not_found: no key found for kid "\' OR 1=1--"
        key_not_found: no key found for kid "\0"
        key_not_found: no key found for kid "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…"
        key_not_found: no key found for kid "https://evil.example/k"
        key_not_found: no key found for kid "a\nb"
    "#]]
    .assert_eq(&out);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the first load, one refetch for an unknown kid, then the cooldown refuses at once"
    );
}

#[test]
fn sc_080_081_crit_and_unencoded_payloads_are_refused() {
    let claims = access_claims();
    let cases = vec![
        (
            "crit x-ext",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "crit": ["x-ext"], "x-ext": 1 }),
                &claims,
            ),
        ),
        (
            "crit exp",
            token_with_header(&json!({ "alg": "RS256", "kid": "key-a", "crit": ["exp"] }), &claims),
        ),
        (
            "crit []",
            token_with_header(&json!({ "alg": "RS256", "kid": "key-a", "crit": [] }), &claims),
        ),
        (
            "crit string",
            token_with_header(&json!({ "alg": "RS256", "kid": "key-a", "crit": "b64" }), &claims),
        ),
        (
            "b64 false",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "b64": false, "crit": ["b64"] }),
                &claims,
            ),
        ),
        (
            "b64 alone",
            token_with_header(&json!({ "alg": "RS256", "kid": "key-a", "b64": false }), &claims),
        ),
        (
            "zip",
            token_with_header(&json!({ "alg": "RS256", "kid": "key-a", "zip": "DEF" }), &claims),
        ),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            crit x-ext => unsupported_header: unsupported header parameter `crit`
            crit exp => unsupported_header: unsupported header parameter `crit`
            crit [] => unsupported_header: unsupported header parameter `crit`
            crit string => unsupported_header: unsupported header parameter `crit`
            b64 false => unsupported_header: unsupported header parameter `b64`
            b64 alone => unsupported_header: unsupported header parameter `b64`
            zip => unsupported_header: unsupported header parameter `zip`
        "]],
    );
}

#[test]
fn sc_082_duplicate_members_in_header_and_payload() {
    let claims = claims_text();
    let payload_with = |duplicate: &str| format!("{}{duplicate}}}", &claims[..claims.len() - 1]);
    let signed = |header: &str, payload: &str| sign_raw(header, payload, Key::RsaA, Jwt::RS256);
    let header = r#"{"alg":"RS256","kid":"key-a"}"#;
    let cases = vec![
        ("header alg twice", signed(r#"{"alg":"RS256","alg":"none","kid":"key-a"}"#, &claims)),
        ("header kid twice", signed(r#"{"alg":"RS256","kid":"key-b","kid":"key-a"}"#, &claims)),
        (
            "header escaped alg",
            signed(r#"{"alg":"RS256","al\u0067":"none","kid":"key-a"}"#, &claims),
        ),
        (
            "header x5u twice",
            signed(r#"{"alg":"RS256","kid":"key-a","x5u":"a","x5u":"b"}"#, &claims),
        ),
        ("payload sub twice", signed(header, &payload_with(r#","sub":"mallory""#))),
        ("payload iss twice", signed(header, &payload_with(r#","iss":"https://evil.example""#))),
        ("payload aud twice", signed(header, &payload_with(r#","aud":"api://other""#))),
        ("payload custom twice", signed(header, &payload_with(r#","groups":["root"]"#))),
        ("nested duplicate", signed(header, &payload_with(r#","address":{"a":1,"a":2}"#))),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            header alg twice => malformed: malformed token: header is not a JSON object without duplicate members
            header kid twice => malformed: malformed token: header is not a JSON object without duplicate members
            header escaped alg => malformed: malformed token: header is not a JSON object without duplicate members
            header x5u twice => malformed: malformed token: header is not a JSON object without duplicate members
            payload sub twice => malformed: malformed token: payload is not a JSON object without duplicate members
            payload iss twice => malformed: malformed token: payload is not a JSON object without duplicate members
            payload aud twice => malformed: malformed token: payload is not a JSON object without duplicate members
            payload custom twice => malformed: malformed token: payload is not a JSON object without duplicate members
            nested duplicate => malformed: malformed token: payload is not a JSON object without duplicate members
        "]],
    );
}

#[test]
fn sc_083_084_jwe_and_nested_tokens() {
    let jwe_header = b64(br#"{"alg":"RSA-OAEP","enc":"A256GCM","kid":"key-a"}"#);
    let cases = vec![
        ("five segments", format!("{jwe_header}.ZW5jcnlwdGVka2V5.aXY.Y2lwaGVydGV4dA.dGFn")),
        (
            "enc in three segments",
            unsigned(r#"{"alg":"RS256","enc":"A256GCM","kid":"key-a"}"#, "c2ln"),
        ),
        (
            "cty JWT",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "cty": "JWT" }),
                &access_claims(),
            ),
        ),
        (
            "cty jwt",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "cty": "jwt" }),
                &access_claims(),
            ),
        ),
        (
            "cty application/jwt",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "cty": "application/jwt" }),
                &access_claims(),
            ),
        ),
        (
            "cty other",
            token_with_header(
                &json!({ "alg": "RS256", "kid": "key-a", "cty": "text/plain" }),
                &access_claims(),
            ),
        ),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            five segments => jwe_unsupported: encrypted tokens (JWE) are not supported
            enc in three segments => jwe_unsupported: encrypted tokens (JWE) are not supported
            cty JWT => nested_jwt_unsupported: nested tokens (cty: JWT) are not supported
            cty jwt => nested_jwt_unsupported: nested tokens (cty: JWT) are not supported
            cty application/jwt => nested_jwt_unsupported: nested tokens (cty: JWT) are not supported
            cty other => unsupported_header: unsupported header parameter `cty`
        "]],
    );
}

#[test]
fn sc_085_to_087_syntax() {
    let valid = access_token();
    let parts: Vec<&str> = valid.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    let cases: Vec<(&str, String)> = vec![
        // SC-085: JSON serializations and a polyglot.
        ("flattened JSON", json!({ "protected": header, "payload": payload, "signature": signature }).to_string()),
        ("general JSON", json!({ "payload": payload, "signatures": [{ "protected": header, "signature": signature }] }).to_string()),
        ("polyglot", format!("{header}.{payload}.{signature}{{\"payload\":\"{payload}\"}}")),
        // SC-086: shapes.
        ("empty", String::new()),
        (".", ".".to_owned()),
        ("..", "..".to_owned()),
        ("a.b", "a.b".to_owned()),
        ("four segments", format!("{valid}.x")),
        ("trailing dot", format!("{valid}.")),
        ("empty header", format!(".{payload}.{signature}")),
        ("empty payload", format!("{header}..{signature}")),
        ("empty signature", format!("{header}.{payload}.")),
        ("+ and /", format!("{header}.{payload}.{}", signature.replace('-', "+").replace('_', "/"))),
        ("padding", format!("{header}=.{payload}.{signature}")),
        ("leading space", format!(" {valid}")),
        ("trailing newline", format!("{valid}\n")),
        // SC-087: headers that are not JSON objects.
        ("header array", unsigned(r#"["RS256"]"#, "c2ln")),
        ("header string", unsigned(r#""RS256""#, "c2ln")),
        ("header invalid UTF-8", format!("{}.{payload}.{signature}", b64(b"{\"alg\":\"RS\xff256\"}"))),
        ("header BOM", format!("{}.{payload}.{signature}", b64("\u{feff}{\"alg\":\"RS256\"}".as_bytes()))),
        ("header trailing garbage", format!("{}.{payload}.{signature}", b64(br#"{"alg":"RS256","kid":"key-a"}x"#))),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            flattened JSON => malformed: malformed token: JWS JSON serialization is not supported
            general JSON => malformed: malformed token: JWS JSON serialization is not supported
            polyglot => malformed: malformed token: signature is not unpadded base64url
            empty => malformed: malformed token: a compact JWS has exactly three segments
            . => malformed: malformed token: a compact JWS has exactly three segments
            .. => malformed: malformed token: empty header segment
            a.b => malformed: malformed token: a compact JWS has exactly three segments
            four segments => malformed: malformed token: a compact JWS has exactly three segments
            trailing dot => malformed: malformed token: a compact JWS has exactly three segments
            empty header => malformed: malformed token: empty header segment
            empty payload => malformed: malformed token: empty payload segment
            empty signature => malformed: malformed token: empty signature segment
            + and / => malformed: malformed token: signature is not unpadded base64url
            padding => malformed: malformed token: header is not unpadded base64url
            leading space => malformed: malformed token: header is not unpadded base64url
            trailing newline => malformed: malformed token: signature is not unpadded base64url
            header array => malformed: malformed token: header is not a JSON object without duplicate members
            header string => malformed: malformed token: header is not a JSON object without duplicate members
            header invalid UTF-8 => malformed: malformed token: header is not a JSON object without duplicate members
            header BOM => malformed: malformed token: header is not a JSON object without duplicate members
            header trailing garbage => malformed: malformed token: header has trailing characters
        "]],
    );
}

#[test]
fn sc_088_bad_signature_wins_over_expiry() {
    let expired =
        token(Key::RsaA, &patched(access_claims(), &json!({ "iat": 1_000, "exp": 2_000 })));
    let (input, _) = expired.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", b64(&[0x5a; 256]));
    let payload_garbage =
        format!("{}.{}.{}", input.split('.').next().unwrap(), b64(b"not json"), b64(&[1; 256]));
    check(
        &access_verifier(),
        vec![
            ("expired", expired),
            ("expired, bad signature", forged),
            ("not JSON, bad signature", payload_garbage),
        ],
        expect![[r"
            expired => expired: token expired at 2000 (now 1700000000, leeway 120 s)
            expired, bad signature => invalid_signature: invalid signature
            not JSON, bad signature => invalid_signature: invalid signature
        "]],
    );
}

#[test]
fn sc_089_modified_header_payload_or_signature() {
    let valid = access_token();
    let (input, signature) = valid.rsplit_once('.').unwrap();
    let (header, payload) = input.split_once('.').unwrap();
    let resigned_header = b64(br#"{"alg":"RS256","kid":"key-a","x":1}"#);
    let mut other_payload = access_claims();
    other_payload["sub"] = json!("mallory@example.com");
    let raw_signature =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
            .unwrap();
    let xored: Vec<u8> = raw_signature.iter().map(|byte| byte ^ 0x5a).collect();
    let cases = vec![
        ("header changed", format!("{resigned_header}.{payload}.{signature}")),
        (
            "payload changed",
            format!("{header}.{}.{signature}", b64(other_payload.to_string().as_bytes())),
        ),
        ("signature XOR 0x5A", format!("{input}.{}", b64(&xored))),
        (
            "signature + 1 byte",
            format!("{input}.{}", b64(&[raw_signature.as_slice(), &[0]].concat())),
        ),
        ("signature - 1 byte", format!("{input}.{}", b64(&raw_signature[1..]))),
        ("signature 2 KiB", format!("{input}.{}", b64(&[7; 2048]))),
    ];
    check(
        &access_verifier(),
        cases,
        expect![[r"
            header changed => invalid_signature: invalid signature
            payload changed => invalid_signature: invalid signature
            signature XOR 0x5A => invalid_signature: invalid signature
            signature + 1 byte => invalid_signature: invalid signature
            signature - 1 byte => invalid_signature: invalid signature
            signature 2 KiB => malformed: malformed token: signature too long
        "]],
    );
}

/// SC-089 and SC-120: every single-character change of a valid token is refused, without panic.
#[test]
fn sc_089_every_character_flip_is_rejected() {
    let valid = access_token();
    let verifier = access_verifier();
    block_on(async {
        assert!(verifier.verify(&valid).await.is_ok());
        for position in 0..valid.len() {
            let mut bytes = valid.clone().into_bytes();
            bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(verifier.verify(&changed).await.is_err(), "position {position} accepted");
        }
    });
}

fn weak_jwk(kid: &str, modulus: &[u8], exponent: &[u8]) -> Value {
    json!({ "kty": "RSA", "kid": kid, "use": "sig", "n": b64(modulus), "e": b64(exponent) })
}

#[test]
fn sc_090_091_weak_rsa_keys_are_unusable() {
    let mut modulus_1024 = vec![0xc5_u8; 128];
    modulus_1024[127] |= 1;
    let modulus_8200 = vec![0xc5_u8; 1025];
    let good_modulus = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        Key::RsaA.public_jwk()["n"].as_str().unwrap(),
    )
    .unwrap();
    let with_zero = [&[0_u8][..], &good_modulus].concat();
    let jwks = jwks_of([
        weak_jwk("rsa-1024", &modulus_1024, &[1, 0, 1]),
        weak_jwk("rsa-8200", &modulus_8200, &[1, 0, 1]),
        weak_jwk("e-1", &good_modulus, &[1]),
        weak_jwk("e-3", &good_modulus, &[3]),
        weak_jwk("e-even", &good_modulus, &[1, 0, 0]),
        weak_jwk("e-2^32", &good_modulus, &[1, 0, 0, 0, 1]),
        weak_jwk("n-leading-zero", &with_zero, &[1, 0, 1]),
        weak_jwk("e-leading-zero", &good_modulus, &[0, 1, 0, 1]),
    ]);
    let keys = JwksCache::from_json(jwks.as_bytes()).unwrap();
    let verifier = AccessTokenVerifier::new(access_options(), keys).unwrap();
    let cases = [
        "rsa-1024",
        "rsa-8200",
        "e-1",
        "e-3",
        "e-even",
        "e-2^32",
        "n-leading-zero",
        "e-leading-zero",
    ]
    .into_iter()
    .map(|kid| {
        let header = json!({ "alg": "RS256", "kid": kid });
        (kid, token_with_header(&header, &access_claims()))
    })
    .collect();
    check(
        &verifier,
        cases,
        expect![[r#"
            rsa-1024 => key_unusable: key "rsa-1024" is unusable: the RSA key is shorter than 2048 bits
            rsa-8200 => key_unusable: key "rsa-8200" is unusable: the RSA key is longer than 8192 bits
            e-1 => key_unusable: key "e-1" is unusable: the RSA exponent is not odd and at least 65537
            e-3 => key_unusable: key "e-3" is unusable: the RSA exponent is not odd and at least 65537
            e-even => key_unusable: key "e-even" is unusable: the RSA exponent is not odd and at least 65537
            e-2^32 => key_unusable: key "e-2^32" is unusable: the RSA exponent is not a minimal integer below 2^32
            n-leading-zero => key_unusable: key "n-leading-zero" is unusable: the RSA modulus has leading zero octets
            e-leading-zero => key_unusable: key "e-leading-zero" is unusable: the RSA exponent is not a minimal integer below 2^32
        "#]],
    );
}

/// SC-120 (property, deterministic): random mutations of a valid token, and random text, are all
/// refused without a panic.
#[test]
fn random_mutations_are_refused() {
    let valid = access_token();
    let verifier = access_verifier();
    // xorshift64*: reproducible without a dependency.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/= {}\"";
    block_on(async {
        for round in 0..2000 {
            let mut bytes = valid.clone().into_bytes();
            let edits = 1 + next() % 4;
            for _ in 0..edits {
                let position = usize::try_from(next() % bytes.len() as u64).unwrap();
                match next() % 3 {
                    0 => {
                        bytes[position] =
                            alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()];
                    }
                    1 => {
                        bytes.remove(position);
                    }
                    _ => bytes.insert(
                        position,
                        alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()],
                    ),
                }
            }
            let mutated = String::from_utf8(bytes).unwrap();
            if mutated != valid {
                assert!(
                    verifier.verify(&mutated).await.is_err(),
                    "round {round} accepted {mutated}"
                );
            }
            let garbage: String = (0..next() % 200)
                .map(|_| {
                    char::from(alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()])
                })
                .collect();
            assert!(verifier.verify(&garbage).await.is_err());
        }
    });
}
