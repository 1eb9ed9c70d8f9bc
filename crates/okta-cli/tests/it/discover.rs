//! `okta discover`: endpoints, methods and keys of an issuer, org or custom.

use expect_test::expect;
use okta_devserver::{DevServer, Fault};

use crate::harness::{Okta, mask};

fn kids(server: &DevServer, id: &str) -> Vec<String> {
    let jwks = server.keys().jwks(id).expect("JWKS");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_shows_a_custom_server() {
    let server = DevServer::builder().start().await.expect("devserver");
    let run = Okta::new(["discover", "-o", "text"])
        .env("OKTA_ISSUER", &server.issuer("default"))
        .run()
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    expect![[r#"
        Issuer   http://127.0.0.1:PORT/oauth2/default
        Server   custom authorization server "default"

        Endpoints
          authorization  http://127.0.0.1:PORT/oauth2/default/v1/authorize
          token          http://127.0.0.1:PORT/oauth2/default/v1/token
          userinfo       http://127.0.0.1:PORT/oauth2/default/v1/userinfo
          jwks           http://127.0.0.1:PORT/oauth2/default/v1/keys
          introspection  http://127.0.0.1:PORT/oauth2/default/v1/introspect
          revocation     http://127.0.0.1:PORT/oauth2/default/v1/revoke
          end_session    http://127.0.0.1:PORT/oauth2/default/v1/logout

        Supported
          client authentication  client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt, none
          PKCE methods           S256
          ID token algorithms    RS256
          scopes                 openid, profile, email, address, phone, offline_access
          iss in responses       no

        Keys (2)
          KID  RSA  RS256  sig  2048 bits  usable
          KID  RSA  RS256  sig  2048 bits  usable
    "#]]
    .assert_eq(&mask(&run.stdout, &server, &kids(&server, "default")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_json_shows_the_org_server_and_unusable_keys() {
    let server = DevServer::builder().start().await.expect("devserver");
    server.faults().arm(Fault::JwksUnusableKeys);
    let run = Okta::new(["discover", "--json", "--issuer", server.org_issuer()]).run().await;
    assert_eq!(run.code, 0, "{run:?}");
    let json = run.json();
    assert_eq!(json["issuer"], server.org_issuer());
    assert_eq!(json["authorization_server"], serde_json::json!({"kind": "org", "id": null}));
    assert_eq!(json["endpoints"]["token"], format!("{}/oauth2/v1/token", server.base_url()));
    assert_eq!(json["code_challenge_methods"], serde_json::json!(["S256"]));
    let keys = json["keys"].as_array().expect("keys");
    let usable: Vec<bool> = keys.iter().map(|key| key["usable"] == true).collect();
    assert_eq!(usable.iter().filter(|usable| **usable).count(), 2, "{json}");
    assert!(usable.contains(&false), "the bogus keys are marked unusable: {json}");
    for key in keys.iter().filter(|key| key["kty"] == "RSA") {
        assert_eq!(key["bits"], 2048);
        assert_eq!(key["use"], "sig");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_fails_with_exit_1_when_the_metadata_lies() {
    let server = DevServer::builder().start().await.expect("devserver");
    server.faults().arm(Fault::DiscoveryIssuerMismatch);
    let run = Okta::new(["discover", "--issuer", &server.issuer("default")]).run().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.starts_with("okta: error: discovering http://127.0.0.1:"), "{run:?}");
    assert_eq!(run.stdout, "");
}

#[tokio::test]
async fn a_bad_flag_is_a_usage_error_naming_the_flag() {
    let run = Okta::new(["discover", "--issuer", "http://x.example"]).run().await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("issuer (from command-line flag --issuer): "), "{run:?}");
}
