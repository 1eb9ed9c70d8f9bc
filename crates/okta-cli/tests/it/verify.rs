//! `okta verify`: a fresh token accepted, one token refused for each kind, with exit codes,
//! the `kind` on stdout and one line on stderr; usage errors exit 2.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use expect_test::expect;
use okta_devserver::{DEMO_CLIENT_ID, DevServer, Endpoint, Fault, TokenFault};
use serde_json::{Value, json};

use crate::harness::{Issued, NONCE, Okta, Run, issue, now};

/// `okta verify ARGS TOKEN` with the devserver's `default` issuer and the demo client configured
/// through the environment.
async fn verify(server: &DevServer, args: &[&str], token: &str) -> Run {
    Okta::new(["verify"].iter().chain(args).chain([&token]))
        .env("OKTA_ISSUER", &server.issuer("default"))
        .env("OKTA_CLIENT_ID", DEMO_CLIENT_ID)
        .run()
        .await
}

/// Tokens issued while `fault` is armed.
async fn issue_with(server: &DevServer, fault: Fault) -> Issued {
    server.faults().arm(fault);
    issue(server).await
}

/// A valid access token's claims, for tokens the endpoints would never issue.
fn access_claims(server: &DevServer) -> Value {
    let now = now();
    json!({
        "ver": 1, "jti": "AT.custom", "iss": server.issuer("default"), "aud": "api://default",
        "iat": now, "exp": now + 3600, "cid": DEMO_CLIENT_ID, "uid": "00u1",
        "scp": ["openid"], "sub": "alice@example.com",
    })
}

fn sign(server: &DevServer, claims: &Value) -> String {
    server.keys().sign("default", claims).expect("signed")
}

