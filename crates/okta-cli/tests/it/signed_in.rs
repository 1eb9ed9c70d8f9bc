//! The commands on a login's tokens (`okta token --user`, `userinfo`, `introspect`, `refresh`,
//! `revoke`) and the token cache of `okta login --cache`, against the devserver.

use okta_devserver::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERNAME, DevServer, GrantType};
use serde_json::Value;

use crate::device::{decide, instructions, server};
use crate::harness::{Okta, Run, now};

/// The settings of the demo client and a cache directory.
fn env(server: &DevServer, cache: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ISSUER", server.issuer("default")),
        ("OKTA_CLIENT_ID", DEMO_CLIENT_ID.to_owned()),
        ("OKTA_CLIENT_SECRET", DEMO_CLIENT_SECRET.to_owned()),
        ("XDG_CACHE_HOME", cache.to_str().expect("UTF-8 path").to_owned()),
    ]
}

async fn okta(server: &DevServer, cache: &std::path::Path, args: &[&str]) -> Run {
    Okta::new(args).envs(&env(server, cache)).run().await
}

/// The one cache file under `cache`.
fn cache_file(cache: &std::path::Path) -> std::path::PathBuf {
    let dir = cache.join("okta");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the cache directory")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_login_serves_token_user_refreshes_when_expired_and_is_revoked() {
    let server = server().await;
    let cache = tempfile::tempdir().expect("temp dir");
    let run = okta(&server, cache.path(), &["token", "--user"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("no cached sign-in") && run.stderr.contains("okta login --cache"),
        "{run:?}"
    );

    let mut login = Okta::new([
        "login",
        "--device",
        "--cache",
        "--scope",
        "email",
        "--scope",
        "offline_access",
    ])
    .envs(&env(&server, cache.path()))
    .spawn();
    let (uri, code) = instructions(&mut login).await;
    decide(&uri, &code, "allow").await;
    let login = login.finish().await;
    assert_eq!(login.code, 0, "{login:?}");
    let access_token = login.stdout.trim().to_owned();

    let file = cache_file(cache.path());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("cache file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the cache file is the user's only");
        let mode = std::fs::metadata(file.parent().unwrap()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "so is its directory");
    }
    let cached: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(cached["access_token"], access_token.as_str());

    // Fresh: the cached token itself, no request to /token.
    server.clear_requests();
    let run = okta(&server, cache.path(), &["token", "--user"]).await;
    assert_eq!((run.code, run.stdout.trim()), (0, access_token.as_str()), "{run:?}");
    assert_eq!(server.count_token_requests(GrantType::RefreshToken, DEMO_CLIENT_ID), 0);

    // Expired (as the cache says): refreshed first, and the cache rewritten.
    let mut expired = cached.clone();
    expired["expires_at"] = serde_json::json!(now() - 10);
    std::fs::write(&file, serde_json::to_vec(&expired).unwrap()).unwrap();
    let run = okta(&server, cache.path(), &["token", "--user"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let refreshed = run.stdout.trim().to_owned();
    assert_ne!(refreshed, access_token);
    assert_eq!(server.count_token_requests(GrantType::RefreshToken, DEMO_CLIENT_ID), 1);
    let rewritten: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(rewritten["access_token"], refreshed.as_str());
    assert!(rewritten["expires_at"].as_i64().unwrap() > now() + 3000, "{rewritten}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "still the user's only after the rewrite");
    }

    // userinfo and introspect on the cached tokens.
    let run = okta(&server, cache.path(), &["userinfo"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["email"], DEMO_USERNAME);
    let text = okta(&server, cache.path(), &["userinfo", "-o", "text"]).await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.lines().any(|line| line == format!("email: {DEMO_USERNAME}")), "{text:?}");
    // -o json on token --user: the token with its expiry.
    let json = okta(&server, cache.path(), &["token", "--user", "-o", "json"]).await;
    assert_eq!(json.code, 0, "{json:?}");
    assert_eq!(json.json()["access_token"], refreshed.as_str());
    assert_eq!(json.json()["expires_at"], rewritten["expires_at"]);
    let run = okta(&server, cache.path(), &["introspect", "--kind", "refresh"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["client_id"], DEMO_CLIENT_ID);

    // Revoking the refresh token ends it: introspection says inactive, a refresh fails.
    let run = okta(&server, cache.path(), &["revoke", "--kind", "refresh"]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let run = okta(&server, cache.path(), &["introspect", "--kind", "refresh"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    let run = okta(&server, cache.path(), &["refresh"]).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("invalid_grant") || run.stderr.contains("token_endpoint_error"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commands_read_a_token_file_or_a_token_argument() {
    let server = server().await;
    let cache = tempfile::tempdir().expect("temp dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tokens.json");
    let mut login = Okta::new([
        "login",
        "--device",
        "--scope",
        "email",
        "--scope",
        "offline_access",
        "--token-file",
        file.to_str().unwrap(),
    ])
    .envs(&env(&server, cache.path()))
    .spawn();
    let (uri, code) = instructions(&mut login).await;
    decide(&uri, &code, "allow").await;
    assert_eq!(login.finish().await.code, 0);
    assert!(!cache.path().join("okta").exists(), "no cache without --cache");

    let file_arg = file.to_str().unwrap();
    let run = okta(&server, cache.path(), &["refresh", "--token-file", file_arg]).await;
    assert_eq!(run.code, 0, "{run:?}");
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(written["access_token"], run.stdout.trim());

    // A bare access token: userinfo checks its uid against /userinfo's sub.
    let run = okta(&server, cache.path(), &["userinfo", run.stdout.trim()]).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["email"], DEMO_USERNAME);
    let run = Okta::new(["introspect", "-"])
        .envs(&env(&server, cache.path()))
        .run_with_stdin(written["access_token"].as_str().unwrap())
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["username"], DEMO_USERNAME);
}
