//! What a host may tell the authorization and resource servers about a
//! client: the time for it, whether one of their defences is off for it,
//! and which access-token format it gets. The servers ask and never know
//! who answers; `NoHooks`, the default, changes nothing.

use super::util::now_secs;

/// A defence of the authorization or resource server that a host can turn
/// off for one client, to show what it stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Defence {
    /// A redirect URI must equal a registered one exactly (RFC 6749
    /// §3.1.2.3, RFC 9700 §4.1). Off: a URI whose host ends with the
    /// registered host is taken.
    ExactRedirectUri,
    /// The code verifier must match the challenge (RFC 7636 §4.6). Off: a
    /// PKCE failure is let through.
    PkceVerifier,
    /// A code works once (RFC 6749 §4.1.2). Off: a spent code works again
    /// for its own client.
    SingleUseCode,
    /// A refresh token works once (RFC 9700 §4.14.2). Off: no reuse
    /// detection.
    RefreshRotation,
    /// The resource server takes a token only from the Authorization
    /// header (RFC 6750 §2.1, RFC 9700 §4.3.2). Off: `?access_token=` in the URL is taken.
    HeaderOnlyBearer,
    /// The token endpoint takes POST only (RFC 6749 §3.2), so no client
    /// secret travels in a URL (§2.3.1). Off: a GET with the parameters
    /// in the query is answered, as go-oauth2/oauth2's
    /// `SetAllowGetAccessRequest(true)` does.
    PostOnlyTokenRequest,
}

/// How an access token is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AccessTokenFormat {
    /// A random string that only the authorization server can look up.
    #[default]
    Opaque,
    /// A signed JWT (RFC 9068) that the resource server checks alone.
    Jwt,
}

/// The questions the servers ask about a client. Each answer's default is
/// the servers' own behaviour.
pub trait Hooks: Send + Sync {
    /// Now, in seconds since the epoch, on the clock the client's tokens
    /// are judged by.
    fn now(&self, _client_id: &str) -> u64 {
        now_secs()
    }
    /// Whether `defence` is off for the client. Asked only where the
    /// defence is about to refuse.
    fn defence_off(&self, _client_id: &str, _defence: Defence) -> bool {
        false
    }
    fn access_token_format(&self, _client_id: &str) -> AccessTokenFormat {
        AccessTokenFormat::Opaque
    }
}

/// The servers as they are, with no host to ask.
pub struct NoHooks;

impl Hooks for NoHooks {}