/// The token with its header replaced (the payload and signature kept).
fn with_header(token: &str, header: &Value) -> String {
    let (_, rest) = token.split_once('.').expect("a JWT");
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

/// One row of the verdict table, after checking what every refusal must look like.
fn row(name: &str, token: &str, run: &Run) -> String {
    let json = run.json();
    let secret_part = token.rsplit('.').next().unwrap_or(token);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains(token), "{name}: the token is in {stream}: {run:?}");
        if secret_part.len() > 16 {
            assert!(!text.contains(secret_part), "{name}: the signature is in {stream}");
        }
    }
    if json["valid"] == true {
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert!(json["claims"].is_object(), "{name}: {run:?}");
        assert_eq!(run.stderr, "", "{name}: {run:?}");
        return format!("{name:<34} exit {} valid\n", run.code);
    }
    let kind = json["error"]["kind"].as_str().expect("a kind");
    assert_eq!(json["valid"], false, "{name}: {run:?}");
    assert!(json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {run:?}");
    let fields: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["checks", "error", "times", "valid"], "{name}: no claims: {run:?}");
    assert!(json["checks"]["iss"]["accepted"].is_array(), "{name}: {run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{name}: one line on stderr: {run:?}");
    assert!(
        run.stderr.starts_with(&format!("okta verify: token refused ({kind}): ")),
        "{name}: {run:?}"
    );
    format!("{name:<34} exit {} {kind}\n", run.code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_accepts_fresh_tokens_and_refuses_one_of_each_kind() {
    let server = DevServer::builder().start().await.expect("devserver");
    let fresh = issue(&server).await;
    let other = issue(&server).await;
    let kid = server.keys().signing_kid("default").expect("kid");
    let mut table = String::new();
    let mut check = |name: &str, token: &str, run: Run| table.push_str(&row(name, token, &run));

    check(
        "fresh access token",
        &fresh.access_token,
        verify(&server, &[], &fresh.access_token).await,
    );
    let stdin = Okta::new([
        "verify",
        "--kind",
        "id",
        "--nonce",
        NONCE,
        "--access-token",
        &fresh.access_token,
        "-",
    ])
    .env("OKTA_ISSUER", &server.issuer("default"))
    .env("OKTA_CLIENT_ID", DEMO_CLIENT_ID)
    .run_with_stdin(&format!("{}\n", fresh.id_token))
    .await;
    check("fresh ID token (stdin)", &fresh.id_token, stdin);

    let dir = tempfile::tempdir().expect("temp dir");
    let mut jwks = server.keys().jwks("default").expect("JWKS");
    let good = dir.path().join("jwks.json");
    std::fs::write(&good, jwks.to_string()).expect("write");
    let good = good.to_str().expect("UTF-8").to_owned();
    check(
        "offline, --jwks-file",
        &fresh.access_token,
        verify(&server, &["--jwks-file", &good], &fresh.access_token).await,
    );

    check("malformed", "not-a-jwt", verify(&server, &[], "not-a-jwt").await);
    let large = "a".repeat(20_000);
    check("token_too_large", &large, verify(&server, &[], &large).await);
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d";
    check("jwe_unsupported", jwe, verify(&server, &[], jwe).await);
    let crit =
        with_header(&fresh.access_token, &json!({"alg": "RS256", "kid": kid, "crit": ["exp"]}));
    check("unsupported_header", &crit, verify(&server, &[], &crit).await);

    let token = issue_with(&server, Fault::AccessToken(TokenFault::AlgNone)).await.access_token;
    check("algorithm_not_allowed", &token, verify(&server, &[], &token).await);
    let token =
        issue_with(&server, Fault::AccessToken(TokenFault::UnpublishedKey)).await.access_token;
    check("key_not_found", &token, verify(&server, &[], &token).await);
    let token = issue_with(&server, Fault::AccessToken(TokenFault::KidAbsentMultipleKeys))
        .await
        .access_token;
    check("ambiguous_key", &token, verify(&server, &[], &token).await);
    server.faults().clear();
    for key in jwks["keys"].as_array_mut().expect("keys") {
        if key["kid"] == kid.as_str() {
            key["use"] = json!("enc");
        }
    }
    let unusable = dir.path().join("enc.json");
    std::fs::write(&unusable, jwks.to_string()).expect("write");
    let unusable = unusable.to_str().expect("UTF-8").to_owned();
    check(
        "key_unusable",
        &fresh.access_token,
        verify(&server, &["--jwks-file", &unusable], &fresh.access_token).await,
    );
    let token =
        issue_with(&server, Fault::AccessToken(TokenFault::BadSignature)).await.access_token;
    check("invalid_signature", &token, verify(&server, &[], &token).await);
    server.faults().arm_always(Fault::ServerError { endpoint: Endpoint::Keys, status: 503 });
    check("jwks_unavailable", &fresh.access_token, verify(&server, &[], &fresh.access_token).await);
    server.faults().clear();

    let token = issue_with(&server, Fault::AccessToken(TokenFault::Expired)).await.access_token;
    check("expired", &token, verify(&server, &[], &token).await);
    let mut claims = access_claims(&server);
    claims["nbf"] = json!(now() + 3600);
    let token = sign(&server, &claims);
    check("not_yet_valid", &token, verify(&server, &[], &token).await);
    let mut claims = access_claims(&server);
    claims["iat"] = json!(now() + 3600);
    claims["exp"] = json!(now() + 7200);
    let token = sign(&server, &claims);
    check("issued_in_future", &token, verify(&server, &[], &token).await);
    let token =
        issue_with(&server, Fault::AccessToken(TokenFault::IssuedWeekAgo)).await.access_token;
    check("too_old", &token, verify(&server, &[], &token).await);
    let token = issue_with(&server, Fault::AccessToken(TokenFault::WrongIssuer)).await.access_token;
    check("wrong_issuer", &token, verify(&server, &[], &token).await);
    let token =
        issue_with(&server, Fault::AccessToken(TokenFault::WrongAudience)).await.access_token;
    check("audience_mismatch", &token, verify(&server, &[], &token).await);
    check(
        "client_id_not_allowed",
        &fresh.access_token,
        verify(&server, &["--client-id", "another-app"], &fresh.access_token).await,
    );
    check(
        "insufficient_scope",
        &fresh.access_token,
        verify(&server, &["--scope", "orders:write"], &fresh.access_token).await,
    );
    let token =
        issue_with(&server, Fault::AccessToken(TokenFault::MissingExpiry)).await.access_token;
    check("missing_claim", &token, verify(&server, &[], &token).await);
    let mut claims = access_claims(&server);
    claims["exp"] = json!("tomorrow");
    let token = sign(&server, &claims);
    check("invalid_claim_type", &token, verify(&server, &[], &token).await);
    check("wrong_token_kind", &fresh.id_token, verify(&server, &[], &fresh.id_token).await);
    check(
        "nonce_mismatch",
        &fresh.id_token,
        verify(&server, &["--kind", "id", "--nonce", "another-nonce"], &fresh.id_token).await,
    );
    check(
        "at_hash_mismatch",
        &fresh.id_token,
        verify(
            &server,
            &["--kind", "id", "--nonce", NONCE, "--access-token", &other.access_token],
            &fresh.id_token,
        )
        .await,
    );
    // A token of the org server (a custom server's token there is `wrong_issuer`).
    let mut org_claims = access_claims(&server);
    org_claims["iss"] = json!(server.org_issuer());
    let org_token = sign(&server, &org_claims);
    check(
        "org_server_token",
        &org_token,
        verify(&server, &["--issuer", server.org_issuer()], &org_token).await,
    );

    expect![[r#"
        fresh access token                 exit 0 valid
        fresh ID token (stdin)             exit 0 valid
        offline, --jwks-file               exit 0 valid
        malformed                          exit 1 malformed
        token_too_large                    exit 1 token_too_large
        jwe_unsupported                    exit 1 jwe_unsupported
        unsupported_header                 exit 1 unsupported_header
        algorithm_not_allowed              exit 1 algorithm_not_allowed
        key_not_found                      exit 1 key_not_found
        ambiguous_key                      exit 1 ambiguous_key
        key_unusable                       exit 1 key_unusable
        invalid_signature                  exit 1 invalid_signature
        jwks_unavailable                   exit 1 jwks_unavailable
        expired                            exit 1 expired
        not_yet_valid                      exit 1 not_yet_valid
        issued_in_future                   exit 1 issued_in_future
        too_old                            exit 1 too_old
        wrong_issuer                       exit 1 wrong_issuer
        audience_mismatch                  exit 1 audience_mismatch
        client_id_not_allowed              exit 1 client_id_not_allowed
        insufficient_scope                 exit 1 insufficient_scope
        missing_claim                      exit 1 missing_claim
        invalid_claim_type                 exit 1 invalid_claim_type
        wrong_token_kind                   exit 1 wrong_token_kind
        nonce_mismatch                     exit 1 nonce_mismatch
        at_hash_mismatch                   exit 1 at_hash_mismatch
        org_server_token                   exit 1 org_server_token
    "#]]
    .assert_eq(&table);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_nonce_verifies_an_id_token_and_says_the_nonce_was_not_checked() {
    let server = DevServer::builder().start().await.expect("devserver");
    let fresh = issue(&server).await;
    let run = verify(&server, &["--kind", "id", "--no-nonce"], &fresh.id_token).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["valid"], true, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        "okta verify: warning: the nonce is not checked (--no-nonce): this token could come from \
         another sign-in"
    );
    // The other checks still run.
    let run = verify(
        &server,
        &["--kind", "id", "--no-nonce", "--client-id", "0oa-other"],
        &fresh.id_token,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["error"]["kind"], "audience_mismatch", "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_explained_for_people_on_stderr() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue_with(&server, Fault::AccessToken(TokenFault::Expired)).await.access_token;
    let run = verify(&server, &[], &token).await;
    let message = run.json()["error"]["message"].as_str().expect("message").to_owned();
    assert!(message.starts_with("token expired at "), "{message}");
    assert!(
        run.stderr.contains("the token expired at ") && run.stderr.contains(" ago; leeway 120 s)"),
        "dates and durations on stderr: {run:?}"
    );

    let fresh = issue(&server).await;
    let run = verify(&server, &["--audience", "api://payments"], &fresh.access_token).await;
    assert_eq!(
        run.stderr.trim_end(),
        "okta verify: token refused (audience_mismatch): audience mismatch: the token's aud is \
         api://default, accepted: api://payments (--audience)"
    );
    let run = verify(
        &server,
        &["--leeway", "0", "--scope", "a", "--scope", "openid", "--scope", "b"],
        &fresh.access_token,
    )
    .await;
    assert_eq!(
        run.json()["error"],
        json!({
            "kind": "insufficient_scope",
            "message": "insufficient scope: missing a b",
            "explanation": "insufficient scope: missing a b",
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_configuration_errors_exit_2() {
    let server = DevServer::builder().start().await.expect("devserver");
    let fresh = issue(&server).await;
    let token = fresh.access_token.as_str();
    let issuer = server.issuer("default");
    let other_server = format!("{}/oauth2/payments", server.base_url());
    let missing = "/nonexistent/jwks.json";
    // A token of that server (a token of another issuer is `wrong_issuer`, exit 1).
    let mut payments_claims = access_claims(&server);
    payments_claims["iss"] = json!(other_server);
    let payments_token = sign(&server, &payments_claims);
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("no issuer anywhere", vec!["verify", token], "issuer"),
        (
            "no audience for a custom server",
            vec!["verify", "--issuer", &other_server, &payments_token],
            "no audience",
        ),
        (
            "ID token without a client id",
            vec!["verify", "--issuer", &issuer, "--kind", "id", "--nonce", NONCE, &fresh.id_token],
            "--client-id",
        ),
        (
            "ID token without --nonce or --no-nonce",
            vec!["verify", "--issuer", &issuer, "--kind", "id", &fresh.id_token],
            "pass --nonce NONCE, or --no-nonce to verify it without that check",
        ),
        (
            "--nonce and --no-nonce",
            vec!["verify", "--kind", "id", "--nonce", "n", "--no-nonce", &fresh.id_token],
            "cannot be used with",
        ),
        (
            "no-nonce for an access token",
            vec!["verify", "--issuer", &issuer, "--no-nonce", token],
            "--no-nonce applies to ID tokens",
        ),
        (
            "nonce for an access token",
            vec!["verify", "--issuer", &issuer, "--nonce", "n", token],
            "--nonce applies to ID tokens",
        ),
        (
            "missing key file",
            vec!["verify", "--issuer", &issuer, "--jwks-file", missing, token],
            "reading the key set file",
        ),
        (
            "leeway out of range",
            vec!["verify", "--issuer", &issuer, "--leeway", "301", token],
            "leeway_secs",
        ),
        ("unknown flag", vec!["verify", "--audiences", "x", token], "unexpected argument"),
        ("no token", vec!["verify"], "TOKEN"),
        ("empty token", vec!["verify", "--issuer", &issuer, "  "], "the token is empty"),
    ];
    for (name, args, needle) in cases {
        let run = Okta::new(&args).run().await;
        assert_eq!(run.code, 2, "{name}: {run:?}");
        assert!(run.stderr.contains(needle), "{name}: {run:?}");
        assert_eq!(run.stdout, "", "{name}: no verdict on stdout: {run:?}");
        assert!(!run.stderr.contains(token), "{name}: {run:?}");
    }
}

/// A token of another authorization server is `wrong_issuer`, naming both issuers and where the
/// configured one came from, before any key lookup: not `key_not_found`, not `org_server_token`
/// for the org issuer, and a mistyped issuer is not blamed on the audience.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_another_issuer_is_wrong_issuer_with_both_values() {
    let server = DevServer::builder().start().await.expect("devserver");
    let default = server.issuer("default");
    let orders = server.issuer("orders");
    let mut claims = access_claims(&server);
    claims["iss"] = json!(orders);
    claims["aud"] = json!("api://orders");
    let token = server.keys().sign("orders", &claims).expect("signed");

    let run = verify(&server, &[], &token).await;
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    assert_eq!(json["error"]["kind"], "wrong_issuer", "{run:?}");
    assert_eq!(
        json["error"]["message"],
        format!("wrong issuer {orders}, expected {default}"),
        "{run:?}"
    );
    assert_eq!(
        run.stderr,
        format!(
            "okta verify: token refused (wrong_issuer): the token was issued by {orders}, not \
             by the configured issuer {default} (OKTA_ISSUER); if you \
             trust that issuer, pass --issuer {orders}\n"
        )
    );

    // The org issuer: a custom server's token is from another issuer, not the org server's.
    let org = Okta::new(["verify", "--issuer", server.org_issuer(), &token]).run().await;
    assert_eq!(org.json()["error"]["kind"], "wrong_issuer", "{org:?}");
    assert!(org.stderr.contains(&format!("{} (--issuer)", server.org_issuer())), "{org:?}");

    // A typo of the issuer names a custom server without a default audience: still the issuer.
    let typo = format!("{}/oauth2/defualt", server.base_url());
    let default_token = sign(&server, &access_claims(&server));
    let run = Okta::new(["verify", "--issuer", &typo, &default_token]).run().await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["error"]["kind"], "wrong_issuer", "{run:?}");
    assert!(!run.stderr.contains("audience"), "{run:?}");
}

/// Tokens as people paste them: a copied `Authorization` header or a quoted token is the token;
/// two tokens are "more than one token" (never a JWE with exit 0 from `decode`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_headers_and_quotes_are_accepted_and_two_tokens_refused() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue(&server).await.access_token;
    for pasted in [format!("Authorization: Bearer {token}"), format!("\"{token}\"")] {
        let run = verify(&server, &[], &pasted).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.json()["valid"], true);
    }
    let two = format!("\"{token}\"\n\"{token}\"\n");
    for command in [vec!["decode", "-"], vec!["verify", "-"]] {
        let run = Okta::new(&command)
            .env("OKTA_ISSUER", &server.issuer("default"))
            .run_with_stdin(&two)
            .await;
        assert_eq!(run.code, 2, "{command:?}: {run:?}");
        assert!(run.stderr.contains("more than one token"), "{command:?}: {run:?}");
        assert!(!run.stdout.contains("encrypted"), "{command:?}: {run:?}");
        assert!(!run.stderr.contains(&token), "{command:?}: {run:?}");
    }
}

/// A JWK given where a JWK Set is expected, and a truncated JWK Set, are named in those words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwk_instead_of_a_set_and_a_truncated_set_say_so() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue(&server).await.access_token;
    let jwks = server.keys().jwks("default").expect("JWKS");
    let dir = tempfile::tempdir().expect("temp dir");
    let one = dir.path().join("one.json");
    std::fs::write(&one, jwks["keys"][0].to_string()).expect("write");
    let cut = dir.path().join("cut.json");
    let text = jwks.to_string();
    std::fs::write(&cut, &text[..text.len() / 2]).expect("write");
    for (file, needle) in [
        (&one, "this is a JWK (one key), not a JWK Set: wrap it as {\"keys\": [ <the JWK> ]}"),
        (&cut, "the JWK Set is truncated: the JSON ends early"),
    ] {
        let run = verify(&server, &["--jwks-file", file.to_str().expect("UTF-8")], &token).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(needle), "{run:?}");
    }
}

/// The JSON verdict carries what a script needs: the token's value and the accepted values of
/// each claim check, times as RFC 3339 beside epoch seconds, the stderr explanation, and hints
/// that name the fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_verdict_is_as_precise_as_stderr_and_names_the_fix() {
    let server = DevServer::builder().start().await.expect("devserver");
    let fresh = issue(&server).await;
    let run =
        verify(&server, &["-a", "api://payments", "-s", "orders:read"], &fresh.access_token).await;
    assert_eq!(run.code, 1, "{run:?}");
    let json = run.json();
    assert_eq!(
        json["checks"]["aud"],
        json!({"token": "api://default", "accepted": ["api://payments"]})
    );
    assert_eq!(json["checks"]["iss"]["accepted"], json!([server.issuer("default")]));
    assert_eq!(json["checks"]["iss"]["token"], json!(server.issuer("default")));
    assert_eq!(json["checks"]["cid"], json!({"token": DEMO_CLIENT_ID, "accepted": []}));
    assert_eq!(json["checks"]["scp"]["accepted"], json!(["orders:read"]));
    assert_eq!(json["checks"]["scp"]["token"], json!(["openid", "profile"]));
    let exp = json["times"]["exp"].as_i64().expect("exp seconds");
    let exp_utc = json["times"]["exp_utc"].as_str().expect("exp RFC 3339");
    assert_eq!(crate::harness::mask_dates(exp_utc), "DATE", "{exp_utc}");
    assert!(exp > now() && json["times"]["leeway_secs"] == 120, "{json}");
    assert!(json["times"]["now_utc"].is_string() && json["times"]["iat_utc"].is_string());
    let explanation = json["error"]["explanation"].as_str().expect("explanation");
    assert!(run.stderr.contains(explanation), "stderr says no more: {run:?}");
    assert!(explanation.contains("accepted: api://payments"), "{explanation}");

    // An ID token given as an access token: the hint names --kind id.
    let run = verify(&server, &[], &fresh.id_token).await;
    let json = run.json();
    assert_eq!(json["error"]["kind"], "wrong_token_kind", "{run:?}");
    assert!(json["error"]["hint"].as_str().is_some_and(|hint| hint.contains("--kind id")));
    assert!(run.stderr.contains("--kind id"), "{run:?}");
    assert!(json["checks"].get("scp").is_some());

    // The org server's own tokens: introspection, with the command that does it.
    let mut org_claims = access_claims(&server);
    org_claims["iss"] = json!(server.org_issuer());
    let run = verify(&server, &["-i", server.org_issuer()], &sign(&server, &org_claims)).await;
    let json = run.json();
    assert_eq!(json["error"]["kind"], "org_server_token", "{run:?}");
    assert_eq!(
        json["error"]["hint"],
        "ask Okta whether it is active with `okta introspect <token>`"
    );
    assert!(run.stderr.contains("okta introspect"), "{run:?}");
    assert!(!run.stderr.contains("IntrospectionVerifier"), "{run:?}");

    // A valid token has the same checks and times.
    let run = verify(&server, &[], &fresh.access_token).await;
    let json = run.json();
    assert_eq!(json["valid"], true, "{run:?}");
    assert_eq!(json["checks"]["aud"]["accepted"], json!(["api://default"]));
    assert_eq!(json["times"]["exp"], json["claims"]["exp"]);
}

