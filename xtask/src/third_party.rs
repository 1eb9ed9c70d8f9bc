//! `cargo xtask third-party`: widely used relying-party and token-verifier libraries of other
//! ecosystems, pinned and installed from their registries (`tests/third-party/{node,python}`),
//! run the whole flow against okta-devserver over TLS: discovery, sign-in, code exchange with
//! ID-token checks, userinfo, access-token verification, refresh, introspection, revocation
//! and logout. Fails naming the client and the step.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use okta_devserver::{
    Client, DEFAULT_SERVER_ID, DEMO_PASSWORD, DEMO_USERNAME, DevServer, GrantType, TlsConfig,
};

use crate::flags::ThirdParty;
use crate::{project_root, report, target_dir};

/// The client the third-party libraries sign in with (`client_secret_basic`, Okta's default).
const CLIENT_ID: &str = "third-party-web";
/// With characters that form-encoding changes (`+`, `/`, `:`, `%2B`): openid-client
/// form-encodes Basic credentials (RFC 6749 §2.3.1) while Authlib sends them raw, and Okta
/// takes both.
const CLIENT_SECRET: &str = "third-party+secret/0123456789:abcdefghij%2Bklmnop";
/// A public client (`none`), for Okta's JavaScript SDK's `Basic base64(client_id)`.
const PUBLIC_CLIENT_ID: &str = "third-party-spa";
const REDIRECT_URI: &str = "http://127.0.0.1:8080/authorization-code/callback";
const POST_LOGOUT_REDIRECT_URI: &str = "http://127.0.0.1:8080/";

/// The oldest Node.js that openid-client 6 and jose 6 support.
const NODE_MIN: (u32, u32) = (20, 19);

/// One ecosystem's client: where it lives and how it runs.
struct Runner {
    name: &'static str,
    directory: PathBuf,
    program: PathBuf,
    args: Vec<String>,
    /// The variables that make this ecosystem trust the devserver's CA.
    trust: Vec<(&'static str, String)>,
}

impl ThirdParty {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let root = project_root().join("tests").join("third-party");
        let work = target_dir().join("third-party");
        std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
        let wanted = |name: &str| self.only.as_deref().is_none_or(|only| only == name);
        if let Some(only) = self.only.as_deref()
            && !matches!(only, "node" | "python")
        {
            bail!("--only takes `node` or `python`, not `{only}`");
        }

        let started = Instant::now();
        let mut runners = Vec::new();
        if wanted("node") {
            runners.push(prepare_node(&root.join("node"))?);
        }
        if wanted("python") {
            runners.push(prepare_python(&root.join("python"), &work)?);
        }
        report(&format!(
            "third-party: clients installed in {:.1} s",
            started.elapsed().as_secs_f64()
        ));

