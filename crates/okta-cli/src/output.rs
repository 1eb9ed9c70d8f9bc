//! The output contract (the JSON objects scripts read, documented in docs/cli.md) and the human
//! rendering: colours only on a terminal, a spinner on stderr while waiting.

use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::{ColorChoice, GlobalArgs, OutputFormat};
use crate::error::CliError;
use crate::time;

/// Where output goes and how it may look.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Terminal {
    /// Style for what goes to stdout.
    pub(crate) stdout: Style,
    /// Style for what goes to stderr.
    pub(crate) stderr: Style,
    /// Whether stderr is a terminal and `--quiet` was not given (summaries, hints and the
    /// spinner go there).
    pub(crate) stderr_tty: bool,
    /// The output format asked for with `--output`, or `None`.
    pub(crate) output: Option<OutputFormat>,
    /// Whether stdout is a terminal.
    pub(crate) stdout_tty: bool,
}

impl Terminal {
    /// Looks at stdout and stderr, and at the global flags.
    pub(crate) fn detect(global: &GlobalArgs) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let color = |is_terminal: bool| match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal,
        };
        Self {
            stdout: Style { color: color(stdout_tty) },
            stderr: Style { color: color(stderr_tty) },
            stderr_tty: stderr_tty && !global.quiet,
            output: global.output_format(),
            stdout_tty,
        }
    }

    /// The format of a report: the one asked for, else text on a terminal and JSON when stdout
    /// is not one.
    pub(crate) fn format(self) -> OutputFormat {
        self.output.unwrap_or(if self.stdout_tty { OutputFormat::Text } else { OutputFormat::Json })
    }
}

/// Writes `text` and a newline to stdout, and flushes (a script may be reading line by
/// line while the command waits).
pub(crate) fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|err| CliError::Failed(anyhow::Error::new(err).context("writing to stdout")))
}

/// Writes `value` as one line of JSON to stdout, [terminal-safe](terminal_safe_json).
pub(crate) fn json(value: &impl Serialize) -> Result<(), CliError> {
    let line = serde_json::to_string(value)
        .map_err(|err| CliError::Failed(anyhow::Error::new(err).context("encoding JSON")))?;
    out(&terminal_safe_json(&line))
}

/// Writes `text` and a newline to stderr; a closed stderr is not worth failing for.
pub(crate) fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Plain ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    /// Whether to emit colour codes.
    pub(crate) color: bool,
}

impl Style {
    /// No styling.
    #[cfg(test)]
    pub(crate) const PLAIN: Self = Self { color: false };

    fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    /// Bold.
    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Dimmed.
    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Red and bold: failures.
    pub(crate) fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// Green: success.
    pub(crate) fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Yellow: warnings.
    pub(crate) fn yellow(self, text: &str) -> String {
        self.paint("1;33", text)
    }

