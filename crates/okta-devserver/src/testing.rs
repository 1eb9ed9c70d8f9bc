//! Test support: a server driven in-process with `oneshot`, a manual clock, and helpers for the
//! common steps of the flow.

use std::time::{Duration, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _};
use axum::body::{Body, Bytes, to_bytes};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, Request, StatusCode, header};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::crypto::{b64url, sha256};
use crate::form::form_encode;
use crate::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REDIRECT_URI, DEMO_USERNAME, DevServer,
    DevServerBuilder, ManualClock,
};

/// The time the harness clock starts at (2027-01-15T08:00:00Z).
pub(crate) const START: u64 = 1_800_000_000;

/// A fixed verifier and its S256 challenge (RFC 7636 appendix B).
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A running server, its router and its clock.
pub(crate) struct Harness {
    pub(crate) server: DevServer,
    pub(crate) clock: ManualClock,
}

/// A response, fully read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `Location` header as a URL.
    pub(crate) fn location(&self) -> url::Url {
        let location = self
            .header("location")
            .unwrap_or_else(|| panic!("no Location: {} {}", self.status, self.text()));
        url::Url::parse(location).expect("an absolute Location")
    }

    /// A query parameter of the `Location` header.
    pub(crate) fn location_param(&self, name: &str) -> Option<String> {
        self.location()
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// The `sid=...` part of `Set-Cookie`.
    pub(crate) fn session_cookie(&self) -> String {
        let cookie = self.header("set-cookie").expect("a Set-Cookie header");
        cookie.split(';').next().unwrap_or_default().to_owned()
    }

    /// The hidden `tx` field of a sign-in or consent page.
    pub(crate) fn transaction(&self) -> String {
        let text = self.text();
        let start =
            text.find(r#"name="tx" value=""#).expect("a tx field") + r#"name="tx" value=""#.len();
        text[start..].split('"').next().unwrap_or_default().to_owned()
    }
}

impl Harness {
    /// The demo configuration with admin routes and a manual clock.
    pub(crate) async fn new() -> Self {
        Self::with(|builder| builder).await
    }

    pub(crate) async fn with(configure: impl FnOnce(DevServerBuilder) -> DevServerBuilder) -> Self {
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(START));
        let builder = DevServer::builder().clock(clock.clone()).admin_routes(true);
        let server = configure(builder).start().await.expect("the server starts");
        Self { server, clock }
    }

    /// The harness clock in Unix seconds.
    pub(crate) fn clock_secs(&self) -> u64 {
        crate::clock::unix_secs(self.clock.now())
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.server.router().oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, 64 * 1024 * 1024).await.expect("the body reads");
        Reply { status: parts.status, headers: parts.headers, body }
    }

    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.get_with(uri, &[]).await
    }

    pub(crate) async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).expect("a request")).await
    }

    /// A form POST, with Basic credentials (form-encoded per RFC 6749 §2.3.1) when given.
    pub(crate) async fn post_form(
        &self,
        uri: &str,
        body: &str,
        basic: Option<(&str, &str)>,
    ) -> Reply {
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            request = request.header(header::AUTHORIZATION, basic_header(id, secret));
        }
        self.send(request.body(Body::from(body.to_owned())).expect("a request")).await
    }

    pub(crate) async fn post_json(&self, uri: &str, body: &Value) -> Reply {
        let request = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        self.send(request.body(Body::from(body.to_string())).expect("a request")).await
    }

    /// The demo client's `/authorize` URL on `server` ("org" or a custom id) plus `extra`.
    pub(crate) fn authorize_uri(server: &str, extra: &[(&str, &str)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", DEMO_CLIENT_ID),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("redirect_uri", DEMO_REDIRECT_URI),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            params.retain(|(known, _)| known != name);
            if !value.is_empty() {
                params.push((name, value));
            }
        }
        let query: Vec<String> =
            params.iter().map(|(name, value)| format!("{name}={}", form_encode(value))).collect();
        format!("{}/v1/authorize?{}", base_path(server), query.join("&"))
    }

    /// A `sessionToken` for a user.
    pub(crate) async fn session_token(&self, username: &str, password: &str) -> String {
        let reply = self
            .post_json("/api/v1/authn", &json!({ "username": username, "password": password }))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()["sessionToken"].as_str().expect("a sessionToken").to_owned()
    }

    /// An authorization code for the demo user, through a `sessionToken`.
    pub(crate) async fn code(&self, server: &str, extra: &[(&str, &str)]) -> String {
        let token = self.session_token(DEMO_USERNAME, DEMO_PASSWORD).await;
        let mut params = vec![("sessionToken", token.as_str())];
        params.extend_from_slice(extra);
        let reply = self.get(&Self::authorize_uri(server, &params)).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
        reply.location_param("code").unwrap_or_else(|| panic!("no code in {}", reply.location()))
    }

    /// Exchanges a code with the demo client's credentials and the fixed verifier.
    pub(crate) async fn exchange(&self, server: &str, code: &str) -> Reply {
        let body = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
            form_encode(DEMO_REDIRECT_URI)
        );
        self.post_form(
            &format!("{}/v1/token", base_path(server)),
            &body,
            Some((DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)),
        )
        .await
    }

    /// The whole flow: a token response for the demo user with the default scopes plus `extra`.
    pub(crate) async fn tokens(&self, server: &str, extra: &[(&str, &str)]) -> Value {
        let code = self.code(server, extra).await;
        let reply = self.exchange(server, &code).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()
    }

    /// The JWKS a client would fetch.
    pub(crate) async fn jwks(&self, server: &str) -> Value {
        let reply = self.get(&format!("{}/v1/keys", base_path(server))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.json()
    }
}

