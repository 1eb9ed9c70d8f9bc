//! Running the built binary with a clean environment, and getting tokens from the devserver as
//! a browser and a client would.

use std::process::Stdio;
use std::time::Duration;

use okta_devserver::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REDIRECT_URI, DEMO_USERNAME, DevServer,
};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout};

/// The binary under test.
pub(crate) const OKTA: &str = env!("CARGO_BIN_EXE_okta");

/// How long any one run may take before the test fails (nothing hangs).
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A finished run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout parsed as one JSON object.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {self:?}"))
    }
}

/// The `okta` command with no inherited environment (no `OKTA_*`, no `RUST_LOG`, no colour) and
/// an empty working directory (no `okta.toml`).
pub(crate) struct Okta {
    command: tokio::process::Command,
    /// The working directory, removed when the run is over.
    dir: tempfile::TempDir,
}

impl Okta {
    pub(crate) fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = tokio::process::Command::new(OKTA);
        command.args(args).env_clear().current_dir(dir.path()).kill_on_drop(true);
        Self { command, dir }
    }

    /// Runs in `dir` instead of a fresh empty directory (to look at what the run left there).
    pub(crate) fn current_dir(mut self, dir: &std::path::Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// More arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    /// One more argument.
    pub(crate) fn arg(mut self, arg: &str) -> Self {
        self.command.arg(arg);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub(crate) fn envs(mut self, vars: &[(&str, String)]) -> Self {
        for (key, value) in vars {
            self.command.env(key, value);
        }
        self
    }

    /// Runs to completion with nothing on stdin.
    pub(crate) async fn run(self) -> Run {
        self.run_with_stdin("").await
    }

    /// Runs to completion with `stdin` on stdin.
    pub(crate) async fn run_with_stdin(mut self, stdin: &str) -> Run {
        self.command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("okta starts");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).await.expect("stdin written");
        drop(input);
        let output = tokio::time::timeout(RUN_LIMIT, child.wait_with_output())
            .await
            .expect("okta finishes in time")
            .expect("okta runs");
        Run {
            code: output.status.code().expect("an exit code"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }

    /// Starts the command and returns it running, stdout readable line by line.
    pub(crate) fn spawn(mut self) -> Running {
        self.command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("okta starts");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Running { child, stdout, stderr, seen_stderr: Vec::new(), _dir: self.dir }
    }
}

/// A command still running.
pub(crate) struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
    /// The stderr lines read by [`Running::stderr_line`], kept for [`Running::finish`].
    seen_stderr: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// The next line of stdout.
    pub(crate) async fn line(&mut self) -> String {
        tokio::time::timeout(RUN_LIMIT, self.stdout.next_line())
            .await
            .expect("a line in time")
            .expect("stdout readable")
            .expect("a line before the end of stdout")
    }

    /// The next line of stderr.
    pub(crate) async fn stderr_line(&mut self) -> String {
        let line = tokio::time::timeout(RUN_LIMIT, self.stderr.next_line())
            .await
            .expect("a stderr line in time")
            .expect("stderr readable")
            .expect("a line before the end of stderr");
        self.seen_stderr.push(line.clone());
        line
    }

    /// Waits for the end and returns the exit code, the rest of stdout and all of stderr.
    pub(crate) async fn finish(mut self) -> Run {
        let mut stderr: String =
            self.seen_stderr.iter().flat_map(|line| [line.as_str(), "\n"]).collect();
        let mut pipe = self.stderr.into_inner();
        let mut rest = Vec::new();
        while let Some(line) = tokio::time::timeout(RUN_LIMIT, self.stdout.next_line())
            .await
            .expect("stdout ends in time")
            .expect("stdout readable")
        {
            rest.push(line);
        }
        pipe.read_to_string(&mut stderr).await.expect("stderr readable");
        let status = tokio::time::timeout(RUN_LIMIT, self.child.wait())
            .await
            .expect("okta exits in time")
            .expect("okta runs");
        Run { code: status.code().expect("an exit code"), stdout: rest.join("\n"), stderr }
    }
}

/// The settings variables that point `okta` at the devserver's `default` server, for `client`.
pub(crate) fn client_env(
    server: &DevServer,
    client_id: &str,
    secret: &str,
    redirect_uri: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ISSUER", server.issuer("default")),
        ("OKTA_CLIENT_ID", client_id.to_owned()),
        ("OKTA_CLIENT_SECRET", secret.to_owned()),
        ("OKTA_REDIRECT_URI", redirect_uri.to_owned()),
    ]
}

