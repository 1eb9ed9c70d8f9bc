//! The command line of `okta`: every subcommand, flag and default, declared with clap's derive.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Sign in with Okta from a terminal, and see exactly why a token is accepted or refused.
///
/// Settings come from `okta.toml` (or `$OKTA_CONFIG`), the profile in `$OKTA_PROFILE` or
/// `--profile`, and `OKTA_*` variables; flags override them. `-v` (or `RUST_LOG`) turns on
/// tracing on stderr. Output is text on a terminal and JSON when stdout is not one (`-o`).
#[derive(Debug, Parser)]
#[command(
    name = "okta",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, shown by `--help` (the contract of `crate::error`).
pub(crate) const EXIT_CODES: &str = "Exit codes:
  0  success: signed in, the token is valid, decoded, discovered, printed
  1  the command ran and failed: the token was refused, the sign-in failed or timed out, the
     issuer could not be reached
  2  usage or configuration error: a bad flag, invalid settings, an unusable file";

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use the `[profiles.NAME]` table of the settings file (overrides `OKTA_PROFILE`).
    #[arg(short = 'p', long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Read this settings file instead of `okta.toml` or `$OKTA_CONFIG`.
    #[arg(short = 'c', long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The output format: `text` for people, `json` (one object per line) for scripts. Without
    /// it: text on a terminal, JSON when stdout is not one (`okta login` and `okta token` print
    /// the token itself unless `json` is asked for). Tokens go to a file with
    /// `okta login --token-file FILE`.
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = parse_output)]
    pub output: Option<OutputFormat>,
    /// The same as `--output json`.
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,
    /// More tracing on stderr: `-v` progress (info), `-vv` debug, `-vvv` everything (trace).
    /// Overrides `RUST_LOG`.
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr: no tracing, summaries, hints or spinner.
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colours and the spinner: `auto` (on a terminal, unless `NO_COLOR` is set),
    /// `always` or `never`.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

impl GlobalArgs {
    /// The output format asked for (`--output`, `--json`), or `None` to choose by whether
    /// stdout is a terminal.
    pub fn output_format(&self) -> Option<OutputFormat> {
        if self.json { Some(OutputFormat::Json) } else { self.output }
    }
}

/// What a command prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// One JSON object per line, for scripts.
    Json,
}

/// `--output`'s values. Anything else is refused with a pointer to `--token-file`, since
/// `--output FILE` used to name the file `okta login` writes its tokens to.
fn parse_output(value: &str) -> Result<OutputFormat, String> {
    match value {
        "json" => Ok(OutputFormat::Json),
        "text" => Ok(OutputFormat::Text),
        _ => Err("--output takes `json` or `text`; to write the tokens of `okta login` to a \
                  file, use --token-file FILE (-f FILE)"
            .to_owned()),
    }
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour what goes to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in through the browser and print the tokens (Authorization Code flow with PKCE, or
    /// the device authorization grant with --device).
    Login(LoginArgs),
    /// Verify a token and say exactly why it is accepted or refused.
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Show a token's header and claims without verifying anything.
    Decode(DecodeArgs),
    /// Show an issuer's endpoints, supported methods and signing keys.
    Discover(DiscoverArgs),
    /// Print an access token for the configured service app (client credentials), for scripts;
    /// with --user, the signed-in user's from the token cache, refreshed when needed.
    Token(TokenArgs),
    /// Show what /userinfo says about the signed-in user (the access token of a login).
    Userinfo(UserinfoArgs),
    /// Ask /introspect whether a token of a login (or any token) is active, and what it grants.
    Introspect(IntrospectArgs),
    /// Get new tokens with the refresh token of a login, written back where they were read.
    Refresh(RefreshArgs),
    /// Revoke a token of a login (or any token) at /revoke.
    Revoke(RevokeArgs),
    /// Show the effective settings, each with where it came from (secrets redacted).
    Config(ConfigArgs),
    /// Print a shell completion script: `okta completion bash > ~/.local/share/bash-completion/completions/okta`.
    Completion(CompletionArgs),
    /// Print the man page (roff): `okta man > ~/.local/share/man/man1/okta.1`.
    Man,
}

/// Where `okta userinfo`, `introspect`, `refresh` and `revoke` find the tokens of a login.
#[derive(Debug, Args)]
pub struct TokenSourceArgs {
    /// The issuer (overrides the `issuer` setting).
    #[arg(short = 'i', long, value_name = "URL")]
    pub issuer: Option<String>,
    /// Read the tokens from FILE, as `okta login --token-file` wrote them, instead of the token
    /// cache (`okta login --cache`).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// Which token of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhichToken {
    /// The access token.
    Access,
    /// The refresh token.
    Refresh,
}

/// `okta userinfo`.
#[derive(Debug, Args)]
pub struct UserinfoArgs {
    /// Where the tokens are.
    #[command(flatten)]
    pub source: TokenSourceArgs,
    /// An access token (or `-` for stdin) instead of the stored one.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
}

/// `okta introspect`.
#[derive(Debug, Args)]
pub struct IntrospectArgs {
    /// Where the tokens are.
    #[command(flatten)]
    pub source: TokenSourceArgs,
    /// Which stored token to introspect.
    #[arg(long, value_name = "KIND", default_value = "access")]
    pub kind: WhichToken,
    /// A token (or `-` for stdin) instead of a stored one.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
}

/// `okta refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Where the tokens are.
    #[command(flatten)]
    pub source: TokenSourceArgs,
}

