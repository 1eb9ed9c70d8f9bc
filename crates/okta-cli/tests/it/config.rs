//! `okta config`: the effective settings with their sources, secrets redacted, found in
//! `./okta.toml` or the user's config directory.

use serde_json::{Value, json};

use crate::harness::Okta;

fn entry<'a>(json: &'a Value, key: &str) -> &'a Value {
    json["settings"]
        .as_array()
        .and_then(|entries| entries.iter().find(|entry| entry["key"] == key))
        .unwrap_or_else(|| panic!("{key} in {json}"))
}

#[tokio::test]
async fn config_shows_each_value_with_its_source_and_redacts_secrets() {
    let home = tempfile::tempdir().expect("home");
    let user_file = home.path().join(".config/okta/okta.toml");
    std::fs::create_dir_all(user_file.parent().expect("dir")).expect("dirs");
    std::fs::write(
        &user_file,
        "issuer = \"https://dev-1.okta.com/oauth2/default\"\nclient_id = \"0oa-user\"\n",
    )
    .expect("user file");
    let secret = "s3cret-value-0123456789abcdefghijklmnop";
    let run = Okta::new(["config", "-o", "json"])
        .env("HOME", home.path().to_str().expect("UTF-8"))
        .env("OKTA_CLIENT_SECRET", secret)
        .run()
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{run:?}");
    let json = run.json();
    let user_path = user_file.display().to_string();
    assert_eq!(
        entry(&json, "issuer"),
        &json!({"key": "issuer", "value": "https://dev-1.okta.com/oauth2/default",
                "source": format!("{user_path}: issuer")})
    );
    assert_eq!(
        entry(&json, "client_secret"),
        &json!({"key": "client_secret", "value": "[redacted]", "source": "OKTA_CLIENT_SECRET"})
    );
    assert_eq!(entry(&json, "leeway_secs")["source"], "default");
    assert_eq!(entry(&json, "domain")["source"], "derived");

    // ./okta.toml comes before the user's directory.
    let work = tempfile::tempdir().expect("work dir");
    std::fs::write(work.path().join("okta.toml"), "issuer = \"https://dev-2.okta.com\"\n")
        .expect("okta.toml");
    let run = Okta::new(["config", "--output", "text"])
        .current_dir(work.path())
        .env("HOME", home.path().to_str().expect("UTF-8"))
        .run()
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    let issuer_line = run.stdout.lines().find(|line| line.starts_with("issuer ")).expect("issuer");
    assert!(
        issuer_line.ends_with("https://dev-2.okta.com  (okta.toml: issuer)"),
        "{issuer_line:?}"
    );
    assert!(!run.stdout.contains("0oa-user"), "the user file is not read: {run:?}");
}
