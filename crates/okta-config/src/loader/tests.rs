//! Tests of the loader: every rule, layering precedence, profiles, reports and secrecy.

use std::path::{Path, PathBuf};
use std::time::Duration;

use expect_test::{Expect, expect};

use crate::{Audience, ClientId, LoadError, Origin, Role, Scope, Settings, SettingsLoader};

const ISSUER: &str = "https://dev-123456.okta.com/oauth2/default";
const SECRET: &str = "s3cr3t-VALUE-that-must-never-print";

/// A loader with everything a client needs, from code.
fn client() -> SettingsLoader {
    SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("client_id", "0oa1client")
        .set("client_secret", SECRET)
        .set("redirect_uri", "https://app.example.com/authorization-code/callback")
        .role(Role::Client)
}

/// Loads and returns the problem report (or "ok"), snapshot-compared.
#[allow(clippy::needless_pass_by_value, reason = "expect![[...]] reads best passed by value")]
fn check(loader: SettingsLoader, expect: Expect) {
    let actual = match loader.load() {
        Ok(_) => "ok".to_owned(),
        Err(err) => err.to_string(),
    };
    assert!(!actual.contains(SECRET), "a secret leaked into: {actual}");
    expect.assert_eq(&actual);
}

fn problem_keys(loader: SettingsLoader) -> Vec<String> {
    match loader.load() {
        Ok(_) => Vec::new(),
        Err(err) => err.problems().iter().map(|problem| problem.key().to_owned()).collect(),
    }
}

struct TempFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

fn toml_file(contents: &str) -> TempFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okta.toml");
    std::fs::write(&path, contents).unwrap();
    TempFile { dir, path }
}

impl TempFile {
    fn path(&self) -> &Path {
        let _ = &self.dir;
        &self.path
    }
}

#[test]
fn a_complete_client_loads_with_its_defaults() {
    let settings = client().load().unwrap();
    assert_eq!(settings.issuer().as_str(), ISSUER);
    let client = settings.client().unwrap();
    assert_eq!(client.id().as_str(), "0oa1client");
    assert_eq!(client.secret().unwrap().secret(), SECRET);
    assert_eq!(client.auth_method().as_str(), "client_secret_basic");
    let scopes: Vec<_> = client.scopes().iter().map(Scope::as_str).collect();
    assert_eq!(scopes, ["openid", "profile", "email"]);
    assert_eq!(settings.audiences()[0].as_str(), "api://default");
    assert_eq!(settings.leeway(), Duration::from_mins(2));
    assert_eq!(settings.max_token_age(), Duration::from_hours(24));
    assert_eq!(settings.http().connect_timeout(), Duration::from_secs(5));
    assert_eq!(settings.http().timeout(), Duration::from_secs(10));
    assert_eq!(settings.http().max_response_bytes(), 1024 * 1024);
    assert_eq!(settings.jwks().min_ttl(), Duration::from_mins(5));
    assert_eq!(settings.jwks().max_ttl(), Duration::from_hours(24));
    assert_eq!(settings.jwks().refetch_cooldown(), Duration::from_secs(30));
    assert_eq!(settings.jwks().refresh_interval(), Duration::from_mins(5));
    assert_eq!(settings.origin("leeway_secs"), Some(&Origin::Default));
    assert_eq!(settings.origin("client_id"), Some(&Origin::Code));
    assert_eq!(settings.origin("cookie_secret"), None);
}