    /// Cyan: URLs and values to copy.
    pub(crate) fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// Text that came from a token or a server, as Rust's `Debug` formatting escapes it (without
/// the quotes), cut after `max` characters.
///
/// std decides what is escaped, from Unicode's tables: controls (C0 and C1, so no terminal
/// escape sequence), format characters (bidirectional overrides and isolates such as U+202E,
/// zero-width characters), line and paragraph separators, private-use and unassigned code
/// points, and `\` and `"`. okta-flow escapes the values it copies from servers the same way.
pub(crate) fn untrusted(text: &str, max: usize) -> String {
    let cut = text.char_indices().nth(max).map_or(text, |(index, _)| &text[..index]);
    let quoted = format!("{cut:?}");
    let mut out = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_owned();
    if cut.len() < text.len() {
        out.push('…');
    }
    out
}

/// JSON text (from `serde_json`) with every character that [`untrusted`] would escape written
/// as a JSON `\uXXXX` escape instead: the same JSON value, which a terminal shows as plain text.
///
/// `serde_json` escapes C0 controls but writes C1 controls (U+009B starts an escape sequence on
/// some terminals), bidirectional overrides (U+202E reverses what follows) and zero-width
/// characters as they are. Outside strings JSON text is ASCII punctuation, digits, letters and
/// whitespace, so every such character is inside a string, where the escape is valid; the line
/// breaks of pretty-printed JSON are layout and stay.
pub(crate) fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for character in json.chars() {
        let shown_as_is =
            character.escape_debug().len() == 1 || matches!(character, '"' | '\'' | '\\' | '\n');
        if shown_as_is {
            out.push(character);
        } else {
            for unit in character.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// okta verify

/// `okta verify`'s stdout: `{"valid":true,"claims":{…},"checks":{…},"times":{…}}` or
/// `{"valid":false,"error":{"kind":…,"message":…,"explanation":…},"checks":{…},"times":{…}}`.
#[derive(Serialize)]
pub(crate) struct VerifyReport {
    /// Whether the token passed every check.
    pub(crate) valid: bool,
    /// The verified token's claims, exactly as in its payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) claims: Option<Map<String, Value>>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorReport>,
    /// The token's value and the accepted values of each claim check.
    pub(crate) checks: Checks,
    /// The token's times and the verifier's, as epoch seconds and RFC 3339.
    pub(crate) times: Map<String, Value>,
}

/// A refusal: the stable `kind` and a human message.
#[derive(Serialize)]
pub(crate) struct ErrorReport {
    /// `VerifyError::kind()`: a stable `snake_case` name.
    pub(crate) kind: &'static str,
    /// The error's text (never contains the token).
    pub(crate) message: String,
    /// The line stderr shows: dates, the accepted values next to the token's, the source of
    /// the configured value.
    pub(crate) explanation: String,
    /// What to do about it, when there is something specific (a flag, a command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
}

/// One claim check: the token's value (as in its payload, unverified when refused) and the
/// values accepted.
#[derive(Serialize)]
pub(crate) struct Check {
    /// The token's value; `null` when it has none.
    pub(crate) token: Value,
    /// The accepted values (for `scp`: the scopes required, all of them). Empty for `cid`: any
    /// client is accepted.
    pub(crate) accepted: Vec<String>,
}

/// The claim checks of `okta verify` (`cid` and `scp` for access tokens only).
#[derive(Serialize)]
pub(crate) struct Checks {
    pub(crate) iss: Check,
    pub(crate) aud: Check,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cid: Option<Check>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scp: Option<Check>,
}

/// `times` of `okta verify`: `now`, `leeway_secs`, and each of the token's `iat`, `nbf`,
/// `auth_time`, `exp` that is a number, each beside `<name>_utc` in RFC 3339.
pub(crate) fn verify_times(
    claims: &Map<String, Value>,
    now: i64,
    leeway: u64,
) -> Map<String, Value> {
    let mut times = Map::new();
    times.insert("now".to_owned(), now.into());
    times.insert("now_utc".to_owned(), time::rfc3339(now).into());
    times.insert("leeway_secs".to_owned(), leeway.into());
    for name in TIME_CLAIMS {
        if let Some(seconds) = claims.get(name).and_then(seconds) {
            times.insert(name.to_owned(), seconds.into());
            times.insert(format!("{name}_utc"), time::rfc3339(seconds).into());
        }
    }
    times
}

/// The human rendering of a valid token for `okta verify --output text`: a verdict line, then
/// the verified claims.
pub(crate) fn verified_text(claims: &Map<String, Value>, style: Style) -> String {
    let issuer = claims.get("iss").and_then(Value::as_str).unwrap_or("(no iss)");
    format!(
        "{} token valid, issued by {}\n\n{}\n{}\n",
        style.green("✓"),
        untrusted(issuer, 256),
        style.bold("Claims"),
        pretty(claims)
    )
}

// ---------------------------------------------------------------------------------------------
// okta login

/// `okta login -o json`'s object (also what `--token-file` writes).
#[derive(Serialize)]
pub(crate) struct LoginReport<'a> {
    /// `Bearer`.
    pub(crate) token_type: &'a str,
    /// The access token.
    pub(crate) access_token: &'a str,
    /// The ID token (verified).
    pub(crate) id_token: Option<&'a str>,
    /// The refresh token, only when one was granted (`offline_access`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<&'a str>,
    /// When the access token expires, seconds since the epoch.
    pub(crate) expires_at: Option<i64>,
    /// The granted scopes, space-separated.
    pub(crate) scope: String,
    /// The ID token's verified claims.
    pub(crate) id_token_claims: Option<Map<String, Value>>,
    /// The access token's verified claims; `null` for the org authorization server, whose
    /// access tokens cannot be verified locally.
    pub(crate) access_token_claims: Option<Map<String, Value>>,
}

/// What the human summary of a sign-in needs.
pub(crate) struct LoginSummary<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) report: &'a LoginReport<'a>,
    pub(crate) now: i64,
    /// Audiences the access token was checked against, or `None` when none is configured and
    /// the token's own were taken.
    pub(crate) audiences: Option<&'a [String]>,
}

