//! The OpenID Connect Authorization Code flow against Okta, built on `openidconnect`.
//!
//! (Guide being written: issue #5.)

mod authorize;
mod callback;
mod client;
mod http;
mod metadata;
mod pending;
#[cfg(test)]
mod test_support;
mod token;
mod userinfo;

// The public interface.
pub use crate::authorize::{AuthorizeError, AuthorizeOptions, Prompt};
pub use crate::callback::{
    AuthorizationErrorCode, CallbackError, MAX_CODE_LEN, MAX_DESCRIPTION_LEN, MAX_QUERY_LEN,
};
pub use crate::client::{
    LoginError, LogoutError, OktaClient, OktaClientBuilder, Revocable, RevokeError, SetupError,
};
pub use crate::metadata::{DiscoveryError, Metadata, discover};
pub use crate::pending::{
    MAX_RETURN_TO_LEN, MAX_SEALED_LEN, PENDING_LOGIN_LIFETIME, PendingLogin, SealError, SealingKey,
    UnsealError,
};
pub use crate::token::{IdToken, TokenError, TokenErrorCode, TokenSet};
pub use crate::userinfo::{ExtraClaims, UserInfo, UserInfoError};
pub use openidconnect::{AccessToken, AuthorizationCode, RefreshToken};