#[test]
fn nothing_at_all_reports_the_missing_issuer() {
    check(
        SettingsLoader::isolated(),
        expect![[r#"
            1 problem in the Okta settings:
              - issuer: missing: set `issuer` (such as https://dev-123456.okta.com/oauth2/default) or `domain` in okta.toml, or OKTA_ISSUER"#]],
    );
}

#[test]
fn a_client_with_nothing_reports_every_missing_setting_at_once() {
    check(
        SettingsLoader::isolated().role(Role::Client),
        expect![[r#"
            4 problems in the Okta settings:
              - issuer: missing: set `issuer` (such as https://dev-123456.okta.com/oauth2/default) or `domain` in okta.toml, or OKTA_ISSUER
              - client_id: missing (signing users in needs it): set client_id in okta.toml or OKTA_CLIENT_ID, from your Okta application's General tab
              - client_secret: missing (signing users in needs it): set OKTA_CLIENT_SECRET (keep secrets out of files), from your Okta application's General tab
              - redirect_uri: missing (signing users in needs it): set redirect_uri in okta.toml or OKTA_REDIRECT_URI to one of your Okta application's sign-in redirect URIs"#]],
    );
}

#[test]
fn the_multi_problem_report_names_each_key_and_where_its_value_came_from() {
    let file = toml_file(
        r#"
issuer = "http://dev-123456-admin.okta.com/oauth2/default"
client_id = "{clientId}"
redirect_uri = "/callback"
scopes = ["profile", "email"]
leeway_secs = 900

[http]
timeout_secs = "soon"
"#,
    );
    let loader = SettingsLoader::new()
        .file(file.path())
        .env_vars([("OKTA_CLIENT_SECRET", "{clientSecret}")])
        .role(Role::Client);
    let report = loader.load().unwrap_err().to_string();
    let report = report.replace(&file.path().display().to_string(), "okta.toml");
    expect![[r#"
        7 problems in the Okta settings:
          - http.timeout_secs (from okta.toml): expected a number of seconds (0 or more), found "soon"
          - issuer (from okta.toml): "http://dev-123456-admin.okta.com/oauth2/default" uses http: the issuer must use https (http is allowed only for loopback hosts such as 127.0.0.1, for the local development server)
          - client_id (from okta.toml): "{clientId}" still contains the placeholder {clientId}: replace it with the client id from your Okta application
          - client_secret (from environment variable OKTA_CLIENT_SECRET): is still the placeholder {clientSecret}: copy the secret from your Okta application's General tab
          - redirect_uri (from okta.toml): "/callback" is not an absolute URL (relative URL without a base)
          - scopes (from okta.toml): must include `openid`, or Okta returns no ID token and no user is signed in
          - leeway_secs (from okta.toml): is 900 s; it must be between 0 and 300 s"#]]
    .assert_eq(&report);
}

#[test]
fn issuer_rules_are_okta_s_own_plus_loopback_http() {
    let cases = [
        (
            "https://{yourOktaDomain}/oauth2/default",
            "still contains the placeholder {yourOktaDomain}",
        ),
        ("http://dev-1.okta.com/oauth2/default", "must use https"),
        ("ftp://dev-1.okta.com", "uses the scheme \"ftp\""),
        ("https://dev-1-admin.okta.com", "is the admin console's domain: remove `-admin`"),
        ("https://dev-1-admin.oktapreview.com/oauth2/default", "admin console"),
        ("https://dev-1.okta.com.com", "contains `.com.com`"),
        ("https://https://dev-1.okta.com", "contains `://` more than once"),
        ("https://dev-1.okta.com/oauth2/default/", "ends with `/`"),
        ("https://dev-1.okta.com/", "ends with `/`"),
        ("https://dev-1.okta.com/oauth2/default/v1/token", "not an endpoint URL"),
        ("https://dev-1.okta.com/oauth2/v1", "is not an Okta issuer"),
        ("https://dev-1.okta.com/somewhere", "is not an Okta issuer"),
        ("https://dev-1.okta.com/oauth2/default?x=1", "has a query or fragment"),
        ("https://user:pw@dev-1.okta.com", "must not carry credentials"),
        (" https://dev-1.okta.com", "remove the surrounding spaces"),
        ("dev-1.okta.com", "is not an absolute URL"),
    ];
    for (issuer, expected) in cases {
        let report = match SettingsLoader::isolated().set("issuer", issuer).load() {
            Ok(_) => panic!("{issuer:?} was accepted"),
            Err(err) => err.to_string(),
        };
        assert!(report.contains(expected), "{issuer:?}: expected {expected:?} in\n{report}");
        assert!(report.contains("issuer (from set from code)"), "{report}");
    }
}

#[test]
fn loopback_issuers_may_use_http_and_know_their_layout() {
    for (issuer, is_org, token) in [
        ("http://127.0.0.1:8900", true, "http://127.0.0.1:8900/oauth2/v1/token"),
        (
            "http://127.0.0.1:8900/oauth2/default",
            false,
            "http://127.0.0.1:8900/oauth2/default/v1/token",
        ),
        (
            "http://localhost:8900/oauth2/aus1x",
            false,
            "http://localhost:8900/oauth2/aus1x/v1/token",
        ),
        ("http://[::1]:8900", true, "http://[::1]:8900/oauth2/v1/token"),
    ] {
        let settings = SettingsLoader::isolated().set("issuer", issuer).load().unwrap();
        assert_eq!(settings.issuer().as_str(), issuer);
        assert_eq!(settings.issuer().is_org(), is_org);
        assert!(settings.issuer().is_loopback());
        assert_eq!(settings.issuer().token_url().as_str(), token);
    }
}

#[test]
fn the_issuer_is_derived_from_domain_and_authorization_server() {
    let issuer = |vars: &[(&str, &str)]| {
        SettingsLoader::isolated()
            .env_vars(vars.iter().copied())
            .load()
            .map(|settings| settings.issuer().as_str().to_owned())
            .map_err(|err| err.to_string())
    };
    assert_eq!(
        issuer(&[("OKTA_DOMAIN", "dev-1.okta.com")]).unwrap(),
        "https://dev-1.okta.com/oauth2/default"
    );
    assert_eq!(
        issuer(&[("OKTA_DOMAIN", "dev-1.okta.com"), ("OKTA_AUTHORIZATION_SERVER", "org")]).unwrap(),
        "https://dev-1.okta.com"
    );
    assert_eq!(
        issuer(&[
            ("OKTA_DOMAIN", "https://dev-1.okta.com/"),
            ("OKTA_AUTHORIZATION_SERVER", "aus9")
        ])
        .unwrap(),
        "https://dev-1.okta.com/oauth2/aus9"
    );
    assert_eq!(
        issuer(&[("OKTA_DOMAIN", "http://127.0.0.1:8900"), ("OKTA_AUTHORIZATION_SERVER", "org")])
            .unwrap(),
        "http://127.0.0.1:8900"
    );
    let err = issuer(&[("OKTA_DOMAIN", "dev-1.okta.com"), ("OKTA_AUTHORIZATION_SERVER", "a/b")])
        .unwrap_err();
    assert!(
        err.contains("authorization_server (from environment variable OKTA_AUTHORIZATION_SERVER)"),
        "{err}"
    );
    let err = issuer(&[("OKTA_DOMAIN", "dev-1.okta.com/oauth2")]).unwrap_err();
    assert!(err.contains("is not a domain"), "{err}");
}

#[test]
fn issuer_and_domain_must_agree() {
    check(
        SettingsLoader::isolated().set("issuer", ISSUER).set("domain", "dev-999.okta.com"),
        expect![[r#"
            1 problem in the Okta settings:
              - domain (from set from code): gives the issuer https://dev-999.okta.com/oauth2/default, which conflicts with issuer https://dev-123456.okta.com/oauth2/default: set one of `issuer` or `domain` (+ `authorization_server`)"#]],
    );
    check(
        SettingsLoader::isolated().set("issuer", ISSUER).set("authorization_server", "org"),
        expect![[r#"
            1 problem in the Okta settings:
              - authorization_server (from set from code): says "org" but the issuer https://dev-123456.okta.com/oauth2/default names another authorization server: drop one of them"#]],
    );
    // Agreeing values are fine.
    let settings = SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("domain", "dev-123456.okta.com")
        .set("authorization_server", "default")
        .load()
        .unwrap();
    assert_eq!(settings.issuer().as_str(), ISSUER);
}

#[test]
fn client_credential_rules() {
    for (key, value, expected) in [
        ("client_id", "", "the client id is empty"),
        ("client_id", "0oa 1", "contains spaces or control characters"),
        ("client_id", "{clientId}", "placeholder {clientId}"),
        ("client_secret", "", "client_secret (from set from code): is empty"),
        ("client_secret", "abc\n", "contains control characters"),
        ("client_secret", "x{clientSecret}", "placeholder {clientSecret}"),
        ("client_auth_method", "private_key_jwt", "client_private_key: missing"),
        ("client_auth_method", "basic", "is not a client authentication method"),
        ("client_auth_method", "none", "client_auth_method is none (a public client"),
        ("client_private_key", "x", "client_auth_method is client_secret_basic"),
        ("client_key_id", "k1", "client_key_id (from set from code): is set, but"),
        ("client_signing_alg", "RS256", "is set, but client_auth_method is not private_key_jwt"),
        ("client_private_key_file", "/nonexistent/key.pem", "cannot open"),
    ] {
        let report = client().set(key, value).load().unwrap_err().to_string();
        assert!(report.contains(expected), "{key}={value:?}: expected {expected:?} in\n{report}");
    }
    let settings = client().set("client_auth_method", "client_secret_post").load().unwrap();
    assert_eq!(settings.client().unwrap().auth_method().as_str(), "client_secret_post");
}

const RSA_KEY: &str = include_str!("../../testdata/rsa-2048-pkcs8.pem");
const EC_JWK: &str = include_str!("../../testdata/ec-p256.jwk.json");

/// A client without a secret, for the methods that need none.
fn keyed_client(method: &str) -> SettingsLoader {
    SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("client_id", "0oa1client")
        .set("client_auth_method", method)
        .set("redirect_uri", "https://app.example.com/authorization-code/callback")
        .role(Role::Client)
}

#[test]
fn private_key_jwt_reads_the_key_from_the_environment_or_a_file() {
    use crate::{ClientAuthMethod, SigningAlgorithm};
    // From the environment, the usual way: no key on disk.
    let settings = keyed_client("private_key_jwt")
        .env_vars([("OKTA_CLIENT_PRIVATE_KEY", RSA_KEY), ("OKTA_CLIENT_KEY_ID", "kid-1")])
        .load()
        .unwrap();
    let client = settings.client().unwrap();
    assert_eq!(client.auth_method(), ClientAuthMethod::PrivateKeyJwt);
    assert!(client.secret().is_none(), "no secret needed");
    let key = client.signing_key().unwrap();
    assert_eq!((key.algorithm(), key.key_id()), (SigningAlgorithm::Rs256, Some("kid-1")));
    let entries = settings.entries();
    let find =
        |key: &str| entries.iter().find(|entry| entry.key() == key).map(|e| e.value().to_owned());
    assert_eq!(find("client_private_key").as_deref(), Some("[redacted]"));
    assert_eq!(find("client_signing_alg").as_deref(), Some("RS256"));

    // From a file, a JWK with its own kid.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.jwk.json");
    std::fs::write(&path, EC_JWK).unwrap();
    let path = path.to_str().unwrap().to_owned();
    let settings = keyed_client("private_key_jwt")
        .set("client_private_key_file", path.as_str())
        .load()
        .unwrap();
    let key = settings.client().unwrap().signing_key().unwrap();
    assert_eq!((key.algorithm(), key.key_id()), (SigningAlgorithm::Es256, Some("ec-jwk-kid")));
    let entries = settings.entries();
    let file = entries.iter().find(|entry| entry.key() == "client_private_key_file").unwrap();
    assert_eq!(file.value(), path);

    // Every problem names the setting and never echoes the key.
    for (loader, expected) in [
        (
            keyed_client("private_key_jwt").set("client_private_key_file", "/nonexistent/key.pem"),
            "client_private_key_file (from set from code): cannot open \"/nonexistent/key.pem\"",
        ),
        (
            keyed_client("private_key_jwt")
                .set("client_private_key", RSA_KEY)
                .set("client_private_key_file", path.as_str()),
            "client_private_key_file (from set from code): is set and so is client_private_key",
        ),
        (
            keyed_client("private_key_jwt")
                .set("client_private_key", RSA_KEY)
                .set("client_signing_alg", "ES256"),
            "client_private_key (from set from code): is an RSA key but the signing algorithm is ES256",
        ),
        (
            keyed_client("private_key_jwt")
                .set("client_private_key", RSA_KEY)
                .set("client_signing_alg", "HS256"),
            "client_signing_alg (from set from code): \"HS256\" is not a signing algorithm",
        ),
        (
            keyed_client("private_key_jwt").set("client_private_key", "not a key"),
            "client_private_key (from set from code): is neither a PEM private key",
        ),
        (
            keyed_client("private_key_jwt")
                .set("client_private_key", RSA_KEY)
                .set("client_key_id", ""),
            "client_key_id (from set from code): is empty",
        ),
    ] {
        let report = loader.load().unwrap_err().to_string();
        assert!(report.contains(expected), "expected {expected:?} in\n{report}");
        assert!(!report.contains("MII"), "key material in\n{report}");
    }
}

#[test]
fn public_and_jwt_secret_clients() {
    use crate::ClientAuthMethod;
    // A public client needs no secret.
    let settings = keyed_client("none").load().unwrap();
    assert_eq!(settings.client().unwrap().auth_method(), ClientAuthMethod::None);
    assert!(settings.client().unwrap().secret().is_none());
    // client_secret_jwt: a secret of 32 characters or more.
    let settings = keyed_client("client_secret_jwt")
        .set("client_secret", "0123456789abcdef0123456789abcdef")
        .load()
        .unwrap();
    assert_eq!(settings.client().unwrap().auth_method(), ClientAuthMethod::ClientSecretJwt);
    let report = keyed_client("client_secret_jwt").load().unwrap_err().to_string();
    assert!(report.contains("client_secret: missing"), "{report}");
    let report = keyed_client("client_secret_jwt")
        .set("client_secret", "0123456789abcdef0123456789abcde")
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("is shorter than 32 characters"), "{report}");
    // The org server's tokens are introspected, which a public client cannot do.
    let report = SettingsLoader::isolated()
        .set("issuer", "https://dev-123456.okta.com")
        .set("client_id", "0oa1client")
        .set("client_auth_method", "none")
        .role(Role::ResourceServer)
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("introspecting the org authorization server"), "{report}");
}

#[test]
fn redirect_uri_rules() {
    for (uri, expected) in [
        ("/callback", "is not an absolute URL"),
        ("http://app.example.com/callback", "the redirect URI must use https"),
        ("https://app.example.com/callback#frag", "has a fragment"),
        ("https://{redirectUri}", "placeholder {redirectUri}"),
        ("com.example.app:/callback", "uses the scheme"),
        ("https://u:p@app.example.com/cb", "must not carry credentials"),
    ] {
        for key in ["redirect_uri", "post_logout_redirect_uri"] {
            let report = client().set(key, uri).load().unwrap_err().to_string();
            assert!(report.contains(expected), "{key}={uri:?}: expected {expected:?} in\n{report}");
            assert!(report.contains(&format!("{key} (from set from code)")), "{report}");
        }
    }
    // Kept byte for byte: the exact string registered at Okta is what /authorize must send.
    let settings = client()
        .set("redirect_uri", "http://localhost:8080")
        .set("post_logout_redirect_uri", "http://127.0.0.1:8080/signed-out?x=%2F")
        .load()
        .unwrap();
    let client = settings.client().unwrap();
    assert_eq!(client.redirect_uri().unwrap().as_str(), "http://localhost:8080");
    assert!(client.redirect_uri().unwrap().is_loopback());
    assert_eq!(
        client.post_logout_redirect_uri().unwrap().as_str(),
        "http://127.0.0.1:8080/signed-out?x=%2F"
    );
}

#[test]
fn scopes_must_include_openid_and_be_scope_tokens() {
    let report = client().set("scopes", ["profile"]).load().unwrap_err().to_string();
    assert!(report.contains("must include `openid`"), "{report}");
    let report = client().set("scopes", ["openid", "bad\"scope"]).load().unwrap_err().to_string();
    assert!(report.contains("is not a scope"), "{report}");
    let report = client().set("required_scopes", ["a\\b"]).load().unwrap_err().to_string();
    assert!(report.contains("required_scopes (from set from code)"), "{report}");
    // Duplicates are dropped, order kept.
    let settings = client().set("scopes", ["openid", "offline_access", "openid"]).load().unwrap();
    let scopes: Vec<_> = settings.client().unwrap().scopes().iter().map(Scope::as_str).collect();
    assert_eq!(scopes, ["openid", "offline_access"]);
}

#[test]
fn lists_from_the_environment_split_at_commas_and_spaces() {
    let settings = client()
        .env_vars([
            ("OKTA_SCOPES", "openid,email  offline_access"),
            ("OKTA_AUDIENCE", "api://a, api://b"),
            ("OKTA_CLIENT_IDS", "0oa1 0oa2"),
            ("OKTA_REQUIRED_SCOPES", "orders:read"),
        ])
        // `set` from code would win over the environment; drop it for this key.
        .load()
        .unwrap();
    let scopes: Vec<_> = settings.client().unwrap().scopes().iter().map(Scope::as_str).collect();
    assert_eq!(scopes, ["openid", "email", "offline_access"]);
    let audiences: Vec<_> = settings.audiences().iter().map(Audience::as_str).collect();
    assert_eq!(audiences, ["api://a", "api://b"]);
    let ids: Vec<_> = settings.client_ids().iter().map(ClientId::as_str).collect();
    assert_eq!(ids, ["0oa1", "0oa2"]);
    assert_eq!(settings.required_scopes()[0].as_str(), "orders:read");
    assert_eq!(
        settings.origin("scopes"),
        Some(&Origin::Environment { variable: "OKTA_SCOPES".to_owned() })
    );
}

#[test]
fn resource_servers_need_an_audience_for_custom_servers_and_credentials_for_the_org_server() {
    check(
        SettingsLoader::isolated()
            .set("issuer", "https://dev-1.okta.com/oauth2/aus1payments")
            .set("client_ids", "0oa1")
            .role(Role::ResourceServer),
        expect![[r#"
            1 problem in the Okta settings:
              - audience: missing (validating access tokens needs it): set audience in okta.toml or OKTA_AUDIENCE to the Audience of authorization server "aus1payments" (Okta admin console: Security > API), such as api://aus1payments"#]],
    );
    // The default server's audience defaults to api://default, as in Okta's libraries.
    let settings = SettingsLoader::isolated()
        .set("issuer", ISSUER)
        .set("any_client", true)
        .role(Role::ResourceServer)
        .load()
        .unwrap();
    assert_eq!(settings.audiences()[0].as_str(), "api://default");
    assert!(settings.client().is_none());

    let keys = problem_keys(
        SettingsLoader::isolated()
            .set("issuer", "https://dev-1.okta.com")
            .role(Role::ResourceServer),
    );
    assert_eq!(keys, ["client_id", "client_secret", "client_ids"]);
    let report = SettingsLoader::isolated()
        .set("issuer", "https://dev-1.okta.com")
        .role(Role::ResourceServer)
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("can only be checked by introspection"), "{report}");
}

#[test]
fn a_secret_without_a_client_id_is_a_problem_even_without_a_role() {
    let keys =
        problem_keys(SettingsLoader::isolated().set("issuer", ISSUER).set("client_secret", SECRET));
    assert_eq!(keys, ["client_id"]);
}

#[test]
fn numeric_bounds() {
    for (key, value, expected) in [
        ("leeway_secs", "301", "is 301 s; it must be between 0 and 300 s"),
        ("leeway_secs", "-1", "expected a number of seconds (0 or more), found \"-1\""),
        ("leeway_secs", "NaN", "expected a number of seconds"),
        ("max_token_age_secs", "0", "must be between 60 and"),
        ("http.connect_timeout_secs", "0", "must be between 0 and 300 s"),
        ("http.timeout_secs", "601", "must be between 0 and 600 s"),
        ("http.max_response_bytes", "10", "must be between 1024 and 67108864"),
        ("http.max_response_bytes", "-5", "expected a whole number"),
        ("jwks.max_ttl_secs", "10", "must be between 60 and"),
        ("jwks.refresh_interval_secs", "0", "must be between 1 and 86400 s"),
        ("jwks.refetch_cooldown_secs", "0", "must be between 1 and 3600 s"),
    ] {
        let report = client().set(key, value).load().unwrap_err().to_string();
        assert!(report.contains(expected), "{key}={value}: expected {expected:?} in\n{report}");
        assert!(report.starts_with("1 problem"), "{key}={value}: one problem only:\n{report}");
    }
    let report = client()
        .set("http.connect_timeout_secs", 20_i64)
        .set("http.timeout_secs", 10_i64)
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("is longer than http.timeout_secs"), "{report}");
    let report = client()
        .set("jwks.min_ttl_secs", 7200_i64)
        .set("jwks.max_ttl_secs", 3600_i64)
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("is longer than jwks.max_ttl_secs"), "{report}");

    let settings = client()
        .env_vars([("OKTA_HTTP__TIMEOUT_SECS", "2.5"), ("OKTA_LEEWAY_SECS", "0")])
        .load()
        .unwrap();
    assert_eq!(settings.http().timeout(), Duration::from_millis(2500));
    // The default connect timeout (5 s) follows a lower total timeout instead of failing.
    assert_eq!(settings.http().connect_timeout(), Duration::from_millis(2500));
    assert_eq!(settings.leeway(), Duration::ZERO);
}

#[test]
fn cookie_secret_is_base64_of_at_least_32_bytes_and_never_printed() {
    let key = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="; // 32 bytes
    let settings = client().set("cookie_secret", key).load().unwrap();
    assert_eq!(settings.cookie_secret().unwrap().secret().len(), 32);
    assert!(!format!("{settings:?}").contains(key));

    let report = client().set("cookie_secret", "c2hvcnQ=").load().unwrap_err().to_string();
    assert!(report.contains("is 5 bytes long once decoded; it needs at least 32"), "{report}");
    assert!(!report.contains("c2hvcnQ"), "{report}");
    let report =
        client().set("cookie_secret", "not base64 at all!").load().unwrap_err().to_string();
    assert!(report.contains("is not base64"), "{report}");
}

#[test]
fn session_keys_and_redis_url_come_from_the_environment_and_never_print() {
    const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    const OLD: &str = "0GU7b5IS+KNmMe8D2BzY74/tn+o1rEYKtrK+rzX16Wc=";
    let settings = client()
        .env_vars([
            ("OKTA_SESSION__KEY", KEY),
            // The current key again, and one key twice: both dropped.
            ("OKTA_SESSION__PREVIOUS_KEYS", &*format!("{OLD},{KEY} {OLD}")),
            ("OKTA_SESSION__REDIS_URL", &*format!("rediss://:{SECRET}@cache.example.com:6380")),
        ])
        .load()
        .unwrap();
    let session = settings.session();
    assert_eq!(session.key().unwrap().secret().len(), 32);
    assert_eq!(session.previous_keys().len(), 1);
    let redis = session.redis_url().unwrap();
    assert!(redis.uses_tls());
    assert_eq!(redis.password(), Some(SECRET));
    assert_eq!(
        settings.origin("session.redis_url"),
        Some(&Origin::Environment { variable: "OKTA_SESSION__REDIS_URL".to_owned() })
    );
    let entries = settings.entries();
    let find = |key: &str| entries.iter().find(|entry| entry.key() == key).unwrap().value();
    assert_eq!(find("session.key"), "[redacted]");
    assert_eq!(find("session.previous_keys"), "[redacted]");
    assert_eq!(find("session.redis_url"), "rediss://[redacted]@cache.example.com:6380");
    let shown = format!("{settings:?}");
    for secret in [KEY, OLD, SECRET] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn session_settings_problems_name_the_key_and_hide_the_value() {
    check(
        client()
            .set("session.key", "c2hvcnQ=")
            .set("session.previous_keys", vec!["not base64!".to_owned()])
            .set("session.redis_url", format!("http://:{SECRET}@cache.example.com")),
        expect![[r#"
            3 problems in the Okta settings:
              - session.key (from set from code): is 5 bytes long once decoded; it needs at least 32: generate one with `head -c 32 /dev/urandom | base64`
              - session.previous_keys (from set from code): is not base64: generate one with `head -c 32 /dev/urandom | base64`
              - session.redis_url (from set from code): "http://[redacted]@cache.example.com" uses the scheme "http": a Redis URL starts with redis://, rediss:// (TLS), redis-cluster://, rediss-cluster://, redis-sentinel:// or rediss-sentinel://"#]],
    );
    // Old keys need a current one (session.key, or cookie_secret to derive it from).
    assert_eq!(
        problem_keys(
            client().set("session.previous_keys", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
        ),
        ["session.previous_keys"]
    );
    let with_cookie_secret = client()
        .set("cookie_secret", "0GU7b5IS+KNmMe8D2BzY74/tn+o1rEYKtrK+rzX16Wc=")
        .set("session.previous_keys", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=");
    assert!(problem_keys(with_cookie_secret).is_empty());
}

#[test]
fn session_settings_read_from_a_file_section() {
    let file = toml_file(
        r#"
issuer = "https://dev-1.okta.com/oauth2/default"
[session]
redis_url = "redis-cluster://10.0.0.1:7000?node=10.0.0.2:7000"
redis_ulr = "typo"
"#,
    );
    let report = SettingsLoader::isolated().file(file.path()).load().unwrap_err().to_string();
    assert!(report.contains("session.redis_ulr"), "{report}");
    assert!(report.contains("did you mean `session.redis_url`?"), "{report}");
}

#[test]
fn unknown_keys_in_files_are_typos_with_a_suggestion() {
    let file = toml_file(
        r#"
issuer = "https://dev-1.okta.com/oauth2/default"
cliend_id = "x"
something_else = 1
http = 5

[jwks]
max_tll_secs = 60

[profiles.team]
redirect_url = "https://app.example.com/cb"
"#,
    );
    let report = SettingsLoader::new()
        .file(file.path())
        .no_env()
        .profile("team")
        .load()
        .unwrap_err()
        .to_string()
        .replace(&file.path().display().to_string(), "okta.toml");
    expect![[r#"
        5 problems in the Okta settings:
          - cliend_id (from okta.toml): is not a setting; did you mean `client_id`?
          - http (from okta.toml): is a section: write [http] and its keys below it
          - jwks.max_tll_secs (from okta.toml): is not a setting; did you mean `jwks.max_ttl_secs`?
          - something_else (from okta.toml): is not a setting
          - profiles.team.redirect_url (from okta.toml [profiles.team]): is not a setting; did you mean `redirect_uri`?"#]]
    .assert_eq(&report);

    let report = client().set("issuer_url", ISSUER).load().unwrap_err().to_string();
    assert!(
        report
            .contains("issuer_url (from set from code): is not a setting; did you mean `issuer`?"),
        "{report}"
    );
}

/// A mistyped section name gets a suggestion, as a mistyped key does.
#[test]
fn a_mistyped_section_gets_a_suggestion() {
    let file = toml_file(
        r#"
issuer = "https://dev-1.okta.com/oauth2/default"

[htttp]
timeout_secs = 5

[jwk]
max_ttl_secs = 60

[sesion]
key = "x"

[profiles.team.jwsk]
min_ttl_secs = 60
"#,
    );
    let report = SettingsLoader::new()
        .file(file.path())
        .no_env()
        .profile("team")
        .load()
        .unwrap_err()
        .to_string()
        .replace(&file.path().display().to_string(), "okta.toml");
    expect![[r#"
        4 problems in the Okta settings:
          - htttp (from okta.toml): is not a section; did you mean [http]?
          - jwk (from okta.toml): is not a section; did you mean [jwks]?
          - sesion (from okta.toml): is not a section; did you mean [session]?
          - profiles.team.jwsk (from okta.toml [profiles.team]): is not a section; did you mean [jwks]?"#]].assert_eq(&report);
}

#[test]
fn layering_precedence_is_default_file_profile_env_code() {
    let file = toml_file(
        r#"
issuer = "https://dev-1.okta.com/oauth2/default"
client_id = "from-file"
leeway_secs = 10
max_token_age_secs = 3600
scopes = ["openid", "file"]

[http]
timeout_secs = 7

[profiles.team]
leeway_secs = 20
max_token_age_secs = 7200
"#,
    );
    let path = file.path().to_path_buf();
    let settings = SettingsLoader::new()
        .file(&path)
        .env_vars([
            ("OKTA_PROFILE", "team"),
            ("OKTA_MAX_TOKEN_AGE_SECS", "9000"),
            ("OKTA_CLIENT_ID", "from-env"),
        ])
        .set("client_id", "from-code")
        .load()
        .unwrap();
    // default < file
    assert_eq!(settings.http().connect_timeout(), Duration::from_secs(5));
    assert_eq!(settings.origin("http.connect_timeout_secs"), Some(&Origin::Default));
    assert_eq!(settings.http().timeout(), Duration::from_secs(7));
    assert_eq!(settings.origin("http.timeout_secs"), Some(&Origin::File { path: path.clone() }));
    // file < profile
    assert_eq!(settings.leeway(), Duration::from_secs(20));
    assert_eq!(
        settings.origin("leeway_secs"),
        Some(&Origin::Profile { name: "team".to_owned(), path: path.clone() })
    );
    // profile < env
    assert_eq!(settings.max_token_age(), Duration::from_mins(150));
    assert_eq!(
        settings.origin("max_token_age_secs"),
        Some(&Origin::Environment { variable: "OKTA_MAX_TOKEN_AGE_SECS".to_owned() })
    );
    // env < code
    assert_eq!(settings.client().unwrap().id().as_str(), "from-code");
    assert_eq!(settings.origin("client_id"), Some(&Origin::Code));
    // untouched file values stay
    let scopes: Vec<_> = settings.client().unwrap().scopes().iter().map(Scope::as_str).collect();
    assert_eq!(scopes, ["openid", "file"]);
    assert_eq!(settings.profile(), Some("team"));
}

#[test]
fn profiles_inherit_the_base_and_override_any_key() {
    let file = toml_file(
        r#"
domain = "dev-1.okta.com"
client_id = "base-client"
redirect_uri = "https://app.example.com/cb"

[http]
timeout_secs = 3
connect_timeout_secs = 1

[profiles.payments]
authorization_server = "aus1payments"
audience = "api://payments"
client_id = "payments-client"

[profiles.payments.http]
timeout_secs = 4
"#,
    );
    let base = SettingsLoader::new().file(file.path()).no_env().load().unwrap();
    assert_eq!(base.issuer().as_str(), "https://dev-1.okta.com/oauth2/default");
    assert_eq!(base.client().unwrap().id().as_str(), "base-client");
    assert_eq!(base.profile(), None);

    let payments =
        SettingsLoader::new().file(file.path()).no_env().profile("payments").load().unwrap();
    assert_eq!(payments.issuer().as_str(), "https://dev-1.okta.com/oauth2/aus1payments");
    assert_eq!(payments.client().unwrap().id().as_str(), "payments-client");
    assert_eq!(payments.audiences()[0].as_str(), "api://payments");
    // Inherited from the base, and a section merged key by key.
    assert_eq!(
        payments.client().unwrap().redirect_uri().unwrap().as_str(),
        "https://app.example.com/cb"
    );
    assert_eq!(payments.http().timeout(), Duration::from_secs(4));
    assert_eq!(payments.http().connect_timeout(), Duration::from_secs(1));
}

#[test]
fn selecting_a_missing_profile_lists_the_available_ones() {
    let file = toml_file("issuer = \"https://dev-1.okta.com\"\n[profiles.a]\n[profiles.b]\n");
    check(
        SettingsLoader::new().file(file.path()).env_vars([("OKTA_PROFILE", "c")]),
        expect![[r#"
            1 problem in the Okta settings:
              - profile (from environment variable OKTA_PROFILE): profile "c" is not in the settings file (available: a, b)"#]],
    );
    check(
        SettingsLoader::isolated().set("issuer", ISSUER).profile("team"),
        expect![[r#"
            1 problem in the Okta settings:
              - profile (from set from code): profile "team" is selected but the settings file has no [profiles] table"#]],
    );
}

#[test]
fn okta_config_names_the_file_and_it_must_exist() {
    let file = toml_file("issuer = \"https://dev-1.okta.com/oauth2/default\"\n");
    let settings = SettingsLoader::new()
        .env_vars([("OKTA_CONFIG", file.path().to_str().unwrap())])
        .load()
        .unwrap();
    assert_eq!(settings.issuer().as_str(), "https://dev-1.okta.com/oauth2/default");

    let missing = file.path().with_file_name("nope.toml");
    let err = SettingsLoader::new()
        .env_vars([("OKTA_CONFIG", missing.to_str().unwrap())])
        .load()
        .unwrap_err();
    assert!(matches!(&err, LoadError::File { path, .. } if *path == missing), "{err:?}");
    assert!(err.to_string().contains("nope.toml: no such file"), "{err}");
}

#[test]
fn a_toml_syntax_error_names_the_file() {
    let file = toml_file("issuer = \"https://dev-1.okta.com\nclient_id = \n");
    let err = SettingsLoader::new().file(file.path()).no_env().load().unwrap_err();
    let LoadError::File { path, reason } = &err else { panic!("{err:?}") };
    assert_eq!(path, file.path());
    assert!(!reason.is_empty());
    assert!(err.to_string().starts_with("cannot read Okta settings file "), "{err}");
}

#[test]
fn a_wrongly_typed_secret_is_reported_without_its_value() {
    let file = toml_file(
        "issuer = \"https://dev-1.okta.com/oauth2/default\"\nclient_secret = 123456789\n",
    );
    let report = SettingsLoader::new().file(file.path()).no_env().load().unwrap_err().to_string();
    assert!(report.contains("client_secret"), "{report}");
    assert!(report.contains("expected text, found a secret value"), "{report}");
    assert!(!report.contains("123456789"), "{report}");
}

#[test]
fn no_secret_is_ever_printed() {
    let cookie = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    let loader = client().set("cookie_secret", cookie).env_vars([("OKTA_CLIENT_SECRET", SECRET)]);
    let loader_debug = format!("{loader:?}");
    let settings: Settings = loader.load().unwrap();
    let client_debug = format!("{:?}", settings.client().unwrap());
    for output in [format!("{settings:?}"), format!("{settings:#?}"), loader_debug, client_debug] {
        assert!(!output.contains(SECRET), "client secret leaked: {output}");
        assert!(!output.contains(cookie), "cookie secret leaked: {output}");
    }
    assert!(format!("{settings:?}").contains("ClientSecret([redacted])"));
    assert!(format!("{settings:?}").contains("CookieSecret([redacted])"));

    // Problems about secrets never echo them either.
    let report =
        client().set("client_secret", format!("{SECRET}\u{7}")).load().unwrap_err().to_string();
    assert!(!report.contains(SECRET), "{report}");
}

#[test]
fn unrelated_okta_variables_are_ignored() {
    let settings = client()
        .env_vars([
            ("OKTA_E2E_USERNAME", "alice"),
            ("OKTA_CLIENT_ORGURL", "https://x"),
            ("PATH", "/bin"),
        ])
        .load()
        .unwrap();
    assert_eq!(settings.issuer().as_str(), ISSUER);
}

#[test]
fn docs_list_every_key_and_its_variable() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .unwrap();
    for key in crate::raw::KEYS {
        let variable = format!("OKTA_{}", key.name.to_ascii_uppercase().replace('.', "__"));
        assert!(
            docs.contains(&format!("| `{}` | `{variable}` |", key.name)),
            "docs miss {}",
            key.name
        );
    }
}

#[test]
fn entries_show_every_setting_with_secrets_redacted() {
    let settings = client()
        .set("cookie_secret", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
        .load()
        .unwrap();
    let entries = settings.entries();
    let find = |key: &str| entries.iter().find(|entry| entry.key() == key).unwrap();
    assert_eq!(find("client_secret").value(), "[redacted]");
    assert_eq!(find("cookie_secret").value(), "[redacted]");
    assert_eq!(find("issuer").value(), ISSUER);
    assert_eq!(find("issuer").origin(), Some(&Origin::Code));
    assert_eq!(find("leeway_secs").value(), "120");
    assert_eq!(find("scopes").value(), "openid profile email");
    assert!(entries.iter().all(|entry| !entry.value().contains(SECRET)));
}

#[test]
fn a_described_override_names_its_source() {
    let report = client()
        .set_with_origin("issuer", "http://dev-1.okta.com", "command-line flag --issuer")
        .load()
        .unwrap_err()
        .to_string();
    assert!(report.contains("issuer (from command-line flag --issuer): "), "{report}");
    let settings = client()
        .set_with_origin("leeway_secs", 30_i64, "command-line flag --leeway")
        .load()
        .unwrap();
    assert_eq!(
        settings.origin("leeway_secs"),
        Some(&Origin::Described { description: "command-line flag --leeway".to_owned() })
    );
}

#[test]
fn proxy_defaults_to_none_and_ignores_the_proxy_variables() {
    let settings = client()
        .env_vars([
            ("HTTPS_PROXY", "http://proxy.example.com:3128"),
            ("HTTP_PROXY", "http://proxy.example.com:3128"),
            ("ALL_PROXY", "http://proxy.example.com:3128"),
            ("NO_PROXY", "localhost"),
        ])
        .load()
        .unwrap();
    assert_eq!(settings.http().proxy(), &crate::Proxy::Direct);
    assert!(settings.http().no_proxy().is_empty());
    assert_eq!(settings.origin("http.proxy"), Some(&Origin::Default));
    assert_eq!(settings.origin("http.no_proxy"), None);
}

#[test]
fn proxy_environment_reads_the_standard_variables_given_to_the_loader() {
    let settings = client()
        .env_vars([
            ("OKTA_HTTP__PROXY", "environment"),
            ("https_proxy", "proxy.example.com:3128"),
            ("no_proxy", "localhost, 127.0.0.1,.internal.example"),
        ])
        .load()
        .unwrap();
    let http = settings.http();
    assert_eq!(
        http.proxy().to_string(),
        "environment (https: http://proxy.example.com:3128 from https_proxy, http: none)"
    );
    assert_eq!(http.no_proxy(), ["localhost", "127.0.0.1", ".internal.example"]);
    assert_eq!(
        settings.origin("http.proxy"),
        Some(&Origin::Environment { variable: "OKTA_HTTP__PROXY".to_owned() })
    );
    assert_eq!(
        settings.origin("http.no_proxy"),
        Some(&Origin::Environment { variable: "no_proxy".to_owned() })
    );

    // http.no_proxy, when set, wins over NO_PROXY.
    let settings = client()
        .set("http.proxy", "environment")
        .set("http.no_proxy", ["okta.internal"])
        .env_vars([("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "*")])
        .load()
        .unwrap();
    assert_eq!(settings.http().no_proxy(), ["okta.internal"]);
    assert_eq!(settings.origin("http.no_proxy"), Some(&Origin::Code));
}

#[test]
fn an_explicit_proxy_url_with_its_no_proxy_list() {
    let file = toml_file(
        "issuer = \"https://dev-123456.okta.com/oauth2/default\"\n\
         [http]\nproxy = \"http://svc:pa55word@proxy.example.com:3128\"\n\
         no_proxy = [\"localhost\", \"127.0.0.1\"]\n",
    );
    let settings = SettingsLoader::isolated().file(file.path()).load().unwrap();
    let crate::Proxy::Url(url) = settings.http().proxy() else {
        panic!("{:?}", settings.http().proxy())
    };
    assert_eq!(url.url_with_credentials().password(), Some("pa55word"));
    assert_eq!(settings.http().no_proxy(), ["localhost", "127.0.0.1"]);
    let entries = settings.entries();
    let find = |key: &str| entries.iter().find(|entry| entry.key() == key).unwrap();
    assert_eq!(find("http.proxy").value(), "http://[redacted]@proxy.example.com:3128");
    assert_eq!(find("http.no_proxy").value(), "localhost 127.0.0.1");
    for shown in
        [format!("{settings:?}"), format!("{entries:?}"), settings.http().proxy().to_string()]
    {
        assert!(!shown.contains("pa55word") && !shown.contains("svc:"), "{shown}");
    }
}

#[test]
fn proxy_problems_name_their_origin_and_never_the_credentials() {
    check(
        client()
            .set("http.proxy", "socks5://svc:pa55word@proxy:1080")
            .set("http.no_proxy", ["*.example.com"]),
        expect![[r#"
            2 problems in the Okta settings:
              - http.proxy (from set from code): "socks5://[redacted]@proxy:1080" is a SOCKS proxy, which okta-oidc does not support: use an HTTP proxy (http:// or https://)
              - http.no_proxy (from set from code): "*.example.com": write .example.com instead (a leading dot matches the domain and its subdomains; * is a wildcard only on its own)"#]],
    );
    check(
        client().set("http.proxy", "environment").env_vars([
            ("HTTPS_PROXY", "http://svc:pa55word@proxy:3128/path"),
            ("NO_PROXY", "h:1"),
        ]),
        expect![[r#"
            2 problems in the Okta settings:
              - http.proxy (from environment variable HTTPS_PROXY): "http://[redacted]@proxy:3128/path" has a path, query or fragment: a proxy URL is scheme, host and port, such as http://proxy.example.com:3128 (read because http.proxy = "environment")
              - http.no_proxy (from environment variable NO_PROXY): "h:1": ports and brackets are not supported (an entry bypasses the proxy on every port); write a host name, a domain (.example.com matches it and its subdomains), an IP address, a CIDR range such as 10.0.0.0/8, or * for every host"#]],
    );
    check(
        client().env_vars([("OKTA_HTTP__PROXY", "proxy.example.com:3128")]),
        expect![[r#"
            1 problem in the Okta settings:
              - http.proxy (from environment variable OKTA_HTTP__PROXY): "proxy.example.com:3128" is not a proxy setting: use "none" (the default: direct connections), "environment" (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) or a proxy URL such as "http://proxy.example.com:3128""#]],
    );
}

#[test]
fn resource_servers_choose_the_accepted_clients_explicitly() {
    let api = || SettingsLoader::isolated().set("issuer", ISSUER).role(Role::ResourceServer);
    check(
        api(),
        expect![[r#"
            1 problem in the Okta settings:
              - client_ids: missing (an API must say whose tokens it accepts): list the client ids (cid) of the applications allowed to call it in client_ids (OKTA_CLIENT_IDS), or set any_client = true (OKTA_ANY_CLIENT) to accept every client of the issuer"#]],
    );
    check(
        api().set("any_client", true).set("client_ids", "0oa1"),
        expect![[r#"
            1 problem in the Okta settings:
              - any_client (from set from code): is true while client_ids lists clients: drop one of them"#]],
    );
    check(
        api().set("any_client", "yes"),
        expect![[r#"
            2 problems in the Okta settings:
              - any_client (from set from code): expected true or false, found "yes"
              - client_ids: missing (an API must say whose tokens it accepts): list the client ids (cid) of the applications allowed to call it in client_ids (OKTA_CLIENT_IDS), or set any_client = true (OKTA_ANY_CLIENT) to accept every client of the issuer"#]],
    );

    let listed = api().set("client_ids", "0oa1 0oa2").load().unwrap();
    assert!(!listed.any_client());
    assert_eq!(listed.client_ids().len(), 2);
    // The environment gives text: "true" is the flag.
    let any = api().set("any_client", "true").load().unwrap();
    assert!(any.any_client());
    assert!(any.client_ids().is_empty());
    // The report says which is in force.
    let shown = |settings: &Settings| -> Vec<(String, String)> {
        settings
            .entries()
            .into_iter()
            .filter(|entry| entry.key().contains("client_ids") || entry.key() == "any_client")
            .map(|entry| (entry.key().to_owned(), entry.value().to_owned()))
            .collect()
    };
    expect![[r#"
        [
            (
                "client_ids",
                "0oa1 0oa2",
            ),
            (
                "any_client",
                "false",
            ),
        ]
    "#]]
    .assert_debug_eq(&shown(&listed));
    expect![[r#"
        [
            (
                "client_ids",
                "",
            ),
            (
                "any_client",
                "true",
            ),
        ]
    "#]]
    .assert_debug_eq(&shown(&any));
    // A client (signing users in) validates no access tokens: no choice needed.
    client().load().unwrap();
}

#[test]
fn a_service_calling_others_needs_credentials_and_nothing_an_api_or_a_sign_in_needs() {
    let service = || SettingsLoader::isolated().set("issuer", ISSUER).role(Role::Service);
    check(
        service(),
        expect![[r#"
            2 problems in the Okta settings:
              - client_id: missing (a service calling others gets its tokens with client credentials): set client_id in okta.toml or OKTA_CLIENT_ID, from your Okta application's General tab
              - client_secret: missing (a service calling others gets its tokens with client credentials): set OKTA_CLIENT_SECRET (keep secrets out of files), from your Okta application's General tab"#]],
    );
    check(
        service().set("client_id", "0oa1service"),
        expect![[r#"
            1 problem in the Okta settings:
              - client_secret: missing (a service calling others gets its tokens with client credentials): set OKTA_CLIENT_SECRET (keep secrets out of files), from your Okta application's General tab"#]],
    );
    check(
        service().set("client_id", "0oa1service").set("client_auth_method", "none"),
        expect![[r#"
            1 problem in the Okta settings:
              - client_auth_method (from set from code): is none, but a service calling others gets its tokens with client credentials, which Okta gives only to an authenticated client: use an API Services app's method (private_key_jwt or a client secret)"#]],
    );
    // No redirect URI, audience or accepted clients: those belong to the other roles.
    let settings = service()
        .set("client_id", "0oa1service")
        .set("client_secret", "a-service-secret-of-some-length")
        .load()
        .unwrap();
    assert_eq!(settings.client().unwrap().id(), "0oa1service");
    assert!(settings.client().unwrap().redirect_uri().is_none());
    assert!(settings.client_ids().is_empty() && !settings.any_client());
    // Together with the resource-server role, the API's choices are required again.
    assert!(
        service()
            .role(Role::ResourceServer)
            .set("client_id", "0oa1service")
            .set("client_secret", "a-service-secret-of-some-length")
            .load()
            .is_err()
    );
}

#[test]
fn a_service_s_scopes_are_its_client_credentials_defaults_without_oidc_scopes() {
    let service = || {
        SettingsLoader::isolated()
            .set("issuer", ISSUER)
            .set("client_id", "0oa1service")
            .set("client_secret", "a-service-secret-of-some-length")
            .role(Role::Service)
    };
    let names = |settings: &Settings| -> Vec<String> {
        settings.client().unwrap().scopes().iter().map(|scope| scope.as_str().to_owned()).collect()
    };
    // Unset: none (the server's default scopes), not the sign-in default `openid profile email`.
    let settings = service().load().unwrap();
    assert!(names(&settings).is_empty(), "{:?}", names(&settings));
    assert!(!settings.entries().iter().any(|entry| entry.key() == "scopes"));
    // The API's scopes, with no `openid` rule.
    let settings = service().set("scopes", ["orders:read", "orders:write"]).load().unwrap();
    assert_eq!(names(&settings), ["orders:read", "orders:write"]);
    let entry = settings.entries().into_iter().find(|entry| entry.key() == "scopes").unwrap();
    assert_eq!(entry.value(), "orders:read orders:write");
    // Okta refuses OIDC scopes and offline_access for client credentials: each is a problem.
    check(
        service().env_vars([("OKTA_SCOPES", "openid orders:read offline_access")]),
        expect![[r#"
            2 problems in the Okta settings:
              - scopes (from environment variable OKTA_SCOPES): holds `openid`, which Okta refuses in a client-credentials request (there is no user: OIDC scopes and offline_access are for sign-ins): list only the API's custom scopes, such as orders:read
              - scopes (from environment variable OKTA_SCOPES): holds `offline_access`, which Okta refuses in a client-credentials request (there is no user: OIDC scopes and offline_access are for sign-ins): list only the API's custom scopes, such as orders:read"#]],
    );
    assert_eq!(problem_keys(service().set("scopes", ["profile"])), ["scopes"]);
    assert_eq!(problem_keys(service().set("scopes", ["email"])), ["scopes"]);
    // A client that is also a service signs users in with these scopes: the sign-in rule holds.
    let both = service()
        .role(Role::Client)
        .set("redirect_uri", "https://app.example.com/authorization-code/callback");
    assert_eq!(names(&both.load().unwrap()), ["openid", "profile", "email"]);
}

const TEST_CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/ca.pem");

#[test]
fn an_extra_ca_file_is_read_and_checked_when_the_settings_load() {
    let settings = client().set("http.extra_ca_file", TEST_CA).load().unwrap();
    let http = settings.http();
    assert_eq!(http.extra_ca_file(), Some(Path::new(TEST_CA)));
    assert_eq!(http.extra_ca_certificates().len(), 1);
    assert_eq!(http.extra_ca_certificates()[0].der()[0], 0x30, "DER");
    let entry = settings.entries().into_iter().find(|entry| entry.key() == "http.extra_ca_file");
    assert_eq!(entry.map(|entry| entry.value().to_owned()).as_deref(), Some(TEST_CA));

    let none = client().load().unwrap();
    assert!(
        none.http().extra_ca_file().is_none() && none.http().extra_ca_certificates().is_empty()
    );
}

#[test]
fn a_redis_ca_file_is_read_and_checked_when_the_settings_load() {
    let settings = client()
        .set("session.redis_url", "rediss://:pw@redis.example:6380")
        .set("session.redis_ca_file", TEST_CA)
        .load()
        .unwrap();
    let session = settings.session();
    assert_eq!(session.redis_ca_file(), Some(Path::new(TEST_CA)));
    assert_eq!(session.redis_ca_certificates().len(), 1);
    assert_eq!(session.redis_ca_certificates()[0].der()[0], 0x30, "DER");
    assert!(settings.http().extra_ca_certificates().is_empty(), "not trusted for Okta");
    let entry = settings.entries().into_iter().find(|entry| entry.key() == "session.redis_ca_file");
    assert_eq!(entry.map(|entry| entry.value().to_owned()).as_deref(), Some(TEST_CA));

    let none = client().load().unwrap();
    assert!(
        none.session().redis_ca_file().is_none()
            && none.session().redis_ca_certificates().is_empty()
    );
}

#[test]
fn a_ca_file_that_is_missing_not_pem_or_holds_a_key_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let text = dir.path().join("text.pem");
    std::fs::write(&text, "hello").unwrap();
    let with_key = dir.path().join("with-key.pem");
    let ca = std::fs::read_to_string(TEST_CA).unwrap();
    std::fs::write(
        &with_key,
        format!("{ca}-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB3Iea8kjE9u3Z1OCiFoxQd1+Xw4uygnk3dQ3Ov3MgpF\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let cases = [
        (missing.display().to_string(), "cannot read"),
        (text.display().to_string(), "contains no PEM certificate"),
        (with_key.display().to_string(), "contains a private key"),
        (String::from("  "), "is empty"),
    ];
    for key in ["http.extra_ca_file", "session.redis_ca_file"] {
        for (value, says) in &cases {
            let err = client().set(key, value.as_str()).load().unwrap_err();
            let problems = err.problems();
            assert_eq!(problems.len(), 1, "{err}");
            assert_eq!(problems[0].key(), key);
            assert!(problems[0].to_string().contains(says), "{key} = {value}: {err}");
        }
    }
}

/// Every value reports its real source: a file named by a flag, a profile chosen by a flag, and
/// an `OKTA_*` variable that overrides a value in the file, listed once.
#[test]
fn the_file_and_profile_name_who_chose_them_and_env_overrides_of_the_file_are_listed() {
    let file = toml_file(
        r#"
issuer = "https://dev-1.okta.com/oauth2/default"
audience = "api://from-file"
leeway_secs = 30

[http]
timeout_secs = 5

[profiles.team]
client_ids = ["0oa-team"]
"#,
    );
    let missing = file.path().with_file_name("nope.toml");
    let err = SettingsLoader::new()
        .file_with_origin(&missing, "command-line flag --config")
        .no_env()
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains("nope.toml: no such file (named by command-line flag --config)"),
        "{err}"
    );
    let err = SettingsLoader::new()
        .env_vars([("OKTA_CONFIG", missing.to_str().unwrap())])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("no such file (named by OKTA_CONFIG)"), "{err}");

    let settings = SettingsLoader::new()
        .file(file.path())
        .profile_with_origin("team", "command-line flag --profile")
        .env_vars([
            ("OKTA_AUDIENCE", "api://from-env"),
            ("OKTA_HTTP__TIMEOUT_SECS", "7"),
            ("OKTA_CLIENT_IDS", "0oa-env"),
            ("OKTA_ISSUER", "https://dev-1.okta.com/oauth2/default"),
        ])
        .load()
        .unwrap();
    let shown = |key: &str| settings.origin(key).map(ToString::to_string).unwrap_or_default();
    assert_eq!(shown("audience"), "environment variable OKTA_AUDIENCE");
    assert_eq!(shown("leeway_secs"), file.path().display().to_string());
    let overridden: Vec<String> = settings
        .environment_overrides()
        .iter()
        .map(|shadowed| {
            format!("{} {} over {}", shadowed.key(), shadowed.variable(), shadowed.overridden())
                .replace(&file.path().display().to_string(), "okta.toml")
        })
        .collect();
    assert_eq!(
        overridden,
        [
            "audience OKTA_AUDIENCE over okta.toml",
            "client_ids OKTA_CLIENT_IDS over okta.toml [profiles.team]",
            "http.timeout_secs OKTA_HTTP__TIMEOUT_SECS over okta.toml",
        ],
        "the same value (issuer) overrides nothing"
    );
    let err = SettingsLoader::new()
        .file(file.path())
        .profile_with_origin("nope", "command-line flag --profile")
        .no_env()
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("profile (from command-line flag --profile)"), "{err}");
}

/// With `user_file`, the settings come from `./okta.toml`, else from the user's config
/// directory (`$XDG_CONFIG_HOME/okta/okta.toml`, else `$HOME/.config/okta/okta.toml`);
/// `OKTA_CONFIG` still wins. Without it, the user's directory is never read.
#[test]
fn the_users_config_directory_is_read_after_the_working_directory() {
    let home = tempfile::tempdir().unwrap();
    let user_file = home.path().join(".config/okta/okta.toml");
    std::fs::create_dir_all(user_file.parent().unwrap()).unwrap();
    std::fs::write(&user_file, "issuer = \"https://dev-1.okta.com/oauth2/user\"\n").unwrap();
    let home_text = home.path().to_str().unwrap();
    // The unit tests run in the crate's directory, which has no okta.toml.
    assert!(!Path::new(crate::DEFAULT_FILE).exists());

    let settings =
        SettingsLoader::new().user_file().env_vars([("HOME", home_text)]).load().unwrap();
    assert_eq!(settings.issuer().as_str(), "https://dev-1.okta.com/oauth2/user");
    assert_eq!(settings.origin("issuer"), Some(&Origin::File { path: user_file.clone() }));

    let xdg = tempfile::tempdir().unwrap();
    let xdg_file = xdg.path().join("okta/okta.toml");
    std::fs::create_dir_all(xdg_file.parent().unwrap()).unwrap();
    std::fs::write(&xdg_file, "issuer = \"https://dev-1.okta.com/oauth2/xdg\"\n").unwrap();
    let settings = SettingsLoader::new()
        .user_file()
        .env_vars([("HOME", home_text), ("XDG_CONFIG_HOME", xdg.path().to_str().unwrap())])
        .load()
        .unwrap();
    assert_eq!(settings.issuer().as_str(), "https://dev-1.okta.com/oauth2/xdg");

    let named = toml_file("issuer = \"https://dev-1.okta.com/oauth2/named\"\n");
    let settings = SettingsLoader::new()
        .user_file()
        .env_vars([("HOME", home_text), ("OKTA_CONFIG", named.path().to_str().unwrap())])
        .load()
        .unwrap();
    assert_eq!(settings.issuer().as_str(), "https://dev-1.okta.com/oauth2/named");

    let err = SettingsLoader::new().env_vars([("HOME", home_text)]).load().unwrap_err();
    assert!(err.to_string().contains("issuer"), "no user file without user_file(): {err}");
}