/// The human summary of `okta login`, for stderr.
pub(crate) fn login_summary(summary: &LoginSummary<'_>, style: Style) -> String {
    let report = summary.report;
    let access = report.access_token_claims.as_ref();
    let id = report.id_token_claims.as_ref();
    let who = access
        .and_then(|claims| claims.get("sub"))
        .or_else(|| id.and_then(|claims| claims.get("preferred_username")))
        .or_else(|| id.and_then(|claims| claims.get("email")))
        .or_else(|| id.and_then(|claims| claims.get("sub")))
        .and_then(Value::as_str)
        .map_or_else(|| "(unknown)".to_owned(), |who| untrusted(who, 128));
    let mut text = format!(
        "{} Signed in as {} at {}\n",
        style.green("✓"),
        style.bold(&who),
        untrusted(summary.issuer, 256)
    );
    let mut row = |name: &str, value: String| {
        let _ = writeln!(text, "  {}{value}", style.dim(&format!("{name:<14}")));
    };
    if let Some(sub) = id.and_then(|claims| claims.get("sub")).and_then(Value::as_str) {
        row("subject", untrusted(sub, 128));
    }
    row(
        "scopes",
        if report.scope.is_empty() { "(none)".to_owned() } else { untrusted(&report.scope, 512) },
    );
    if let Some(exp) = report.expires_at {
        row("expires", format!("{} ({})", time::rfc3339(exp), time::expiry(exp, summary.now)));
    }
    row(
        "refresh token",
        if report.refresh_token.is_some() {
            "granted".to_owned()
        } else {
            "not granted (ask for it with --scope offline_access)".to_owned()
        },
    );
    row("ID token", style.green("verified"));
    let access_line = match (access, summary.audiences) {
        (None, _) => style
            .yellow("not verified: org authorization server tokens are opaque to local validation"),
        (Some(_), Some(audiences)) => {
            format!("{} (audience {})", style.green("verified"), audiences.join(", "))
        }
        (Some(claims), None) => format!(
            "{} (no audience configured: accepted {})",
            style.green("verified"),
            untrusted(&audience_text(claims.get("aud")), 256)
        ),
    };
    row("access token", access_line);
    text
}

