//! Service-to-service fixtures: the demo service apps and the two demo APIs they call, and the
//! public JWK of a private key, for registering keys of `private_key_jwt` clients.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::config::{AccessPolicy, AuthorizationServer, Client, GrantType, PolicyRule};
use crate::keys::KeyError;

/// The demo service app with a secret (`client_secret_basic`), allowed `client_credentials`.
pub const DEMO_SERVICE_CLIENT_ID: &str = "demo-service";
/// The secret of [`DEMO_SERVICE_CLIENT_ID`].
pub const DEMO_SERVICE_CLIENT_SECRET: &str = "demo-service-secret-0123456789abcdefghij";

/// The demo service app that authenticates with `private_key_jwt`, allowed
/// `client_credentials` (also at the org server, for `okta.users.read` and `okta.apps.read`).
pub const DEMO_JWT_SERVICE_CLIENT_ID: &str = "demo-service-jwt";
/// The `kid` of the RSA key of [`DEMO_JWT_SERVICE_CLIENT_ID`].
pub const DEMO_JWT_SERVICE_RSA_KID: &str = "demo-service-jwt-rsa";
/// The `kid` of the EC (P-256) key of [`DEMO_JWT_SERVICE_CLIENT_ID`].
pub const DEMO_JWT_SERVICE_EC_KID: &str = "demo-service-jwt-ec";
/// The private RSA-2048 key (PKCS#8 PEM) of [`DEMO_JWT_SERVICE_CLIENT_ID`], committed for tests
/// at `crates/okta-devserver/data/demo-service-jwt-rsa.pem`. Never trust it anywhere else.
pub const DEMO_JWT_SERVICE_RSA_KEY_PEM: &str = include_str!("../data/demo-service-jwt-rsa.pem");
/// The private EC P-256 key (PKCS#8 PEM) of [`DEMO_JWT_SERVICE_CLIENT_ID`], committed for
/// tests at `crates/okta-devserver/data/demo-service-jwt-ec.pem`. Never trust it anywhere else.
pub const DEMO_JWT_SERVICE_EC_KEY_PEM: &str = include_str!("../data/demo-service-jwt-ec.pem");

/// The demo service app allowed token exchange (on behalf of a user), `client_secret_basic`.
pub const DEMO_EXCHANGE_CLIENT_ID: &str = "demo-exchange";
/// The secret of [`DEMO_EXCHANGE_CLIENT_ID`].
pub const DEMO_EXCHANGE_CLIENT_SECRET: &str = "demo-exchange-secret-0123456789abcdefghij";

/// The demo API that users and service apps call: custom server `orders`, audience
/// `api://orders`, scopes `orders:read` (default) and `orders:write`.
pub const DEMO_ORDERS_SERVER_ID: &str = "orders";
/// The demo API that the orders API calls on behalf of users: custom server `shipping`,
/// audience `api://shipping`, scopes `shipping:read` (default) and `shipping:write`; it trusts
/// `orders` for token exchange.
pub const DEMO_SHIPPING_SERVER_ID: &str = "shipping";

impl Client {
    /// The demo service app [`DEMO_SERVICE_CLIENT_ID`]: `client_secret_basic`,
    /// `client_credentials`, `orders:read` at the `orders` server.
    pub fn demo_service() -> Self {
        Self::service(DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET)
    }

    /// The demo service app [`DEMO_JWT_SERVICE_CLIENT_ID`]: `private_key_jwt` with an RSA and
    /// an EC key ([`DEMO_JWT_SERVICE_RSA_KEY_PEM`], [`DEMO_JWT_SERVICE_EC_KEY_PEM`]),
    /// `client_credentials`, `orders:read` and `orders:write` at `orders`, `okta.users.read` and
    /// `okta.apps.read` at the org server.
    ///
    /// # Panics
    ///
    /// Only if the committed demo keys did not read, which the crate's tests rule out.
    pub fn demo_jwt_service() -> Self {
        // The two PEMs are compiled in, and `the_demo_keys_read_and_match_their_constants`
        // reads both: they cannot fail here.
        let rsa = public_jwk(DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID)
            .expect("the committed demo RSA key reads");
        let ec = public_jwk(DEMO_JWT_SERVICE_EC_KEY_PEM, DEMO_JWT_SERVICE_EC_KID)
            .expect("the committed demo EC key reads");
        Self::service_with_key(DEMO_JWT_SERVICE_CLIENT_ID, rsa)
            .with_jwk(ec)
            .with_okta_api_scopes(["okta.users.read", "okta.apps.read"])
    }

