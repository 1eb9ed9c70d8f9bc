//! The bridge to okta-config: a client configured from `okta_settings` talks to this server.

use okta_config::{Role, SettingsLoader};
use okta_devserver::{AuthServerId, Client, DEMO_CLIENT_ID, DEMO_REDIRECT_URI, DevServer};

fn load(pairs: Vec<(&'static str, String)>, role: Role) -> okta_config::Settings {
    // An API must say whose tokens it accepts (okta-config); the devserver's pairs describe a
    // client, so the resource-server loads name the demo client.
    let mut loader = SettingsLoader::isolated().role(role).set("client_ids", DEMO_CLIENT_ID);
    for (key, value) in pairs {
        loader = loader.set(key, value);
    }
    loader.load().unwrap_or_else(|error| panic!("{error}"))
}

#[tokio::test]
async fn the_demo_client_settings_load_for_a_client_and_a_resource_server() {
    let server = DevServer::builder().start().await.unwrap();
    let pairs = server.okta_settings("default", DEMO_CLIENT_ID).expect("known server and client");
    let settings = load(pairs.clone(), Role::Client);
    assert_eq!(settings.issuer().as_str(), server.issuer("default"));
    assert_eq!(settings.client().unwrap().id().as_str(), DEMO_CLIENT_ID);
    assert_eq!(settings.client().unwrap().redirect_uri().unwrap().as_str(), DEMO_REDIRECT_URI);
    let api = load(pairs, Role::ResourceServer);
    assert_eq!(api.audiences()[0].as_str(), "api://default");

    let org = load(
        server.okta_settings(AuthServerId::Org, DEMO_CLIENT_ID).unwrap(),
        Role::ResourceServer,
    );
    assert!(org.issuer().is_org());
    assert!(server.okta_settings("nope", DEMO_CLIENT_ID).is_none());
    assert!(server.okta_settings("default", "nobody").is_none());
}

#[tokio::test]
async fn public_clients_get_no_secret_and_no_method() {
    let server = DevServer::builder()
        .client(Client::public("cli").with_redirect_uri("http://127.0.0.1:8765/callback"))
        .start()
        .await
        .unwrap();
    let pairs = server.okta_settings("default", "cli").unwrap();
    let keys: Vec<&str> = pairs.iter().map(|(key, _)| *key).collect();
    assert_eq!(keys, ["issuer", "client_id", "redirect_uri", "audience"]);
}
