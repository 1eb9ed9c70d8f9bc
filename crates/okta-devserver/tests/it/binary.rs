//! The `okta-devserver` binary: starts, prints its banner, serves the configured servers.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the child process this test started when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and reads its banner (up to "Press Ctrl-C").
async fn start(args: &[&str]) -> (KillOnDrop, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_okta-devserver"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("piped stdout");
    let banner = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines().take(200) {
                let line = line.expect("UTF-8 output");
                let done = line.starts_with("Press Ctrl-C");
                lines.push(line);
                if done {
                    break;
                }
            }
            lines.join("\n")
        }),
    )
    .await
    .expect("the banner within 30 s")
    .expect("the banner reader ends");
    (child, banner)
}

fn base_url(banner: &str) -> String {
    banner
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("okta-devserver listening on "))
        .expect(banner)
        .to_owned()
}

#[tokio::test]
async fn the_binary_prints_issuers_clients_and_users_and_serves_the_config_file() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/devserver.example.toml");
    let (_child, banner) = start(&["--port", "0", "--config", example]).await;
    let base = base_url(&banner);
    for expected in [
        format!("default    {base}/oauth2/default"),
        format!("payments   {base}/oauth2/payments"),
        "demo-client".to_owned(),
        "demo-service  (service app, client_secret_basic; client_credentials)".to_owned(),
        "demo-service-jwt  (service app, private_key_jwt; client_credentials)".to_owned(),
        "demo-exchange  (service app, client_secret_basic; urn:ietf:params:oauth:grant-type:token-exchange)".to_owned(),
        "key:           reports-1 (EC)".to_owned(),
        "payments   audience api://payments  scopes payments:read* payments:write".to_owned(),
        "trusts tokens of: default".to_owned(),
        "web-app".to_owned(),
        "alice@example.com".to_owned(),
        "carol@example.com".to_owned(),
    ] {
        assert!(banner.contains(&expected), "{expected:?} missing from\n{banner}");
    }
    let document: serde_json::Value = crate::client()
        .get(format!("{base}/oauth2/payments/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["issuer"], format!("{base}/oauth2/payments"));
    let admin = crate::client().get(format!("{base}/devserver/faults")).send().await.unwrap();
    assert_eq!(admin.status(), reqwest::StatusCode::OK, "the example file enables admin routes");

    // The example's private_key_jwt service app, signed with the committed demo EC key.
    let token_url = format!("{base}/oauth2/payments/v1/token");
    let now = jsonwebtoken::get_current_timestamp();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("reports-1".to_owned());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(
        okta_devserver::DEMO_JWT_SERVICE_EC_KEY_PEM.as_bytes(),
    )
    .unwrap();
    let claims = serde_json::json!({
        "iss": "payments-reports", "sub": "payments-reports", "aud": token_url,
        "iat": now, "exp": now + 300,
    });
    let assertion = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    let reply: serde_json::Value = crate::client()
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["scope"], "payments:read", "the default scope, {reply}");
    assert_eq!(reply["expires_in"], 1800, "the policy rule's lifetime");
}

#[tokio::test]
async fn with_tls_the_binary_serves_https_and_prints_the_ca_and_how_to_trust_it() {
    let directory = tempfile::tempdir().unwrap();
    let tls_dir = directory.path().join("tls");
    let tls_arg = tls_dir.to_str().unwrap();
    let (_child, banner) =
        start(&["--port", "0", "--tls", "--tls-dir", tls_arg, "--console"]).await;
    let base = base_url(&banner);
    assert!(banner.contains(&format!("Console: {base}/devserver/console")), "{banner}");
    assert!(base.starts_with("https://127.0.0.1:"), "{banner}");
    let ca = tls_dir.join("ca.pem");
    let ca_text = ca.display().to_string();
    for expected in [
        format!("TLS: clients must trust the local CA {ca_text}"),
        format!("NODE_EXTRA_CA_CERTS={ca_text}"),
        format!("SSL_CERT_FILE={ca_text} REQUESTS_CA_BUNDLE={ca_text}"),
        format!("curl --cacert {ca_text} {base}/.well-known/openid-configuration"),
        "keytool -importcert".to_owned(),
    ] {
        assert!(banner.contains(&expected), "{expected:?} missing from\n{banner}");
    }
    let pem = std::fs::read(&ca).unwrap();
    let root = reqwest::Certificate::from_pem(&pem).unwrap();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let document: serde_json::Value = client
        .get(format!("{base}/oauth2/default/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["issuer"], format!("{base}/oauth2/default"));
}

#[tokio::test]
async fn the_banner_prints_ready_to_paste_settings_for_the_demo_client() {
    let (_child, banner) = start(&["--port", "0"]).await;
    let base = base_url(&banner);
    for expected in [
        format!("export OKTA_ISSUER={base}/oauth2/default"),
        format!("export OKTA_CLIENT_ID={}", okta_devserver::DEMO_CLIENT_ID),
        format!("export OKTA_CLIENT_SECRET={}", okta_devserver::DEMO_CLIENT_SECRET),
        format!("export OKTA_REDIRECT_URI={}", okta_devserver::DEMO_REDIRECT_URI),
        "export OKTA_AUDIENCE=api://default".to_owned(),
    ] {
        assert!(
            banner.lines().any(|line| line.trim() == expected),
            "{expected:?} missing from\n{banner}"
        );
    }
}

#[tokio::test]
async fn its_log_lines_have_no_colour_codes_when_stderr_is_not_a_terminal() {
    let child = Command::new(env!("CARGO_BIN_EXE_okta-devserver"))
        .args(["--port", "0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut child = KillOnDrop(child);
    let stderr = child.0.stderr.take().expect("piped stderr");
    let first = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || {
            BufReader::new(stderr).lines().next().expect("a log line").expect("UTF-8 log line")
        }),
    )
    .await
    .expect("a log line within 30 s")
    .expect("the reader ends");
    assert!(first.contains("okta-devserver listening"), "{first:?}");
    assert!(!first.contains('\u{1b}'), "no escape codes: {first:?}");
}