/// `/oauth2` for the org server, `/oauth2/{id}` otherwise.
pub(crate) fn base_path(server: &str) -> String {
    if server == "org" { "/oauth2".to_owned() } else { format!("/oauth2/{server}") }
}

pub(crate) fn basic_header(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{}:{}", form_encode(id), form_encode(secret))))
}

/// The decoded header of a JWT.
pub(crate) fn jwt_header(jwt: &str) -> Value {
    decode_segment(jwt, 0)
}

/// The decoded claims of a JWT (no verification).
pub(crate) fn claims(jwt: &str) -> Value {
    decode_segment(jwt, 1)
}

fn decode_segment(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).expect("a JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

/// Whether some key of `jwks` verifies the RS256 signature of `jwt` (claims not checked). Keys
/// are matched by `kid` when the token has one.
pub(crate) fn verifies(jwt: &str, jwks: &Value) -> bool {
    let kid = jwt_header(jwt)["kid"].as_str().map(str::to_owned);
    let mut validation = Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jwks["keys"].as_array().into_iter().flatten().filter(|jwk| jwk["kty"] == "RSA").any(|jwk| {
        let kid_matches = kid.as_deref().is_none_or(|kid| jwk["kid"] == kid);
        let Ok(key) = DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap_or_default(),
            jwk["e"].as_str().unwrap_or_default(),
        ) else {
            return false;
        };
        kid_matches && jsonwebtoken::decode::<Value>(jwt, &key, &validation).is_ok()
    })
}

/// `at_hash` computed independently of the server code.
pub(crate) fn expected_at_hash(access_token: &str) -> String {
    b64url(&sha256(access_token.as_bytes())[..16])
}

/// How a test signs a JWT (a client assertion).
pub(crate) enum TestSigner<'a> {
    /// HS256, HS384 or HS512 with a secret.
    Hmac(&'a str, Algorithm),
    /// A PEM private key: RSA with RS256/384/512, EC P-256 with ES256.
    Pem(&'a str, Algorithm),
    /// An aws-lc ECDSA key pair (P-384 or P-521, which `jsonwebtoken` cannot sign with here),
    /// with the `alg` to write in the header.
    Ecdsa(&'a EcdsaKeyPair),
}

/// A compact JWS of `claims` with `header` (whose `alg` the test chooses), signed by `signer`.
pub(crate) fn sign_jwt(header: &Value, claims: &Value, signer: &TestSigner<'_>) -> String {
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let signature = match signer {
        TestSigner::Hmac(secret, alg) => {
            let key = EncodingKey::from_secret(secret.as_bytes());
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, *alg).expect("HMAC signs")
        }
        TestSigner::Pem(pem, alg) => {
            let key = match alg {
                Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()),
                _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
            }
            .expect("a PEM private key");
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key, *alg).expect("the key signs")
        }
        TestSigner::Ecdsa(pair) => {
            let signature =
                pair.sign(&SystemRandom::new(), signing_input.as_bytes()).expect("ECDSA signs");
            b64url(signature.as_ref())
        }
    };
    format!("{signing_input}.{signature}")
}

/// A client assertion's claims: `iss` = `sub` = `client_id`, `aud`, `iat` = `now`, `exp` five
/// minutes later and a random `jti`.
pub(crate) fn assertion_claims(client_id: &str, aud: &str, now: u64) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": crate::crypto::random_token(16),
    })
}

/// A fresh ECDSA key pair (`ECDSA_P384_SHA384_FIXED_SIGNING`, `ECDSA_P521_SHA512_FIXED_SIGNING`).
pub(crate) fn ecdsa_key(alg: &'static EcdsaSigningAlgorithm) -> EcdsaKeyPair {
    EcdsaKeyPair::generate(alg).expect("aws-lc generates an EC key")
}

/// The public JWK of an aws-lc ECDSA key pair.
pub(crate) fn ecdsa_jwk(pair: &EcdsaKeyPair, crv: &str, kid: &str) -> Value {
    let point = pair.public_key().as_ref();
    let half = (point.len() - 1) / 2;
    json!({
        "kty": "EC",
        "crv": crv,
        "kid": kid,
        "x": b64url(&point[1..=half]),
        "y": b64url(&point[1 + half..]),
    })
}
