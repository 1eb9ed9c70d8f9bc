//! `okta login --device`: the device authorization grant (RFC 8628) for SSH sessions and
//! machines without a browser. The URL and the code go to stderr; the result is printed like
//! `okta login`'s.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use okta_flow::{DeviceAuthorization, DeviceError, OktaClient, SealingKey};

use crate::cli::{GlobalArgs, LoginArgs};
use crate::error::{CliError, EXIT_OK, FailedContext as _};
use crate::login;
use crate::output::{self, Spinner, Terminal};
use crate::signed_in;

/// Runs `okta login --device`.
pub(crate) async fn run(
    global: &GlobalArgs,
    args: &LoginArgs,
    terminal: Terminal,
) -> Result<ExitCode, CliError> {
    let settings = signed_in::client_settings(global, login::overrides(global, args)?)?;
    // Nothing is sealed in this grant; a random key spares the warning meant for web apps.
    let sealing_key = SealingKey::generate().failed("generating a random key")?;
    let client = OktaClient::builder(&settings)
        .sealing_key(sealing_key)
        .discover()
        .await
        .map_err(|err| login::setup_error(err, &settings))?;
    let authorization = client
        .start_device_authorization()
        .await
        .map_err(|err| device_error(err, "starting the device sign-in"))?;
    output::err(&instructions(&authorization, terminal));

    let timeout = Duration::from_secs(args.timeout);
    let remaining = authorization
        .expires_at()
        .duration_since(client.clock().now())
        .unwrap_or_default()
        .min(timeout);
    let spinner = Spinner::start(
        terminal,
        "Waiting for the sign-in on the other device".to_owned(),
        Instant::now() + remaining,
    );
    let polled = tokio::time::timeout(
        timeout,
        client.poll_device_authorization(&authorization, tokio::time::sleep),
    )
    .await;
    spinner.stop().await;
    let tokens = match polled {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(err)) => return Err(device_error(err, "the device sign-in failed")),
        Err(_elapsed) => {
            return Err(CliError::Failed(anyhow::anyhow!(
                "timed out after {} s waiting for the sign-in at {}; run okta login --device \
                 again (--timeout SECS allows more time, up to the code's lifetime)",
                args.timeout,
                authorization.verification_uri()
            )));
        }
    };
    let finished = login::verified(&client, &settings, tokens).await.map_err(CliError::Failed)?;
    login::report(&finished, &settings, args, terminal)?;
    Ok(ExitCode::from(EXIT_OK))
}

/// What the user does on the other device: always printed (stderr), since nothing works
/// without it.
fn instructions(authorization: &DeviceAuthorization, terminal: Terminal) -> String {
    let style = terminal.stderr;
    let mut text = format!(
        "To sign in, open {} in a browser on any device and enter the code {}",
        style.cyan(authorization.verification_uri().as_str()),
        style.bold(&output::untrusted(authorization.user_code(), 64)),
    );
    if let Some(complete) = authorization.verification_uri_complete() {
        let _ = write!(text, "\nor open {} (the code is filled in)", style.cyan(complete.as_str()));
    }
    text
}

/// The error of a device sign-in, with what to do about it.
fn device_error(err: DeviceError, context: &str) -> CliError {
    let hint = match &err {
        DeviceError::AccessDenied => Some("the sign-in was denied on the other device"),
        DeviceError::Expired => Some("the code expired: run okta login --device again"),
        DeviceError::NotSupported => Some(
            "this authorization server offers no device authorization; sign in with okta login \
             (add --no-browser to open the URL elsewhere)",
        ),
        DeviceError::Rejected { code, .. } if code == "unauthorized_client" => Some(
            "the application lacks the Device Authorization grant: in Okta it is a native app \
             setting (General > Grant type)",
        ),
        _ => None,
    };
    let kind = err.kind();
    let mut error = anyhow::Error::new(err).context(format!("{context} ({kind})"));
    if let Some(hint) = hint {
        error = error.context(hint.to_owned());
    }
    match kind {
        "configuration" | "device_grant_not_supported" => CliError::Usage(error),
        _ => CliError::Failed(error),
    }
}
