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

#[tokio::test]
async fn the_binary_prints_issuers_clients_and_users_and_serves_the_config_file() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/devserver.example.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_okta-devserver"))
        .args(["--port", "0", "--config", example])
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
    .unwrap();

    let base = banner
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("okta-devserver listening on "))
        .expect(&banner)
        .to_owned();
    for expected in [
        format!("default    {base}/oauth2/default"),
        format!("payments   {base}/oauth2/payments"),
        "demo-client".to_owned(),
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
}
