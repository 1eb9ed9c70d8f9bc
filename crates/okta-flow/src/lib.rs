//! The OpenID Connect Authorization Code flow against Okta, built on `openidconnect`.
//!
//! (Being built: issue #5.)

mod callback;
mod pending;

// The public interface.
pub use crate::callback::{AuthorizationErrorCode, CallbackError};
pub use crate::pending::{
    MAX_RETURN_TO_LEN, MAX_SEALED_LEN, PENDING_LOGIN_LIFETIME, PendingLogin, SealError, SealingKey,
    UnsealError,
};