/// Every value reports its real source: the flag, the variable's name, the file and key, the
/// profile; a variable that overrides the file says so once; a missing `--config` file names the
/// flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_report_their_real_source() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue(&server).await.access_token;
    let issuer = server.issuer("default");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("okta.toml"),
        format!(
            "issuer = \"{issuer}\"\naudience = \"api://from-file\"\n\n\
             [profiles.team]\naudience = \"api://from-profile\"\n"
        ),
    )
    .expect("okta.toml");
    let run = |args: &[&str]| Okta::new(["verify"].iter().chain(args).chain([&token.as_str()]));
    let accepted = |run: &Run, text: &str| {
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(&format!("accepted: {text}")), "{text}: {run:?}");
    };

    let file = run(&[]).current_dir(dir.path()).run().await;
    accepted(&file, "api://from-file (okta.toml: audience)");
    assert!(!file.stderr.contains("note"), "{file:?}");
    let profile = run(&["-p", "team"]).current_dir(dir.path()).run().await;
    accepted(&profile, "api://from-profile (okta.toml [profiles.team]: audience)");
    let env = run(&[]).current_dir(dir.path()).env("OKTA_AUDIENCE", "api://from-env").run().await;
    accepted(&env, "api://from-env (OKTA_AUDIENCE)");
    assert_eq!(
        env.stderr
            .matches("okta: note: OKTA_AUDIENCE overrides audience (okta.toml: audience)")
            .count(),
        1,
        "{env:?}"
    );
    let flag = run(&["-a", "api://from-flag"])
        .current_dir(dir.path())
        .env("OKTA_AUDIENCE", "api://from-env")
        .run()
        .await;
    accepted(&flag, "api://from-flag (--audience)");
    let quiet = run(&["-q"]).current_dir(dir.path()).env("OKTA_AUDIENCE", "api://x").run().await;
    assert!(!quiet.stderr.contains("note"), "{quiet:?}");

    let no_profile = run(&["--profile", "nope"]).current_dir(dir.path()).run().await;
    assert_eq!(no_profile.code, 2, "{no_profile:?}");
    assert!(
        no_profile.stderr.contains("profile (from command-line flag --profile)"),
        "{no_profile:?}"
    );
    assert!(!no_profile.stderr.contains("set from code"), "{no_profile:?}");
    let no_file = run(&["--config", "missing.toml"]).run().await;
    assert_eq!(no_file.code, 2, "{no_file:?}");
    assert!(
        no_file.stderr.contains("missing.toml: no such file (named by command-line flag --config)"),
        "{no_file:?}"
    );
}

/// `--leeway` parses as `leeway_secs` does in the file and the environment (fractions accepted,
/// the same words for a wrong value), and a wrong value is one problem, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leeway_flag_parses_as_the_file_does_with_one_error_per_wrong_value() {
    let server = DevServer::builder().start().await.expect("devserver");
    let token = issue(&server).await.access_token;
    let run = verify(&server, &["--leeway", "1.5"], &token).await;
    assert_eq!(run.code, 0, "{run:?}");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("okta.toml"),
        format!("issuer = \"{}\"\nleeway_secs = \"abc\"\n", server.issuer("default")),
    )
    .expect("okta.toml");
    let from_file = Okta::new(["verify", &token]).current_dir(dir.path()).run().await;
    let from_flag = verify(&server, &["--leeway", "abc"], &token).await;
    for (run, source) in [(&from_file, "okta.toml"), (&from_flag, "command-line flag --leeway")] {
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(
            run.stderr,
            format!(
                "okta: error: 1 problem in the Okta settings:\n  - leeway_secs (from \
                 {source}): expected a number of seconds (0 or more), found \"abc\"\n"
            ),
            "{run:?}"
        );
    }
}
