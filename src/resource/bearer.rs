//! The resource server's view of a request: a bearer token from the
//! `Authorization` header only (RFC 6750 §2.1, RFC 9700 §4.3.2), checked
//! against the token store.

use super::ResourceServer;
use crate::oauth::error::{ErrorCode, OAuthError, REALM};
use crate::oauth::store::{TokenKind, TokenRecord};
use crate::oauth::util::{scope_set, scope_string, Params};
use crate::oauth::Defence;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Why a request was refused before its token was looked at.
pub enum BearerRejection {
    /// §3.1: no credentials at all: a bare challenge, no error code.
    Missing,
    Error(OAuthError),
}

impl IntoResponse for BearerRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Missing => {
                let body = serde_json::json!({
                    "error_description": "This API needs an access token in the Authorization header: Authorization: Bearer <token> (RFC 6750 section 2.1)."
                });
                let mut res = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("Bearer realm=\"{REALM}\"")) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                res
            }
            Self::Error(e) => e.into_response(),
        }
    }
}

/// `?access_token=`: refused, as RFC 9700 §4.3.2 asks.
pub fn token_in_url() -> OAuthError {
    OAuthError::invalid_request(
        "The access token was sent in the URL query (?access_token=). URLs end up in server and proxy logs and, when a browser navigates to them, in history and Referer headers, so access tokens must not be passed in the query (RFC 9700 section 4.3.2; the OAuth 2.1 draft drops this method). Send it in the Authorization header: Authorization: Bearer <token> (RFC 6750 section 2.1).",
    )
    .bearer(None)
}

/// `access_token` in a request body: in a form, allowed by RFC 6750 §2.2
/// and refused here by choice; in JSON, no method of RFC 6750.
pub fn token_in_body(json: bool) -> OAuthError {
    OAuthError::invalid_request(if json {
        "The access token was sent in the JSON body, which is no method of RFC 6750. Send it in the Authorization header: Authorization: Bearer <token> (RFC 6750 section 2.1)."
    } else {
        "The access token was sent in the form body. RFC 6750 section 2.2 allows that method under conditions, and says it SHOULD NOT be used where the browser can set the Authorization header; this server chooses to accept tokens only in that header: Authorization: Bearer <token> (RFC 6750 section 2.1)."
    })
    .bearer(None)
}

/// A valid access token and what it grants.
pub struct Bearer(pub TokenRecord);

impl Bearer {
    /// RFC 6750 §3.1: 403 `insufficient_scope`, naming the scope needed.
    /// The token must grant `scope`, itself or through its parent
    /// (`read` grants `read:statuses`), as Mastodon checks.
    pub fn require(&self, scope: &str) -> Result<(), OAuthError> {
        self.require_any(&[scope])
    }

    /// The token must grant one of `scopes`; the error names the first.
    pub fn require_any(&self, scopes: &[&str]) -> Result<(), OAuthError> {
        if scopes.iter().any(|s| crate::oauth::scope::covers(&self.0.scopes, s)) {
            return Ok(());
        }
        let scope = scopes.first().copied().unwrap_or("read");
        Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            format!(
                "This call needs the scope {scope}, and the token grants only: {}.",
                if self.0.scopes.is_empty() { "nothing".to_string() } else { scope_string(&self.0.scopes) }
            ),
        )
        .bearer(Some(scope.to_string())))
    }
}

impl<S> FromRequestParts<S> for Bearer
where
    Arc<ResourceServer>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = BearerRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let servers = Arc::<ResourceServer>::from_ref(state);
        let query = Params::parse_lenient(parts.uri.query().unwrap_or("").as_bytes()).0;
        let in_query = query.get("access_token").map(str::to_string);
        if let Some(token) = in_query {
            // With header-only off for the token's client (`Hooks`), the
            // token is taken from the URL.
            let vulnerable = servers
                .tokens
                .get(&token)
                .await
                .is_some_and(|r| servers.hooks.defence_off(&r.client_id, Defence::HeaderOnlyBearer));
            if !vulnerable {
                return Err(BearerRejection::Error(token_in_url()));
            }
            return check(&servers, &token).await.map(Bearer);
        }
        let token = match header_token(&parts.headers) {
            Ok(Some(token)) => token,
            Ok(None) => return Err(BearerRejection::Missing),
            Err(e) => return Err(BearerRejection::Error(e)),
        };
        if token.matches('.').count() == 2 {
            return check_jwt(&servers, token).map(Bearer);
        }
        check(&servers, token).await.map(Bearer)
    }
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1):
/// `None` when the request carries no bearer credentials at all (no
/// header, or another scheme), an error when the header is malformed.
pub fn header_token(headers: &axum::http::HeaderMap) -> Result<Option<&str>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        OAuthError::invalid_request(
            "The Authorization header is not of the form Bearer <token> (RFC 6750 section 2.1).",
        )
        .bearer(None)
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Some other scheme: as far as bearer tokens go, no credentials.
        return Ok(None);
    }
    let token = token.trim();
    // RFC 6750 §2.1 b64token syntax.
    let b64token = !token.is_empty()
        && token.trim_end_matches('=').bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        return Err(malformed());
    }
    Ok(Some(token))
}

/// A JWT access token (RFC 9068 §4), checked here from the signature and
/// the claims alone, with no call to the authorization server: that is the
/// point of the format, and its price, since a revoked token still passes
/// until it expires.
fn check_jwt(servers: &ResourceServer, token: &str) -> Result<TokenRecord, BearerRejection> {
    let invalid = |why: String| BearerRejection::Error(OAuthError::new(ErrorCode::InvalidToken, why).bearer(None));
    let signer = crate::oauth::jwt::signer().ok_or_else(|| invalid("This server cannot check JWTs.".into()))?;
    let issuer = &servers.issuer;
    let claims = signer
        .verify(token, issuer, &crate::oauth::jwt::audience(issuer))
        .map_err(|e| invalid(format!("The JWT access token is not valid: {e} (RFC 9068 section 4).")))?;
    if servers.hooks.now(&claims.client_id) >= claims.exp {
        return Err(invalid(
            "The JWT access token has expired (its exp claim); use the refresh token to get a new one.".into(),
        ));
    }
    let username = (claims.sub != claims.client_id).then_some(claims.sub);
    Ok(TokenRecord {
        kind: TokenKind::Access,
        client_id: claims.client_id,
        username,
        scopes: scope_set(&claims.scope),
        family: 0,
        issued_at: claims.iat,
        expires_at: claims.exp,
        revoked: false,
        rotated: false,
    })
}

/// The token's record, if it is a live access token (RFC 6750 §3.1).
async fn check(servers: &ResourceServer, token: &str) -> Result<TokenRecord, BearerRejection> {
    let invalid = |why: &str| BearerRejection::Error(OAuthError::new(ErrorCode::InvalidToken, why).bearer(None));
    let record = servers
        .tokens
        .get(token)
        .await
        .filter(|r| r.kind == TokenKind::Access)
        .ok_or_else(|| invalid("The access token is unknown or has expired."))?;
    if record.revoked {
        return Err(invalid("The access token has been revoked."));
    }
    if servers.hooks.now(&record.client_id) >= record.expires_at {
        return Err(invalid("The access token has expired; use the refresh token to get a new one."));
    }
    Ok(record)
}
