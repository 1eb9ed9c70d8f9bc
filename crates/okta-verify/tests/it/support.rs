//! Test support: the fixture keys, a minter for well-formed and malformed tokens, and verifiers
//! built with a fixed clock.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use okta_config::{Audience, ClientId, Issuer, Scope};
use okta_verify::{
    AccessTokenOptions, AccessTokenVerifier, Clock, IdTokenChecks, IdTokenOptions, IdTokenVerifier,
    JwksCache, VerifyError,
};
use serde_json::{Value, json};

/// The fixed "now" of every test, seconds since the epoch (2023-11-14T22:13:20Z).
pub(crate) const NOW: i64 = 1_700_000_000;
pub(crate) const ISSUER: &str = "https://example.okta.com/oauth2/default";
pub(crate) const AUDIENCE: &str = "api://default";
pub(crate) const CLIENT_ID: &str = "0oa1client";

/// A fixture key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// RSA 2048, kid `key-a`: signs by default.
    RsaA,
    /// RSA 2048, kid `key-b`.
    RsaB,
    /// EC P-256, kid `key-ec`.
    Ec,
    /// RSA 2048 that is in no published key set (an attacker's key).
    Attacker,
}

impl Key {
    pub(crate) fn file(self) -> &'static str {
        match self {
            Self::RsaA => "rsa-a.pem",
            Self::RsaB => "rsa-b.pem",
            Self::Ec => "ec-p256.pem",
            Self::Attacker => "rsa-attacker.pem",
        }
    }

    pub(crate) fn kid(self) -> &'static str {
        match self {
            Self::RsaA => "key-a",
            Self::RsaB => "key-b",
            Self::Ec => "key-ec",
            Self::Attacker => "key-attacker",
        }
    }

    pub(crate) fn is_ec(self) -> bool {
        self == Self::Ec
    }

    pub(crate) fn pem(self) -> String {
        std::fs::read_to_string(data_dir().join(self.file()))
            .unwrap_or_else(|err| panic!("reading fixture {}: {err}", self.file()))
    }

    pub(crate) fn encoding_key(self) -> EncodingKey {
        if self.is_ec() {
            EncodingKey::from_ec_pem(self.pem().as_bytes()).unwrap()
        } else {
            EncodingKey::from_rsa_pem(self.pem().as_bytes()).unwrap()
        }
    }

    /// The public JWK, computed by jsonwebtoken (independently of okta-verify).
    pub(crate) fn public_jwk(self) -> Value {
        let alg = if self.is_ec() {
            jsonwebtoken::Algorithm::ES256
        } else {
            jsonwebtoken::Algorithm::RS256
        };
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&self.encoding_key(), alg).unwrap();
        jwk.common.key_id = Some(self.kid().to_owned());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        serde_json::to_value(jwk).unwrap()
    }
}

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The committed key set: `key-a`, `key-b` and `key-ec`.
pub(crate) fn jwks_json() -> String {
    static JWKS: OnceLock<String> = OnceLock::new();
    JWKS.get_or_init(|| std::fs::read_to_string(data_dir().join("jwks.json")).unwrap()).clone()
}

/// A key set made of these JWKs.
pub(crate) fn jwks_of(keys: impl IntoIterator<Item = Value>) -> String {
    json!({ "keys": keys.into_iter().collect::<Vec<_>>() }).to_string()
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs `header` and `payload` exactly as given (any JSON text, valid or not).
pub(crate) fn sign_raw(
    header: &str,
    payload: &str,
    key: Key,
    alg: jsonwebtoken::Algorithm,
) -> String {
    let signing_input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature =
        jsonwebtoken::crypto::sign(signing_input.as_bytes(), &key.encoding_key(), alg).unwrap();
    format!("{signing_input}.{signature}")
}

/// An RS256 token from `key` with a `{"alg":"RS256","kid":...}` header.
pub(crate) fn token(key: Key, claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "kid": key.kid() }).to_string();
    sign_raw(&header, &claims.to_string(), key, jsonwebtoken::Algorithm::RS256)
}

/// An RS256 token from `key-a` with this header.
pub(crate) fn token_with_header(header: &Value, claims: &Value) -> String {
    sign_raw(&header.to_string(), &claims.to_string(), Key::RsaA, jsonwebtoken::Algorithm::RS256)
}

/// The claims of a valid Okta access token at [`NOW`].
pub(crate) fn access_claims() -> Value {
    json!({
        "ver": 1,
        "jti": "AT.fixture",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "cid": CLIENT_ID,
        "uid": "00u1user",
        "scp": ["openid", "orders:read"],
        "auth_time": NOW - 120,
        "sub": "alice@example.com",
        "groups": ["Everyone", "admins"]
    })
}