/// `okta revoke`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Where the tokens are.
    #[command(flatten)]
    pub source: TokenSourceArgs,
    /// Which token to revoke (`token_type_hint`).
    #[arg(long, value_name = "KIND", default_value = "refresh")]
    pub kind: WhichToken,
    /// A token (or `-` for stdin) instead of a stored one.
    #[arg(value_name = "TOKEN")]
    pub token: Option<String>,
}

/// `okta completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_name = "SHELL")]
    pub shell: CompletionShell,
}

/// The shells `okta completion` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// `PowerShell`.
    Powershell,
}

/// `okta config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {}

/// `okta login`.
#[derive(Debug, Args)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "clap flags: each bool is one independent switch of the command line"
)]
pub struct LoginArgs {
    /// The issuer to sign in at (overrides the `issuer` setting).
    #[arg(short = 'i', long, value_name = "URL")]
    pub issuer: Option<String>,
    /// A scope to request besides the configured `scopes` (repeatable), such as
    /// `--scope offline_access` for a refresh token.
    #[arg(short = 's', long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Request exactly the --scope values instead of adding them to the configured scopes;
    /// like the `scopes` setting, they must include `openid`.
    #[arg(long, requires = "scopes")]
    pub replace_scopes: bool,
    /// Ask Okta to show the sign-in page, the consent page, both, or nothing.
    #[arg(long, value_name = "PROMPT")]
    pub prompt: Option<PromptArg>,
    /// Pre-fill the username on the sign-in page.
    #[arg(long, value_name = "USERNAME")]
    pub login_hint: Option<String>,
    /// Do not open a browser: print the authorization URL alone on the first line of stdout.
    #[arg(long)]
    pub no_browser: bool,
    /// Sign in from another device (RFC 8628 device authorization): print a URL and a code on
    /// stderr, to enter in any browser, for SSH sessions and machines without one. The app
    /// needs the Device Authorization grant (an Okta native app).
    #[arg(long, conflicts_with_all = ["no_browser", "prompt", "login_hint"])]
    pub device: bool,
    /// Write the tokens and their verified claims as one JSON object to FILE, created with mode
    /// 0600 (stdout then shows the tokens only with `--output json`).
    #[arg(short = 'f', long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Also keep the tokens in the token cache (the user's cache directory, mode 0600), for
    /// `okta token --user`, `okta refresh` and the other commands on a login's tokens.
    #[arg(long)]
    pub cache: bool,
    /// How long to wait for the browser to come back, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

/// The `prompt` values Okta accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PromptArg {
    /// `consent`: ask for consent even if given before.
    Consent,
    /// `login`: sign in again even with a session.
    Login,
    /// `login consent`: both.
    LoginConsent,
    /// `none`: show no page; fail if one is needed.
    None,
}

/// `okta verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The kind of token.
    #[arg(short = 'k', long, value_name = "KIND", default_value = "access")]
    pub kind: TokenKindArg,
    /// The issuer the token must come from (overrides the `issuer` setting).
    #[arg(short = 'i', long, value_name = "URL")]
    pub issuer: Option<String>,
    /// An accepted audience (repeatable). Access tokens: overrides the `audience` setting. ID
    /// tokens: an audience trusted beside the client id.
    #[arg(short = 'a', long = "audience", value_name = "AUDIENCE")]
    pub audiences: Vec<String>,
    /// Access tokens: an accepted `cid` (repeatable; overrides `client_ids`). ID tokens: the
    /// client id the token was issued to (once; overrides `client_id`).
    #[arg(long = "client-id", value_name = "ID")]
    pub client_ids: Vec<String>,
    /// Access tokens: a scope `scp` must grant (repeatable; overrides `required_scopes`).
    #[arg(short = 's', long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// ID tokens: the nonce sent to /authorize; the token must carry it. Required for ID tokens
    /// unless --no-nonce is given.
    #[arg(long, value_name = "NONCE")]
    pub nonce: Option<String>,
    /// ID tokens: verify without checking the nonce (a token whose sign-in you did not start).
    /// The other checks still run; a token stolen from another sign-in would pass this one.
    #[arg(long, conflicts_with = "nonce")]
    pub no_nonce: bool,
    /// ID tokens: the access token issued with it, to check `at_hash`.
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// Verify offline with the keys in this JWK Set file instead of fetching the issuer's keys.
    #[arg(long, value_name = "PATH")]
    pub jwks_file: Option<PathBuf>,
    /// Clock leeway for `exp`, `nbf` and `iat`, 0 to 300 seconds (overrides `leeway_secs`;
    /// read as the settings file reads it).
    #[arg(long, value_name = "SECS")]
    pub leeway: Option<String>,
    /// The token, or `-` to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub token: String,
}

/// The kinds of tokens `okta verify` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenKindArg {
    /// An access token from a custom authorization server.
    Access,
    /// An ID token.
    Id,
}

/// `okta decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The token, or `-` to read it from stdin.
    #[arg(value_name = "TOKEN")]
    pub token: String,
}

/// `okta discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The issuer to look at (overrides the `issuer` setting).
    #[arg(short = 'i', long, value_name = "URL")]
    pub issuer: Option<String>,
}

/// `okta token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The authorization server to ask (overrides the `issuer` setting).
    #[arg(short = 'i', long, value_name = "URL")]
    pub issuer: Option<String>,
    /// A scope to request (repeatable). Without any, the server's default scopes.
    #[arg(short = 's', long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// The signed-in user's access token from the token cache (`okta login --cache`), refreshed
    /// first when it expires within a minute, instead of a service app's.
    #[arg(long, conflicts_with = "scope")]
    pub user: bool,
}