/// An HTTP client that, like a test browser, does not follow redirects.
pub(crate) fn browser() -> reqwest::Client {
    // reqwest has no crypto provider of its own here (no `ring`): use aws-lc-rs.
    okta_http::install_default_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

/// A `sessionToken` for the demo user (Classic Okta's headless sign-in).
pub(crate) async fn session_token(server: &DevServer) -> String {
    let body: Value = browser()
        .post(format!("{}/api/v1/authn", server.base_url()))
        .json(&serde_json::json!({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("authn answers")
        .json()
        .await
        .expect("authn JSON");
    body["sessionToken"].as_str().expect("a session token").to_owned()
}

/// The `Location` of a redirect response.
pub(crate) async fn location(response: reqwest::Response) -> String {
    let status = response.status();
    match response.headers().get("location") {
        Some(location) if status == 302 => location.to_str().expect("ASCII Location").to_owned(),
        _ => panic!(
            "expected a redirect, got {status}: {}",
            response.text().await.unwrap_or_default()
        ),
    }
}

/// Tokens issued by the devserver's `default` server to the demo client, through the code flow
/// done by hand (so that faults on the ID token reach the test instead of okta-flow).
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) id_token: String,
}

/// The nonce sent by [`issue`].
pub(crate) const NONCE: &str = "n-0S6_WzA2Mj";

/// Runs the code flow for the demo user and client (RFC 7636 appendix B's PKCE pair).
pub(crate) async fn issue(server: &DevServer) -> Issued {
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let issuer = server.issuer("default");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", DEMO_CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile")
        .append_pair("redirect_uri", DEMO_REDIRECT_URI)
        .append_pair("state", "state-1")
        .append_pair("nonce", NONCE)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("sessionToken", &session_token(server).await)
        .finish();
    let browser = browser();
    let back = location(
        browser
            .get(format!("{issuer}/v1/authorize?{query}"))
            .send()
            .await
            .expect("authorize answers"),
    )
    .await;
    let back = url::Url::parse(&back).expect("redirect URL");
    let code = back.query_pairs().find(|(name, _)| name == "code").expect("a code").1.into_owned();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", DEMO_REDIRECT_URI)
        .append_pair("code_verifier", VERIFIER)
        .finish();
    let response: Value = browser
        .post(format!("{issuer}/v1/token"))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("token answers")
        .json()
        .await
        .expect("token JSON");
    Issued {
        access_token: response["access_token"].as_str().expect("access token").to_owned(),
        id_token: response["id_token"].as_str().expect("ID token").to_owned(),
    }
}

/// The current time, from the one real clock the workspace allows.
pub(crate) fn now() -> i64 {
    okta_verify::Clock::system().unix_seconds()
}

/// Replaces what changes from run to run (ports, key ids, dates, durations) so output can be
/// compared with a snapshot.
pub(crate) fn mask(text: &str, server: &DevServer, kids: &[String]) -> String {
    let mut text = text.to_owned();
    for kid in kids {
        text = text.replace(kid.as_str(), "KID");
    }
    let text = text.replace(&format!("127.0.0.1:{}", server.addr().port()), "127.0.0.1:PORT");
    mask_dates(&text)
}

/// Replaces every RFC 3339 UTC date (`2026-11-28T09:38:33Z`) by `DATE`.
pub(crate) fn mask_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        let candidate = bytes.get(index..index + 20);
        let is_date = candidate.is_some_and(|c| {
            c.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                10 => *b == b'T',
                13 | 16 => *b == b':',
                19 => *b == b'Z',
                _ => b.is_ascii_digit(),
            })
        });
        if is_date {
            out.push_str("DATE");
            index += 20;
        } else {
            let character = text[index..].chars().next().expect("a character");
            out.push(character);
            index += character.len_utf8();
        }
    }
    out
}