/// `aud` as text: a string, or the strings of an array joined by commas.
pub(crate) fn audience_text(aud: Option<&Value>) -> String {
    match aud {
        Some(Value::String(aud)) => aud.clone(),
        Some(Value::Array(values)) => {
            values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        Some(other) => other.to_string(),
        None => "(none)".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// okta decode

/// `okta decode -o json`'s object.
#[derive(Serialize)]
pub(crate) struct DecodeReport {
    /// Always `false`: nothing was checked.
    pub(crate) verified: bool,
    /// Whether the token is encrypted (JWE): then only its header is readable.
    pub(crate) encrypted: bool,
    /// The JOSE header.
    pub(crate) header: Map<String, Value>,
    /// The claims; `null` for an encrypted token.
    pub(crate) claims: Option<Map<String, Value>>,
    /// The length of the decoded signature in bytes (0 for an encrypted token).
    pub(crate) signature_bytes: usize,
}

/// The claims shown as dates in `okta decode`, in this order.
const TIME_CLAIMS: [&str; 4] = ["iat", "nbf", "auth_time", "exp"];

/// The human rendering of `okta decode` at time `now`.
pub(crate) fn decode_text(report: &DecodeReport, now: i64, style: Style) -> String {
    let mut text = format!(
        "{} decoded only: the signature, issuer, audience and times were not checked (use `okta verify`)\n\n",
        style.yellow("UNVERIFIED")
    );
    let _ = writeln!(text, "{}\n{}\n", style.bold("Header"), pretty(&report.header));
    let Some(claims) = &report.claims else {
        text.push_str(
            "Encrypted token (JWE): the claims cannot be read without the private key.\n",
        );
        return text;
    };
    let _ = writeln!(text, "{}\n{}\n", style.bold("Claims"), pretty(claims));
    let times: Vec<(&str, &Value)> = TIME_CLAIMS
        .iter()
        .filter_map(|name| claims.get(*name).map(|value| (*name, value)))
        .collect();
    if !times.is_empty() {
        let _ = writeln!(text, "{} (now {})", style.bold("Times"), time::rfc3339(now));
        for (name, value) in times {
            let described = match seconds(value) {
                Some(seconds) => {
                    let phrase = if name == "exp" {
                        let phrase = time::expiry(seconds, now);
                        if seconds > now { style.green(&phrase) } else { style.red(&phrase) }
                    } else {
                        time::relative(seconds, now)
                    };
                    format!("{}  {phrase}", time::rfc3339(seconds))
                }
                None => style.red("not a number of seconds"),
            };
            let _ = writeln!(text, "  {name:<10} {described}");
        }
        text.push('\n');
    }
    let _ =
        writeln!(text, "{} {} bytes, not checked", style.bold("Signature"), report.signature_bytes);
    text
}

/// A `NumericDate` as whole seconds (fractions dropped), if it is a finite JSON number in range.
pub(crate) fn seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64().or_else(|| {
            let float = number.as_f64()?;
            #[allow(clippy::cast_possible_truncation, reason = "range checked just before")]
            (float.is_finite() && float.abs() < 9.0e15).then(|| float.trunc() as i64)
        }),
        _ => None,
    }
}

/// Pretty-printed, [terminal-safe](terminal_safe_json) JSON.
fn pretty(value: &Map<String, Value>) -> String {
    terminal_safe_json(&serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_owned()))
}

// ---------------------------------------------------------------------------------------------
// okta discover

/// `okta discover -o json`'s object.
#[derive(Serialize)]
pub(crate) struct DiscoverReport {
    /// The issuer, as the metadata states it (equal to the configured one).
    pub(crate) issuer: String,
    /// Org or custom authorization server.
    pub(crate) authorization_server: ServerReport,
    /// The endpoints.
    pub(crate) endpoints: EndpointsReport,
    /// `token_endpoint_auth_methods_supported`.
    pub(crate) token_endpoint_auth_methods: Vec<String>,
    /// `code_challenge_methods_supported`.
    pub(crate) code_challenge_methods: Vec<String>,
    /// `id_token_signing_alg_values_supported`.
    pub(crate) id_token_signing_algs: Vec<String>,
    /// `scopes_supported`.
    pub(crate) scopes_supported: Vec<String>,
    /// RFC 9207: whether authorization responses carry `iss`.
    pub(crate) authorization_response_iss_parameter_supported: bool,
    /// The keys published at `jwks_uri`.
    pub(crate) keys: Vec<KeyReport>,
}

/// Which kind of authorization server an issuer is.
#[derive(Serialize)]
pub(crate) struct ServerReport {
    /// `org` or `custom`.
    pub(crate) kind: &'static str,
    /// The custom server's id (`default`, `aus…`); `null` for the org server.
    pub(crate) id: Option<String>,
}

/// The endpoints an issuer advertises.
#[derive(Serialize)]
pub(crate) struct EndpointsReport {
    pub(crate) authorization: String,
    pub(crate) token: String,
    pub(crate) userinfo: Option<String>,
    pub(crate) jwks: String,
    pub(crate) introspection: String,
    pub(crate) revocation: String,
    pub(crate) end_session: Option<String>,
}

/// One published key.
#[derive(Serialize)]
pub(crate) struct KeyReport {
    pub(crate) kid: Option<String>,
    pub(crate) kty: Option<String>,
    pub(crate) alg: Option<String>,
    #[serde(rename = "use")]
    pub(crate) key_use: Option<String>,
    /// RSA modulus size in bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bits: Option<usize>,
    /// EC curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) crv: Option<String>,
    /// Whether okta-verify would verify signatures with it.
    pub(crate) usable: bool,
}

