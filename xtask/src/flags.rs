//! Command-line parsing for `cargo xtask`, kept dependency-free.

/// What `cargo xtask` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Run the benchmarks and the flow latency, and print one table of ratios.
    Bench(Bench),
    /// Two replicas, one Redis, simulated users and faults: count what the users saw.
    Chaos(Chaos),
    /// Check the configured settings against the authorization server.
    Doctor(Doctor),
    /// Run the whole Authorization Code flow end to end.
    E2e(E2e),
    /// Regenerate (or check) okta-verify's committed test fixtures.
    Fixtures(Fixtures),
    /// Run every fuzz target in turn.
    Fuzz(Fuzz),
    /// Build each guide's dependency lines and first code block as a crate outside the workspace.
    Guides,
    /// Print the usage text.
    Help,
    /// Regenerate (or check) the committed public-API listings of the library crates.
    PublicApi(PublicApi),
    /// Run third-party OpenID Connect clients against okta-devserver over TLS.
    ThirdParty(ThirdParty),
    /// Check the repository's invariants (file docs, dependency graph, duplicate versions).
    Tidy,
}

/// `cargo xtask third-party`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ThirdParty {
    /// Only this ecosystem (`node` or `python`); both when `None`.
    pub(crate) only: Option<String>,
}

/// `cargo xtask e2e`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct E2e {
    /// A real Okta org's issuer; `None` runs against the in-process devserver.
    pub(crate) issuer: Option<String>,
    /// Sign in with headless Chromium.
    pub(crate) browser: bool,
    /// How many runs (percentiles from 2 on).
    pub(crate) repeat: usize,
}

/// `cargo xtask chaos`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Chaos {
    /// How long the users browse, in seconds.
    pub(crate) duration: u64,
    /// How many users (at most 50 at a time).
    pub(crate) users: usize,
    /// The devserver's refresh-token rotation grace period, in seconds (0 to 60, as Okta).
    pub(crate) grace_period: u64,
}

/// `cargo xtask doctor`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Doctor {
    /// Overrides the configured issuer.
    pub(crate) issuer: Option<String>,
    /// Checks the in-process devserver's e2e client instead of the configured settings.
    pub(crate) devserver: bool,
    /// Which role the settings are checked for.
    pub(crate) role: DoctorRole,
    /// The scopes a service asks for (`--role service`), space-separated.
    pub(crate) scopes: Option<String>,
}

/// `cargo xtask doctor --role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DoctorRole {
    /// Signs users in (the default).
    Client,
    /// An API that checks access tokens (resource server).
    Api,
    /// A service that calls APIs with client-credentials tokens.
    Service,
}

/// `cargo xtask bench`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bench {
    /// How many flow runs to take percentiles from.
    pub(crate) repeat: usize,
    /// criterion's `--quick` mode (a rough number in a fraction of the time).
    pub(crate) quick: bool,
}

/// `cargo xtask fixtures`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fixtures {
    /// Only check that the fixtures are current.
    pub(crate) check: bool,
}

/// `cargo xtask public-api`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PublicApi {
    /// Only compare the listings with the code, and print the difference.
    pub(crate) check: bool,
}

/// `cargo xtask fuzz`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Fuzz {
    /// How long to fuzz each target.
    pub(crate) seconds: usize,
    /// Only this target (all of them when `None`).
    pub(crate) target: Option<String>,
}

pub(crate) const USAGE: &str = "\
cargo xtask <command> [options]