    /// The demo service app [`DEMO_EXCHANGE_CLIENT_ID`]: `client_secret_basic`, token exchange
    /// only, `shipping:read` at `shipping` on behalf of users signed in at `orders`.
    pub fn demo_exchange_service() -> Self {
        Self::service(DEMO_EXCHANGE_CLIENT_ID, DEMO_EXCHANGE_CLIENT_SECRET)
            .with_grant_types([GrantType::TokenExchange])
    }
}

impl AuthorizationServer {
    /// The demo server [`DEMO_ORDERS_SERVER_ID`] and its access policies: `demo-service` may get
    /// `orders:read`, `demo-service-jwt` `orders:read` and `orders:write`, by
    /// `client_credentials`; every other client only signs users in.
    pub fn demo_orders() -> Self {
        Self::new(DEMO_ORDERS_SERVER_ID)
            .with_audience("api://orders")
            .with_default_scope("orders:read")
            .with_scope("orders:write")
            .with_policy(
                AccessPolicy::new("Batch jobs")
                    .for_clients([DEMO_JWT_SERVICE_CLIENT_ID])
                    .with_rule(
                        PolicyRule::new("Read and write")
                            .with_grant_types([GrantType::ClientCredentials])
                            .with_scopes(["orders:read", "orders:write"]),
                    ),
            )
            .with_policy(
                AccessPolicy::new("Reporting").for_clients([DEMO_SERVICE_CLIENT_ID]).with_rule(
                    PolicyRule::new("Read only")
                        .with_grant_types([GrantType::ClientCredentials])
                        .with_scopes(["orders:read"]),
                ),
            )
            .with_policy(user_sign_in_policy())
    }

    /// The demo server [`DEMO_SHIPPING_SERVER_ID`]: it trusts `orders`, and `demo-exchange` may
    /// exchange users' access tokens for `shipping:read`.
    pub fn demo_shipping() -> Self {
        Self::new(DEMO_SHIPPING_SERVER_ID)
            .with_audience("api://shipping")
            .with_default_scope("shipping:read")
            .with_scope("shipping:write")
            .with_trusted_server(DEMO_ORDERS_SERVER_ID)
            .with_policy(
                AccessPolicy::new("On behalf of users")
                    .for_clients([DEMO_EXCHANGE_CLIENT_ID])
                    .with_rule(
                        PolicyRule::new("Read shipments")
                            .with_grant_types([GrantType::TokenExchange])
                            .with_scopes(["shipping:read"]),
                    ),
            )
            .with_policy(user_sign_in_policy())
    }
}

/// The policy for everyone else: users sign in, no grant without a user.
fn user_sign_in_policy() -> AccessPolicy {
    AccessPolicy::new("Everyone else").with_rule(
        PolicyRule::new("Users sign in")
            .with_grant_types([GrantType::AuthorizationCode, GrantType::RefreshToken]),
    )
}

/// The public JWK of a PEM private key (PKCS#8 RSA, EC P-256 or EC P-384; or PKCS#1 RSA), with
/// `kid` and `use: "sig"`, ready for [`Client::with_jwk`]: a test that signs client assertions
/// with a key registers its public half this way.
///
/// ```
/// let pem = okta_devserver::DEMO_JWT_SERVICE_RSA_KEY_PEM;
/// let jwk = okta_devserver::public_jwk(pem, "my-key").unwrap();
/// assert_eq!(jwk["kty"], "RSA");
/// assert!(jwk.get("d").is_none(), "the public half only");
/// ```
pub fn public_jwk(private_key_pem: &str, kid: &str) -> Result<Value, KeyError> {
    let invalid = |error: jsonwebtoken::errors::Error| KeyError::InvalidPem(error.to_string());
    let pem = private_key_pem.as_bytes();
    let jwk = match EncodingKey::from_rsa_pem(pem) {
        Ok(key) => Jwk::from_encoding_key(&key, Algorithm::RS256).map_err(invalid)?,
        Err(_) => {
            let key = EncodingKey::from_ec_pem(pem).map_err(invalid)?;
            Jwk::from_encoding_key(&key, Algorithm::ES256)
                .or_else(|_| Jwk::from_encoding_key(&key, Algorithm::ES384))
                .map_err(invalid)?
        }
    };
    let mut public = match jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => json!({ "kty": "RSA", "n": rsa.n, "e": rsa.e }),
        AlgorithmParameters::EllipticCurve(ec) => {
            json!({ "kty": "EC", "crv": ec.curve, "x": ec.x, "y": ec.y })
        }
        _ => return Err(KeyError::InvalidPem("neither an RSA nor an EC key".to_owned())),
    };
    public["kid"] = json!(kid);
    public["use"] = json!("sig");
    Ok(public)
}

#[cfg(test)]
mod tests;