/// The human rendering of `okta discover`.
pub(crate) fn discover_text(report: &DiscoverReport, style: Style) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}{}", style.bold("Issuer   "), untrusted(&report.issuer, 256));
    let server = match &report.authorization_server.id {
        Some(id) => format!("custom authorization server {:?}", untrusted(id, 64)),
        None => "org authorization server: its access tokens are for Okta only and cannot be \
                 verified locally (use introspection)"
            .to_owned(),
    };
    let _ = writeln!(text, "{}{server}\n", style.bold("Server   "));

    let _ = writeln!(text, "{}", style.bold("Endpoints"));
    let endpoints = &report.endpoints;
    let none = "(not advertised)".to_owned();
    for (name, value) in [
        ("authorization", Some(&endpoints.authorization)),
        ("token", Some(&endpoints.token)),
        ("userinfo", endpoints.userinfo.as_ref()),
        ("jwks", Some(&endpoints.jwks)),
        ("introspection", Some(&endpoints.introspection)),
        ("revocation", Some(&endpoints.revocation)),
        ("end_session", endpoints.end_session.as_ref()),
    ] {
        let _ = writeln!(text, "  {name:<15}{}", untrusted(value.unwrap_or(&none), 256));
    }

    let _ = writeln!(text, "\n{}", style.bold("Supported"));
    let list = |values: &[String]| {
        if values.is_empty() {
            "(not advertised)".to_owned()
        } else {
            untrusted(&values.join(", "), 512)
        }
    };
    let _ = writeln!(
        text,
        "  {:<23}{}",
        "client authentication",
        list(&report.token_endpoint_auth_methods)
    );
    let _ = writeln!(text, "  {:<23}{}", "PKCE methods", list(&report.code_challenge_methods));
    let _ =
        writeln!(text, "  {:<23}{}", "ID token algorithms", list(&report.id_token_signing_algs));
    let _ = writeln!(text, "  {:<23}{}", "scopes", list(&report.scopes_supported));
    let _ = writeln!(
        text,
        "  {:<23}{}",
        "iss in responses",
        if report.authorization_response_iss_parameter_supported { "yes (RFC 9207)" } else { "no" }
    );

    let _ = writeln!(text, "\n{} ({})", style.bold("Keys"), report.keys.len());
    let field = |value: &Option<String>| {
        value.as_deref().map_or_else(|| "-".to_owned(), |v| untrusted(v, 64))
    };
    for key in &report.keys {
        let size = match (key.bits, &key.crv) {
            (Some(bits), _) => format!("{bits} bits"),
            (None, Some(crv)) => untrusted(crv, 16),
            (None, None) => "-".to_owned(),
        };
        let usable = if key.usable { style.green("usable") } else { style.red("unusable") };
        let _ = writeln!(
            text,
            "  {:<44} {:<4} {:<6} {:<4} {:<10} {usable}",
            field(&key.kid),
            field(&key.kty),
            field(&key.alg),
            field(&key.key_use),
            size
        );
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Files

/// Writes `contents` to `path` readable by its owner only: a new file created with mode 0600 next
/// to `path`, then renamed over it, so the tokens are never readable by others, not even
/// briefly, and an existing file's wider mode is not kept.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty());
    let temporary_name = format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id());
    let temporary =
        directory.map_or_else(|| PathBuf::from(&temporary_name), |dir| dir.join(&temporary_name));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

// ---------------------------------------------------------------------------------------------
// The spinner

/// A spinner on stderr while `okta login` waits for the browser; does nothing off a terminal.
pub(crate) struct Spinner {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Spinner {
    /// Starts spinning with `message` and the time left until `deadline`, if stderr is a
    /// terminal and colour is allowed there.
    pub(crate) fn start(terminal: Terminal, message: String, deadline: Instant) -> Self {
        if !terminal.stderr_tty || !terminal.stderr.color {
            return Self { stop: None, task: None };
        }
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut ticker = tokio::time::interval(Duration::from_millis(100));
            for frame in FRAMES.iter().cycle() {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticker.tick() => {}
                }
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                let mut stderr = std::io::stderr().lock();
                let _ = write!(
                    stderr,
                    "\r\x1b[2K{frame} {message} ({}:{:02} left, Ctrl-C to cancel)",
                    left / 60,
                    left % 60
                );
                let _ = stderr.flush();
            }
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        });
        Self { stop: Some(stop), task: Some(task) }
    }

    /// Stops the spinner and clears its line.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests;