/// The claims of a valid Okta ID token at [`NOW`].
pub(crate) fn id_claims() -> Value {
    json!({
        "sub": "00u1user",
        "ver": 1,
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "iat": NOW - 60,
        "exp": NOW + 3540,
        "jti": "ID.fixture",
        "amr": ["pwd"],
        "idp": "00o1idp",
        "nonce": "n-0S6_WzA2Mj",
        "auth_time": NOW - 120,
        "email": "alice@example.com",
        "at_hash": okta_verify::at_hash_of(&access_token(), okta_verify::Algorithm::Rs256)
    })
}

/// The valid access token of the fixtures.
pub(crate) fn access_token() -> String {
    token(Key::RsaA, &access_claims())
}

/// `claims` with members replaced (a `null` in `patch` removes the member).
pub(crate) fn patched(mut claims: Value, patch: &Value) -> Value {
    let object = claims.as_object_mut().unwrap();
    for (name, value) in patch.as_object().unwrap() {
        if value.is_null() {
            object.remove(name);
        } else {
            object.insert(name.clone(), value.clone());
        }
    }
    claims
}

pub(crate) fn static_keys() -> JwksCache {
    JwksCache::from_json(jwks_json().as_bytes()).unwrap()
}

/// `text` as an issuer (the test's own constant: valid).
pub(crate) fn issuer(text: &str) -> Issuer {
    Issuer::parse(text).unwrap()
}

/// `text` as an audience.
pub(crate) fn audience(text: &str) -> Audience {
    Audience::parse(text).unwrap()
}

/// `text` as a client id.
pub(crate) fn client_id(text: &str) -> ClientId {
    ClientId::parse(text).unwrap()
}

/// `text` as a scope.
pub(crate) fn scope(text: &str) -> Scope {
    Scope::parse(text).unwrap()
}

pub(crate) fn access_options() -> AccessTokenOptions {
    let mut options = AccessTokenOptions::new(issuer(ISSUER), [audience(AUDIENCE)]);
    options.any_client = true;
    options.clock = Clock::fixed_unix(NOW.unsigned_abs());
    options
}

pub(crate) fn access_verifier() -> AccessTokenVerifier {
    AccessTokenVerifier::new(access_options(), static_keys()).unwrap()
}

pub(crate) fn id_options() -> IdTokenOptions {
    let mut options = IdTokenOptions::new(issuer(ISSUER), client_id(CLIENT_ID));
    options.clock = Clock::fixed_unix(NOW.unsigned_abs());
    options
}

pub(crate) fn id_verifier() -> IdTokenVerifier {
    IdTokenVerifier::new(id_options(), static_keys()).unwrap()
}

/// A one-line description of a verification result, for snapshots.
pub(crate) fn outcome<T>(
    result: &Result<T, VerifyError>,
    describe: impl Fn(&T) -> String,
) -> String {
    match result {
        Ok(value) => format!("ok: {}", describe(value)),
        Err(err) => {
            // The message and each of its causes, as `{:#}` in anyhow prints them.
            let mut text = format!("{}: {err}", err.kind());
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text = format!("{text}: {cause}");
                source = cause.source();
            }
            text
        }
    }
}

/// Verifies an access token with the default test verifier and describes the result.
pub(crate) async fn verify_access(verifier: &AccessTokenVerifier, token: &str) -> String {
    outcome(&verifier.verify(token).await, |verified| format!("sub={}", verified.claims().sub))
}

/// Verifies an ID token and describes the result.
pub(crate) async fn verify_id(
    verifier: &IdTokenVerifier,
    token: &str,
    checks: &IdTokenChecks<'_>,
) -> String {
    outcome(&verifier.verify(token, checks).await, |verified| {
        format!("sub={}", verified.claims().sub)
    })
}

/// Runs the future on a fresh current-thread runtime (for data-driven tables in plain tests).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// An HTTP client closure that serves `body` with status 200 and counts calls.
pub(crate) fn serve_jwks(
    body: String,
) -> (Arc<dyn okta_http::HttpClient>, Arc<std::sync::atomic::AtomicUsize>) {
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let body = Arc::new(std::sync::Mutex::new(body));
    let client = move |_request: http::Request<Vec<u8>>| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let body = body.lock().unwrap().clone();
        async move { Ok(http::Response::builder().status(200).body(body.into_bytes()).unwrap()) }
    };
    (Arc::new(client), calls)
}
