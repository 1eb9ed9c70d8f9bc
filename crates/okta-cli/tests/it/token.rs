//! `okta token` against the devserver's service apps: the token on stdout (plain or JSON), and
//! the exit code of each failure.

use okta_devserver::{
    DEMO_JWT_SERVICE_CLIENT_ID, DEMO_JWT_SERVICE_RSA_KEY_PEM, DEMO_JWT_SERVICE_RSA_KID,
    DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, DevServer, GrantType,
};

use crate::harness::Okta;

fn service_env(server: &DevServer, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ISSUER", server.issuer("orders")),
        ("OKTA_CLIENT_ID", DEMO_SERVICE_CLIENT_ID.to_owned()),
        ("OKTA_CLIENT_SECRET", secret.to_owned()),
    ]
}

#[tokio::test]
async fn prints_a_client_credentials_token_plain_or_as_json() {
    let server = DevServer::builder().start().await.unwrap();
    let run =
        Okta::new(["token"]).envs(&service_env(&server, DEMO_SERVICE_CLIENT_SECRET)).run().await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = run.stdout.trim_end();
    assert_eq!(run.stdout.lines().count(), 1);
    assert_eq!(token.split('.').count(), 3, "a JWT access token");
    assert!(!run.stderr.contains(token));

    let run = Okta::new(["token", "--json", "--scope", "orders:read"])
        .envs(&service_env(&server, DEMO_SERVICE_CLIENT_SECRET))
        .run()
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scopes"], serde_json::json!(["orders:read"]));
    assert!(json["expires_at"].as_i64().unwrap() > 0);
    assert!(json["access_token"].as_str().unwrap().contains('.'));

    // private_key_jwt, the key from the environment.
    let run = Okta::new(["token", "--issuer", &server.issuer("orders"), "--scope", "orders:write"])
        .env("OKTA_CLIENT_ID", DEMO_JWT_SERVICE_CLIENT_ID)
        .env("OKTA_CLIENT_AUTH_METHOD", "private_key_jwt")
        .env("OKTA_CLIENT_PRIVATE_KEY", DEMO_JWT_SERVICE_RSA_KEY_PEM)
        .env("OKTA_CLIENT_KEY_ID", DEMO_JWT_SERVICE_RSA_KID)
        .run()
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_SERVICE_CLIENT_ID),
        2
    );
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        1
    );
}

#[tokio::test]
async fn each_failure_has_its_exit_code() {
    let server = DevServer::builder().start().await.unwrap();
    // Okta refuses the secret: 1, with what to fix, and no retry.
    let run =
        Okta::new(["token"]).envs(&service_env(&server, "a-wrong-secret-0123456789")).run().await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("invalid_client") && run.stderr.contains("client_auth_method"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("a-wrong-secret"));
    assert!(run.stdout.is_empty());
    // A scope the policy does not grant: 1.
    let run = Okta::new(["token", "--scope", "orders:write"])
        .envs(&service_env(&server, DEMO_SERVICE_CLIENT_SECRET))
        .run()
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("invalid_scope"), "{}", run.stderr);
    // No secret for a secret method: 2.
    let run = Okta::new(["token"])
        .env("OKTA_ISSUER", &server.issuer("orders"))
        .env("OKTA_CLIENT_ID", DEMO_SERVICE_CLIENT_ID)
        .run()
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("client_secret"), "{}", run.stderr);
    // A public key where the private one is needed: 2, naming the setting.
    let run = Okta::new(["token"])
        .env("OKTA_ISSUER", &server.issuer("orders"))
        .env("OKTA_CLIENT_ID", DEMO_JWT_SERVICE_CLIENT_ID)
        .env("OKTA_CLIENT_AUTH_METHOD", "private_key_jwt")
        .env(
            "OKTA_CLIENT_PRIVATE_KEY",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        )
        .run()
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("client_private_key") && run.stderr.contains("public key"),
        "{}",
        run.stderr
    );
    // The org server with a secret: 2, saying what the org server allows.
    let run = Okta::new(["token", "--issuer", server.org_issuer(), "--scope", "okta.users.read"])
        .env("OKTA_CLIENT_ID", DEMO_SERVICE_CLIENT_ID)
        .env("OKTA_CLIENT_SECRET", DEMO_SERVICE_CLIENT_SECRET)
        .run()
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("private_key_jwt"), "{}", run.stderr);
}

#[tokio::test]
async fn the_scopes_setting_is_the_default_of_scope_and_holds_no_oidc_scope() {
    let server = DevServer::builder().start().await.unwrap();
    let jwt_service = |scopes: &str| {
        vec![
            ("OKTA_ISSUER", server.issuer("orders")),
            ("OKTA_CLIENT_ID", DEMO_JWT_SERVICE_CLIENT_ID.to_owned()),
            ("OKTA_CLIENT_AUTH_METHOD", "private_key_jwt".to_owned()),
            ("OKTA_CLIENT_PRIVATE_KEY", DEMO_JWT_SERVICE_RSA_KEY_PEM.to_owned()),
            ("OKTA_CLIENT_KEY_ID", DEMO_JWT_SERVICE_RSA_KID.to_owned()),
            ("OKTA_SCOPES", scopes.to_owned()),
        ]
    };
    // Without --scope: the setting's scopes, not the server's default (`orders:read`).
    let run = Okta::new(["token", "--json"]).envs(&jwt_service("orders:write")).run().await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["scopes"], serde_json::json!(["orders:write"]));
    // --scope replaces them.
    let run = Okta::new(["token", "--json", "--scope", "orders:read"])
        .envs(&jwt_service("orders:write"))
        .run()
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["scopes"], serde_json::json!(["orders:read"]));
    // `openid` (the sign-in default's first scope) is refused before any request: 2, naming
    // the setting.
    let before =
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID);
    let run = Okta::new(["token"]).envs(&jwt_service("openid orders:read")).run().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("scopes (from environment variable OKTA_SCOPES)")
            && run.stderr.contains("`openid`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        before
    );
    // A sign-in list shared with `okta login` is neither used nor checked when --scope is
    // given: the flag is the setting for this request.
    let run = Okta::new(["token", "--json", "--scope", "orders:read"])
        .envs(&jwt_service("openid profile email offline_access"))
        .run()
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["scopes"], serde_json::json!(["orders:read"]));
    // ... and an OIDC scope given with --scope is refused the same way, naming the flag.
    let before =
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID);
    let run =
        Okta::new(["token", "--scope", "openid"]).envs(&jwt_service("orders:read")).run().await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--scope") && run.stderr.contains("`openid`"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        server.count_token_requests(GrantType::ClientCredentials, DEMO_JWT_SERVICE_CLIENT_ID),
        before
    );
}
