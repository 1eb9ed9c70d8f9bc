//! The conventions every subcommand shares: one `-o/--output json|text` switch (JSON when
//! stdout is not a terminal), `okta login --token-file`, short flags, `--version`, `-v`/`-q`.

use okta_devserver::DevServer;

use crate::harness::{Okta, issue};

/// Every subcommand, with what it needs to get as far as parsing its flags.
const SUBCOMMANDS: [&[&str]; 6] = [
    &["login"],
    &["verify", "x.y.z"],
    &["decode", "x.y.z"],
    &["discover"],
    &["token"],
    &["config"],
];

#[tokio::test]
async fn the_old_login_output_path_is_refused_naming_token_file_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    for value in ["tokens.json", "json"] {
        // No settings: a run that gets past parsing stops at the settings (exit 2), before any
        // network call.
        let run = Okta::new(["login", "--no-browser", "--output", value])
            .current_dir(dir.path())
            .run()
            .await;
        assert_eq!(run.code, 2, "{run:?}");
        if value == "json" {
            // A format now: parsed, and the settings are what is missing.
            assert!(run.stderr.contains("issuer"), "{run:?}");
            assert!(!run.stderr.contains("--token-file"), "{run:?}");
        } else {
            assert!(
                run.stderr.contains("--output takes `json` or `text`")
                    && run.stderr.contains("--token-file FILE"),
                "{run:?}"
            );
        }
        assert_eq!(run.stdout, "", "{run:?}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "files written: {left:?}");
}

#[tokio::test]
async fn every_subcommand_takes_the_output_switch_and_refuses_other_formats() {
    for args in SUBCOMMANDS {
        for switch in ["-o", "--output"] {
            let run = Okta::new(args.iter().chain(&[switch, "yaml"])).run().await;
            assert_eq!(run.code, 2, "{args:?}: {run:?}");
            assert!(run.stderr.contains("`json` or `text`"), "{args:?}: {run:?}");
        }
        // Accepted (the run then fails for lack of settings or a real token, not at parsing).
        let run = Okta::new(args.iter().chain(&["-o", "json"])).run().await;
        assert!(!run.stderr.contains("unexpected argument"), "{args:?}: {run:?}");
        assert!(!run.stderr.contains("`json` or `text`"), "{args:?}: {run:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_json_off_a_terminal_and_text_when_asked() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue(&server).await.access_token;
    let issuer = server.issuer("default");

    // stdout is a pipe here: JSON without asking.
    let piped = Okta::new(["verify", &token]).env("OKTA_ISSUER", &issuer).run().await;
    assert_eq!(piped.code, 0, "{piped:?}");
    assert_eq!(piped.json()["valid"], true);
    let decoded = Okta::new(["decode", &token]).run().await;
    assert_eq!(decoded.json()["verified"], false, "{decoded:?}");
    let discovered = Okta::new(["discover", "-i", &issuer]).run().await;
    assert_eq!(discovered.json()["issuer"], issuer.as_str(), "{discovered:?}");

    // Text when asked, with short flags for the common options.
    let text = Okta::new(["verify", "-o", "text", "-k", "access", "-i", &issuer])
        .args(["-a", "api://default", "-s", "openid", &token])
        .run()
        .await;
    assert_eq!(text.code, 0, "{text:?}");
    assert!(text.stdout.starts_with(&format!("✓ token valid, issued by {issuer}\n")), "{text:?}");
    assert!(text.stdout.contains("\"cid\": \"demo-client\""), "{text:?}");
    let refused = Okta::new(["verify", "--output", "text", "-i", &issuer, "-a", "api://other"])
        .arg(&token)
        .run()
        .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stdout.starts_with("✗ token refused (audience_mismatch): audience mismatch"),
        "{refused:?}"
    );
    assert_eq!(refused.stderr, "", "the text verdict is on stdout once: {refused:?}");

    // `--json` is `--output json`, for every subcommand, before or after it.
    let json = Okta::new(["--json", "decode", &token]).run().await;
    assert_eq!(json.json()["verified"], false, "{json:?}");
    let text = Okta::new(["decode", "--output", "text", &token]).run().await;
    assert!(text.stdout.starts_with("UNVERIFIED"), "{text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_printing_commands_print_the_token_alone_unless_json_is_asked() {
    let server = DevServer::builder().start().await.expect("devserver");
    let env = [
        ("OKTA_ISSUER", server.issuer("orders")),
        ("OKTA_CLIENT_ID", okta_devserver::DEMO_SERVICE_CLIENT_ID.to_owned()),
        ("OKTA_CLIENT_SECRET", okta_devserver::DEMO_SERVICE_CLIENT_SECRET.to_owned()),
    ];
    let plain = Okta::new(["token"]).envs(&env).run().await;
    assert_eq!(plain.code, 0, "{plain:?}");
    assert_eq!(plain.stdout.trim().split('.').count(), 3, "a JWT alone: {plain:?}");
    let json = Okta::new(["token", "-o", "json"]).envs(&env).run().await;
    assert_eq!(json.json()["token_type"], "Bearer", "{json:?}");
}

#[tokio::test]
async fn version_and_short_version() {
    for flag in ["--version", "-V"] {
        let run = Okta::new([flag]).run().await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, format!("okta {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbosity_steers_tracing_on_stderr() {
    let server = DevServer::builder().start().await.expect("devserver");
    let issuer = server.issuer("default");
    let silent = Okta::new(["discover", "-i", &issuer]).run().await;
    assert_eq!(silent.stderr, "", "{silent:?}");
    let verbose = Okta::new(["-v", "discover", "-i", &issuer]).run().await;
    assert_eq!(verbose.code, 0, "{verbose:?}");
    assert!(verbose.stderr.contains("discovery succeeded"), "{verbose:?}");
    assert!(!verbose.stderr.contains("DEBUG"), "-v is info: {verbose:?}");
    let debug = Okta::new(["discover", "-vv", "-i", &issuer]).run().await;
    assert!(debug.stderr.contains("discovery succeeded"), "{debug:?}");
    // -q wins over RUST_LOG: nothing but errors.
    let quiet = Okta::new(["discover", "-q", "-i", &issuer]).env("RUST_LOG", "trace").run().await;
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(quiet.stderr, "", "{quiet:?}");
    let without = Okta::new(["discover", "-i", &issuer]).env("RUST_LOG", "info").run().await;
    assert!(without.stderr.contains("discovery succeeded"), "RUST_LOG still works: {without:?}");
    let both = Okta::new(["discover", "-q", "-v"]).run().await;
    assert_eq!(both.code, 2, "{both:?}");
}

#[tokio::test]
async fn decode_and_verify_take_short_flags_for_settings() {
    // -c names the settings file, -p the profile: the error names the flag's file.
    let run = Okta::new(["verify", "-c", "missing.toml", "-p", "staging", "x.y.z"]).run().await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("missing.toml"), "{run:?}");
}