Commands:
  e2e       the whole Authorization Code flow, step by step, against okta-devserver started
            in-process (exits non-zero naming the failed step)
              --issuer URL  against a real Okta org instead: client settings from okta.toml
                            and OKTA_* (client id, secret, redirect URI ...), the test user from
                            OKTA_E2E_USERNAME and OKTA_E2E_PASSWORD
              --browser     sign in with headless Chromium through ChromeDriver
                            (apt-get install -y chromium chromium-driver)
              --repeat N    run N times and print p50/p95/p99 per step
  doctor    check the Okta settings (okta.toml, OKTA_*) and the authorization server before
            going live: every problem at once, each with its fix
              --issuer URL  check this issuer instead of the configured one
              --devserver   check the in-process devserver's e2e client (what passing looks like)
              --role R      client (default), api (a resource server: keys, algorithms, clock,
                            audience, accepted clients) or service (a client-credentials token
                            and its aud against the audience setting)
              --scopes S    the scopes a service asks for, space-separated (--role service;
                            default: the scopes setting, else the server's default scopes)
  bench     cargo bench -p okta-verify, then e2e --repeat, as one table of ratios
              --repeat N    flow runs for the latency percentiles (default 20)
              --quick       criterion's quick mode (rough numbers, much faster)
  chaos     two replicas of okta-flow's web example (--features axum,redis) share one
            redis-server and okta-devserver behind a round-robin proxy; simulated users sign in,
            browse, refresh and sign out while Redis, then one replica, is killed and restarted;
            prints the counts and exits non-zero naming each broken rule (needs redis-server)
              --duration S  how long the users browse (default 45)
              --users N     how many users, at most 50 at a time (default 150)
              --grace-period S
                            the refresh-token rotation grace period, 0 to 60 s (default 30,
                            Okta's; 0: a refresh token used twice revokes the sign-in)
  fixtures  regenerate okta-verify's test fixtures (keys, key set, tokens)
              --check       only check that they are current
  fuzz      run every cargo-fuzz target of fuzz/ in turn, with no sanitizer (stable toolchain),
            and report executions per target (cargo install cargo-fuzz --locked --version 0.13.2)
              --seconds N   how long to fuzz each target (default 10)
              --target T    only this target
  guides    build, outside the workspace, a crate with each guide's dependency lines (the git
            source replaced by this checkout's path) and its first code block (target/external)
  public-api  write each library crate's public API to crates/<crate>/public-api.txt (from
            rustdoc JSON, built in target/public-api) and check that no item outside the
            crate's `upstream` module names an openidconnect, oauth2 or reqwest type
              --check       only compare with the committed listings and print the difference
  third-party
            widely used OpenID Connect libraries of other ecosystems (Node.js openid-client,
            jose and @okta/jwt-verifier; Python Authlib, joserfc and okta-jwt-verifier), pinned
            in tests/third-party/, run the whole flow against okta-devserver over TLS (needs
            node >= 20.19, npm, python3 with venv; exits non-zero naming the failed step)
              --only NAME   `node` or `python` only
  tidy      check repository invariants: every file opens with //!, the dependency graph
            (okta-devserver and okta-verify never depend on each other, no OpenSSL), and one
            version of each direct dependency in the tree
  help      print this text";

pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Command> {
    let command = args.next();
    let mut args = Args { rest: args.collect() };
    let command = match command.as_deref() {
        None | Some("help" | "-h" | "--help") => Command::Help,
        Some("tidy") => Command::Tidy,
        Some("third-party") => Command::ThirdParty(ThirdParty { only: args.value("--only")? }),
        Some("guides") => Command::Guides,
        Some("e2e") => Command::E2e(E2e {
            issuer: args.value("--issuer")?,
            browser: args.flag("--browser"),
            repeat: args.number("--repeat")?.unwrap_or(1),
        }),
        Some("doctor") => Command::Doctor(Doctor {
            issuer: args.value("--issuer")?,
            devserver: args.flag("--devserver"),
            role: match args.value("--role")?.as_deref() {
                None | Some("client") => DoctorRole::Client,
                Some("api") => DoctorRole::Api,
                Some("service") => DoctorRole::Service,
                Some(other) => {
                    anyhow::bail!("--role is client, api or service, not `{other}`\n\n{USAGE}")
                }
            },
            scopes: args.value("--scopes")?,
        }),
        Some("bench") => Command::Bench(Bench {
            repeat: args.number("--repeat")?.unwrap_or(20),
            quick: args.flag("--quick"),
        }),
        Some("chaos") => Command::Chaos(Chaos {
            duration: args.number("--duration")?.unwrap_or(45) as u64,
            users: args.number("--users")?.unwrap_or(150),
            grace_period: match args.value("--grace-period")? {
                None => 30,
                Some(text) => match text.parse::<u64>() {
                    Ok(seconds) if seconds <= 60 => seconds,
                    _ => anyhow::bail!(
                        "--grace-period takes 0 to 60 seconds (Okta's range), not `{text}`"
                    ),
                },
            },
        }),
        Some("public-api") => Command::PublicApi(PublicApi { check: args.flag("--check") }),
        Some("fixtures") => Command::Fixtures(Fixtures { check: args.flag("--check") }),
        Some("fuzz") => Command::Fuzz(Fuzz {
            seconds: args.number("--seconds")?.unwrap_or(10),
            target: args.value("--target")?,
        }),
        Some(other) => anyhow::bail!("unknown command `{other}`\n\n{USAGE}"),
    };
    if let Some(extra) = args.rest.first() {
        anyhow::bail!("unexpected argument `{extra}`\n\n{USAGE}");
    }
    if let Command::Doctor(Doctor { issuer: Some(_), devserver: true, .. }) = command {
        anyhow::bail!("--issuer and --devserver exclude each other");
    }
    Ok(command)
}

/// The arguments after the command, consumed option by option.
struct Args {
    rest: Vec<String>,
}

impl Args {
    fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|arg| arg != name);
        self.rest.len() != before
    }

    /// `--name value` or `--name=value`.
    fn value(&mut self, name: &str) -> anyhow::Result<Option<String>> {
        let prefix = format!("{name}=");
        if let Some(at) = self.rest.iter().position(|arg| arg.starts_with(&prefix)) {
            let arg = self.rest.remove(at);
            return Ok(Some(arg[prefix.len()..].to_owned()));
        }
        let Some(at) = self.rest.iter().position(|arg| arg == name) else {
            return Ok(None);
        };
        self.rest.remove(at);
        if at >= self.rest.len() || self.rest[at].starts_with("--") {
            anyhow::bail!("{name} needs a value\n\n{USAGE}");
        }
        Ok(Some(self.rest.remove(at)))
    }

    fn number(&mut self, name: &str) -> anyhow::Result<Option<usize>> {
        match self.value(name)? {
            None => Ok(None),
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Some(n)),
                _ => anyhow::bail!("{name} takes a whole number of at least 1, not `{text}`"),
            },
        }
    }
}

#[cfg(test)]
mod tests;
