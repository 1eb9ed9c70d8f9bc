//! Every client authentication method, end to end against the devserver: the code exchange,
//! the refresh, introspection and revocation each authenticate through okta-http's
//! `ClientCredentials`, as the devserver (like Okta) verifies them; and the failures a
//! misconfigured client sees.

use http::Method;
use okta_devserver::{
    Client, ClientAuthMethod as ServerMethod, DEMO_JWT_SERVICE_EC_KEY_PEM,
    DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_REDIRECT_URI, public_jwk,
};
use okta_flow::{LoginError, Revocable};

use okta_config::{Role, SettingsLoader};

use crate::harness::Harness;

const CLIENT_ID: &str = "0oa-method-client";
const JWT_SECRET: &str = "a-client-secret-of-more-than-32-characters";

/// A devserver with one web client authenticating with `server_method`, and an okta-flow client
/// configured with `settings` for it.
async fn harness(client: Client, settings: &'static [(&'static str, &'static str)]) -> Harness {
    Harness::with_settings(
        move |builder| builder.client(client.with_redirect_uri(DEMO_REDIRECT_URI)),
        move |issuer| {
            let mut loader = SettingsLoader::isolated()
                .set("issuer", issuer)
                .set("client_id", CLIENT_ID)
                .set("redirect_uri", DEMO_REDIRECT_URI)
                .set("scopes", ["openid", "profile", "email", "offline_access"])
                .role(Role::Client);
            for (key, value) in settings {
                loader = loader.set(*key, *value);
            }
            loader
        },
    )
    .await
}

/// What the devserver recorded about the client authentication of each `/token`, `/introspect`
/// and `/revoke` request, in order.
fn recorded_methods(h: &Harness) -> Vec<String> {
    h.server
        .requests()
        .iter()
        .filter(|r| {
            r.method() == Method::POST
                && ["/token", "/introspect", "/revoke"].iter().any(|end| r.path().ends_with(end))
        })
        .map(|r| {
            format!("{} {:?}", r.path().rsplit('/').next().unwrap_or_default(), r.client_auth())
        })
        .collect()
}

/// Signs in, refreshes, introspects and revokes: every call authenticated with the method.
async fn whole_life(h: &Harness) {
    let tokens = h.login().await.expect("the code exchange authenticates");
    let subject = tokens.id_token_claims().expect("an ID token").sub.clone();
    let refreshed = h
        .client
        .refresh(tokens.refresh_token().expect("a refresh token"), &subject)
        .await
        .expect("refresh");
    let introspected =
        h.client.introspect(refreshed.access_token().secret()).await.expect("introspection");
    // An Okta access token's `sub` is the login, not the user id.
    assert_eq!(introspected.claims().sub.as_deref(), Some(okta_devserver::DEMO_USERNAME));
    h.client.revoke(Revocable::AccessToken(refreshed.access_token())).await.expect("revoke");
}

fn web_client(method: ServerMethod) -> Client {
    Client::confidential(CLIENT_ID, JWT_SECRET).with_auth_method(method)
}

#[tokio::test]
async fn client_secret_post_at_every_endpoint() {
    let h = harness(
        web_client(ServerMethod::ClientSecretPost),
        &[("client_secret", JWT_SECRET), ("client_auth_method", "client_secret_post")],
    )
    .await;
    whole_life(&h).await;
    let methods = recorded_methods(&h);
    assert_eq!(methods.len(), 4, "{methods:?}");
    assert!(methods.iter().all(|m| m.contains("ClientSecretPost")), "{methods:?}");
}

#[tokio::test]
async fn client_secret_jwt_at_every_endpoint() {
    let h = harness(
        web_client(ServerMethod::ClientSecretJwt),
        &[("client_secret", JWT_SECRET), ("client_auth_method", "client_secret_jwt")],
    )
    .await;
    whole_life(&h).await;
    let methods = recorded_methods(&h);
    assert_eq!(methods.len(), 4, "{methods:?}");
    assert!(methods.iter().all(|m| m.contains("ClientSecretJwt")), "{methods:?}");
}

fn key_client(pem: &str, kid: &str) -> Client {
    Client::confidential(CLIENT_ID, "")
        .with_auth_method(ServerMethod::PrivateKeyJwt)
        .with_jwk(public_jwk(pem, kid).expect("a demo key"))
}

#[tokio::test]
async fn private_key_jwt_rs256_at_every_endpoint() {
    let h = harness(
        key_client(DEMO_JWT_SERVICE_RSA_KEY_PEM, "rsa-1"),
        &[
            ("client_auth_method", "private_key_jwt"),
            ("client_private_key", DEMO_JWT_SERVICE_RSA_KEY_PEM),
            ("client_key_id", "rsa-1"),
        ],
    )
    .await;
    whole_life(&h).await;
    let methods = recorded_methods(&h);
    assert_eq!(methods.len(), 4, "{methods:?}");
    assert!(methods.iter().all(|m| m.contains("PrivateKeyJwt")), "{methods:?}");
}

#[tokio::test]
async fn private_key_jwt_es256_at_every_endpoint() {
    let h = harness(
        key_client(DEMO_JWT_SERVICE_EC_KEY_PEM, "ec-1"),
        &[
            ("client_auth_method", "private_key_jwt"),
            ("client_private_key", DEMO_JWT_SERVICE_EC_KEY_PEM),
            ("client_key_id", "ec-1"),
        ],
    )
    .await;
    whole_life(&h).await;
    assert!(recorded_methods(&h).iter().all(|m| m.contains("PrivateKeyJwt")));
}

#[tokio::test]
async fn an_unknown_kid_is_invalid_client() {
    let h = harness(
        key_client(DEMO_JWT_SERVICE_RSA_KEY_PEM, "rsa-1"),
        &[
            ("client_auth_method", "private_key_jwt"),
            ("client_private_key", DEMO_JWT_SERVICE_RSA_KEY_PEM),
            ("client_key_id", "not-registered"),
        ],
    )
    .await;
    let err = h.login().await.unwrap_err();
    assert!(matches!(err, LoginError::Token(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains("eyJ"), "no assertion in the error: {text}");
}

#[tokio::test]
async fn a_key_okta_does_not_know_is_invalid_client() {
    // Signed with the EC key while Okta knows only the RSA key under that kid.
    let h = harness(
        key_client(DEMO_JWT_SERVICE_RSA_KEY_PEM, "k"),
        &[
            ("client_auth_method", "private_key_jwt"),
            ("client_private_key", DEMO_JWT_SERVICE_EC_KEY_PEM),
            ("client_key_id", "k"),
        ],
    )
    .await;
    let err = h.login().await.unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_no_secret() {
    let h = harness(Client::public(CLIENT_ID), &[("client_auth_method", "none")]).await;
    let tokens = h.login().await.expect("a public client exchanges its code with PKCE");
    let subject = tokens.id_token_claims().unwrap().sub.clone();
    h.client.refresh(tokens.refresh_token().unwrap(), &subject).await.expect("refresh");
    let exchange = h.server.requests().into_iter().find(|r| r.path().ends_with("/token")).unwrap();
    assert_eq!(exchange.form("client_id"), Some(CLIENT_ID));
    assert!(exchange.form("code_verifier").is_some());
    assert_eq!(exchange.form("client_secret"), None);
    assert!(format!("{:?}", exchange.client_auth()).contains("ClientIdOnly"));
    assert_eq!(h.count(&Method::POST, "/token"), 2);
}