        let runtime = crate::runtime()?;
        let tls_dir = work.join("tls");
        let server = runtime
            .block_on(
                DevServer::builder()
                    .tls(TlsConfig::in_directory(&tls_dir))
                    .client(
                        Client::confidential(CLIENT_ID, CLIENT_SECRET)
                            .with_redirect_uri(REDIRECT_URI)
                            .with_post_logout_redirect_uri(POST_LOGOUT_REDIRECT_URI)
                            .with_grant_types([
                                GrantType::AuthorizationCode,
                                GrantType::RefreshToken,
                            ]),
                    )
                    .client(Client::public(PUBLIC_CLIENT_ID).with_redirect_uri(REDIRECT_URI))
                    .start(),
            )
            .context("starting okta-devserver in TLS mode")?;
        let ca = server.ca_certificate_path().context("the TLS server has a CA file")?.to_owned();
        report(&format!(
            "third-party: okta-devserver on {} (CA {})",
            server.base_url(),
            ca.display()
        ));
        let issuer = server.issuer(DEFAULT_SERVER_ID);
        let audience = format!("api://{DEFAULT_SERVER_ID}");
        let settings: Vec<(&str, String)> = vec![
            ("DEVSERVER_ISSUER", issuer),
            ("DEVSERVER_CLIENT_ID", CLIENT_ID.to_owned()),
            ("DEVSERVER_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("DEVSERVER_REDIRECT_URI", REDIRECT_URI.to_owned()),
            ("DEVSERVER_POST_LOGOUT_REDIRECT_URI", POST_LOGOUT_REDIRECT_URI.to_owned()),
            ("DEVSERVER_USERNAME", DEMO_USERNAME.to_owned()),
            ("DEVSERVER_PASSWORD", DEMO_PASSWORD.to_owned()),
            ("DEVSERVER_AUDIENCE", audience),
            ("DEVSERVER_PUBLIC_CLIENT_ID", PUBLIC_CLIENT_ID.to_owned()),
        ];

        let mut failures = Vec::new();
        for mut runner in runners {
            let ca = ca.display().to_string();
            runner.trust = match runner.name {
                "node" => vec![("NODE_EXTRA_CA_CERTS", ca)],
                _ => vec![("SSL_CERT_FILE", ca.clone()), ("REQUESTS_CA_BUNDLE", ca)],
            };
            let clock = Instant::now();
            match run_client(&runner, &settings) {
                Ok(()) => report(&format!(
                    "third-party: {}: every step passed ({:.1} s)",
                    runner.name,
                    clock.elapsed().as_secs_f64()
                )),
                Err(err) => {
                    report(&format!("third-party: {}: {err:#}", runner.name));
                    failures.push(format!("{}: {err:#}", runner.name));
                }
            }
        }
        runtime.block_on(server.shutdown());
        if !failures.is_empty() {
            bail!("third-party clients failed:\n  {}", failures.join("\n  "));
        }
        report(&format!("third-party: done in {:.1} s", started.elapsed().as_secs_f64()));
        Ok(())
    }
}

/// Checks Node.js and npm, then installs the locked packages (`npm ci`).
fn prepare_node(directory: &Path) -> anyhow::Result<Runner> {
    let version = output(Command::new("node").arg("--version"))
        .context("Node.js is missing: apt-get install -y nodejs npm")?;
    let (major, minor) = parse_node_version(&version)
        .with_context(|| format!("cannot read the Node.js version {version:?}"))?;
    if (major, minor) < NODE_MIN {
        bail!(
            "Node.js {} is too old: openid-client 6 and jose 6 need {}.{} or later",
            version.trim(),
            NODE_MIN.0,
            NODE_MIN.1
        );
    }
    report(&format!("third-party: node {} : npm ci", version.trim()));
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(directory)
        .status()
        .context("npm is missing: apt-get install -y npm")?;
    if !status.success() {
        bail!("npm ci failed in {}", directory.display());
    }
    Ok(Runner {
        name: "node",
        directory: directory.to_owned(),
        program: "node".into(),
        args: vec!["flow.mjs".to_owned()],
        trust: Vec::new(),
    })
}

/// Makes a virtual environment under the build directory and installs the hashed requirements.
fn prepare_python(directory: &Path, work: &Path) -> anyhow::Result<Runner> {
    let venv = work.join("venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        report("third-party: python3 -m venv");
        let status =
            Command::new("python3").args(["-m", "venv"]).arg(&venv).status().context(
                "python3 is missing: apt-get install -y python3 python3-venv python3-pip",
            )?;
        if !status.success() {
            bail!("python3 -m venv failed (apt-get install -y python3-venv)");
        }
    }
    report("third-party: pip install --require-hashes -r requirements.txt");
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "--only-binary=:all:",
            "-r",
            "requirements.txt",
        ])
        .current_dir(directory)
        .status()
        .context("running pip")?;
    if !status.success() {
        bail!("pip install failed in {}", directory.display());
    }
    Ok(Runner {
        name: "python",
        directory: directory.to_owned(),
        program: python,
        args: vec!["flow.py".to_owned()],
        trust: Vec::new(),
    })
}

/// Runs one client, echoing its steps; an error names the step that failed.
fn run_client(runner: &Runner, settings: &[(&str, String)]) -> anyhow::Result<()> {
    let mut command = Command::new(&runner.program);
    command.args(&runner.args).current_dir(&runner.directory).stdin(Stdio::null());
    for (name, value) in settings
        .iter()
        .map(|(name, value)| (*name, value))
        .chain(runner.trust.iter().map(|(name, value)| (*name, value)))
    {
        command.env(name, value);
    }
    let result =
        command.output().with_context(|| format!("starting {}", runner.program.display()))?;
    let stdout = String::from_utf8_lossy(&result.stdout);
    for line in stdout.lines() {
        report(&format!("  {}: {line}", runner.name));
    }
    let stderr = String::from_utf8_lossy(&result.stderr);
    if result.status.success() {
        return Ok(());
    }
    for line in stderr.lines().take(40) {
        report(&format!("  {} (stderr): {line}", runner.name));
    }
    match stdout.lines().find_map(|line| line.strip_prefix("FAILED step ")) {
        Some(failed) => bail!("failed at step {failed}"),
        None => bail!("exited with {} before naming a step", result.status),
    }
}

/// `v20.19.1` → (20, 19).
fn parse_node_version(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().strip_prefix('v')?.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn output(command: &mut Command) -> anyhow::Result<String> {
    let output = command.output()?;
    if !output.status.success() {
        bail!("exited with {}", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests;
