//! One error type for every error the servers send, rendered in the format
//! its RFC defines, so no handler writes an error body by hand.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
/// RFC 7591 §3.2.2 and OpenID Connect Core 1.0 §3.1.2.6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InvalidToken,
    InsufficientScope,
    InvalidRedirectUri,
    InvalidClientMetadata,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    LoginRequired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::LoginRequired => "login_required",
        }
    }
}

/// How the error reaches the client: each RFC has its own envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Token, revocation, introspection and registration endpoints: JSON
    /// body (RFC 6749 §5.2, RFC 7591 §3.2.2).
    Json,
    /// Failed client authentication with the `Authorization` header: 401
    /// and a `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2).
    BasicChallenge,
    /// The resource server: a `WWW-Authenticate: Bearer` challenge
    /// (RFC 6750 §3), with the scope needed for `insufficient_scope`.
    Bearer { scope: Option<String> },
}

#[derive(Clone, Debug)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    pub channel: Channel,
    /// Overrides the status the code implies (503 for a full store).
    pub status: Option<StatusCode>,
}

pub const REALM: &str = "oauth2-lab";

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        // RFC 6749 §5.2 allows only printable ASCII without `"` and `\` in
        // error_description; keep what a learner reads within that.
        let description = description
            .into()
            .chars()
            .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
            .filter(|c| (' '..='~').contains(c))
            .collect();
        Self { code, description, channel: Channel::Json, status: None }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn invalid_client(d: impl Into<String>, used_basic: bool) -> Self {
        let mut e = Self::new(ErrorCode::InvalidClient, d);
        if used_basic {
            e.channel = Channel::BasicChallenge;
        }
        e
    }
    /// A store is full: RFC 6749's `temporarily_unavailable` with 503.
    pub fn full(what: &str) -> Self {
        let mut e = Self::new(
            ErrorCode::TemporarilyUnavailable,
            format!("This server holds at most a fixed number of {what} so that a flood cannot exhaust its memory, and that limit is reached. Try again in a minute, when expired ones have been swept."),
        );
        e.status = Some(StatusCode::SERVICE_UNAVAILABLE);
        e
    }

    /// The store could not record a change just now (its database did not
    /// answer): 503, and the client may try again (RFC 6749 section 5.2
    /// leaves this to the server; RFC 7009 section 2.2.1 names 503 for
    /// revocation).
    pub fn unavailable(what: &str) -> Self {
        let mut e = Self::new(
            ErrorCode::TemporarilyUnavailable,
            format!("This server could not record the {what} just now, so nothing changed. Try again in a moment."),
        );
        e.status = Some(StatusCode::SERVICE_UNAVAILABLE);
        e
    }

    pub fn bearer(mut self, scope: Option<String>) -> Self {
        self.channel = Channel::Bearer { scope };
        self
    }

    pub fn status(&self) -> StatusCode {
        if let Some(s) = self.status {
            return s;
        }
        match (self.code, &self.channel) {
            (ErrorCode::InvalidClient, Channel::BasicChallenge) => StatusCode::UNAUTHORIZED,
            (ErrorCode::InvalidToken, _) => StatusCode::UNAUTHORIZED,
            (ErrorCode::InsufficientScope, _) => StatusCode::FORBIDDEN,
            (ErrorCode::ServerError, _) => StatusCode::INTERNAL_SERVER_ERROR,
            (ErrorCode::TemporarilyUnavailable, _) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The query or fragment parameters for a redirect back to the client
    /// (RFC 6749 §4.1.2.1, §4.2.2.1).
    pub fn redirect_params(&self, state: Option<&str>) -> Vec<(&'static str, String)> {
        let mut v = vec![("error", self.code.as_str().to_string()), ("error_description", self.description.clone())];
        if let Some(s) = state {
            v.push(("state", s.to_string()));
        }
        v
    }
}

/// RFC 6750 §3: quoted-string values may not hold `"` or `\`.
fn quote(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect()
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({ "error": self.code.as_str(), "error_description": self.description });
        let mut res = (status, axum::Json(body)).into_response();
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        let challenge = match &self.channel {
            Channel::Json => None,
            Channel::BasicChallenge => Some(format!("Basic realm=\"{REALM}\"")),
            Channel::Bearer { scope } => {
                let mut c = format!(
                    "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
                    self.code.as_str(),
                    quote(&self.description)
                );
                if let Some(scope) = scope {
                    c.push_str(&format!(", scope=\"{}\"", quote(scope)));
                }
                Some(c)
            }
        };
        if let Some(c) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert(header::WWW_AUTHENTICATE, c);
        }
        res
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;
