//! `okta decode`: a token's header and claims, unverified and offline; also the payload reader
//! the other commands use once a token is verified.

use std::io::Read as _;
use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_verify::Clock;
use serde_json::{Map, Value};

use crate::cli::{DecodeArgs, OutputFormat};
use crate::error::{CliError, EXIT_OK};
use crate::output::{self, DecodeReport, Terminal};

/// The most `okta decode` and `okta verify` read from stdin.
const MAX_STDIN_BYTES: u64 = 1024 * 1024;

/// Runs `okta decode`.
pub(crate) fn run(args: &DecodeArgs, terminal: Terminal) -> Result<ExitCode, CliError> {
    let token = read_token(&args.token)?;
    let report = decode(&token)
        .map_err(|reason| CliError::Failed(anyhow::anyhow!("cannot decode the token: {reason}")))?;
    if terminal.format() == OutputFormat::Json {
        output::json(&report)?;
    } else {
        let text = output::decode_text(&report, Clock::system().unix_seconds(), terminal.stdout);
        output::out(text.trim_end())?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The token given on the command line, or read from stdin for `-`, [cleaned](clean_token).
pub(crate) fn read_token(arg: &str) -> Result<String, CliError> {
    let text = if arg == "-" {
        let mut text = String::new();
        std::io::stdin().take(MAX_STDIN_BYTES).read_to_string(&mut text).map_err(|err| {
            CliError::Usage(anyhow::Error::new(err).context("reading the token from stdin"))
        })?;
        text
    } else {
        arg.to_owned()
    };
    clean_token(&text).map_err(CliError::usage)
}

/// The token in text as people paste it: surrounding whitespace, quotes (a JSON string, a shell
/// word), and an `Authorization: Bearer ` or `Bearer ` prefix (a copied header) are removed.
/// Text with whitespace inside is more than one token (two lines of `jq` output, say): an error
/// rather than a guess. The error never quotes the text.
pub(crate) fn clean_token(text: &str) -> Result<String, String> {
    let mut token = strip_quotes(text.trim()).trim();
    if let Some(rest) = strip_prefix_ignore_case(token, "authorization:") {
        token = rest.trim_start();
    }
    if let Some(rest) = strip_prefix_ignore_case(token, "bearer")
        && (rest.is_empty() || rest.starts_with(char::is_whitespace))
    {
        token = rest.trim();
    }
    token = strip_quotes(token).trim();
    if token.is_empty() {
        return Err("the token is empty".to_owned());
    }
    let words = token.split_whitespace().count();
    if words > 1 {
        return Err(format!(
            "more than one token: the input holds {words} values separated by whitespace or \
             lines (such as two lines of jq output); give one token"
        ));
    }
    Ok(token.to_owned())
}

fn strip_quotes(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|rest| rest.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// Splits a compact JWS (or the header of a compact JWE) and decodes its parts. The error says
/// what is wrong in a few words and never quotes the token.
pub(crate) fn decode(token: &str) -> Result<DecodeReport, &'static str> {
    let segments: Vec<&str> = token.split('.').collect();
    match segments.as_slice() {
        [header, payload, signature] => Ok(DecodeReport {
            verified: false,
            encrypted: false,
            header: object(header, "header")?,
            claims: Some(object(payload, "payload")?),
            signature_bytes: base64url(signature)
                .map_err(|()| "the signature is not base64url")?
                .len(),
        }),
        [header, _, _, _, _] => Ok(DecodeReport {
            verified: false,
            encrypted: true,
            header: object(header, "header")?,
            claims: None,
            signature_bytes: 0,
        }),
        _ => Err("a JWT has three parts separated by dots (five for an encrypted one)"),
    }
}

/// The claims of a token that was just verified, exactly as its payload states them.
pub(crate) fn verified_claims(token: &str) -> Result<Map<String, Value>, CliError> {
    match decode(token) {
        Ok(DecodeReport { claims: Some(claims), .. }) => Ok(claims),
        _ => Err(CliError::Failed(anyhow::anyhow!(
            "the verified token's payload could not be decoded again"
        ))),
    }
}

fn object(segment: &str, what: &'static str) -> Result<Map<String, Value>, &'static str> {
    let bytes = base64url(segment).map_err(|()| match what {
        "header" => "the header is not base64url",
        _ => "the payload is not base64url",
    })?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(match what {
            "header" => "the header is not a JSON object",
            _ => "the payload is not a JSON object",
        }),
    }
}

/// Decodes base64url, with or without padding (decoding is lenient; `okta verify` is not).
fn base64url(segment: &str) -> Result<Vec<u8>, ()> {
    URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).map_err(|_| ())
}

#[cfg(test)]
mod tests;
