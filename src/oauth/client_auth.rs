//! The extractor for the endpoints a client calls directly (token,
//! revocation, introspection): it reads the form body under RFC 6749's rules
//! and authenticates the client (§2.3, §3.2), so a handler's signature says
//! "an authenticated client and its parameters".

use super::error::{OAuthError, OAuthResult};
use super::store::Client;
use super::util::{decode_base64, has_media_type, secrets_equal, Params};
use super::{AuthServer, Requester};
use axum::extract::FromRequestParts;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::{BodyExt, Collected, LengthLimitError};
use std::sync::Arc;

/// A client that has authenticated (or, for a public client, identified
/// itself), with the form parameters of its request.
pub struct ClientRequest {
    pub client: Arc<Client>,
    pub params: Params,
    /// Who sent it.
    pub who: Requester,
}

impl<S> FromRequest<S> for ClientRequest
where
    Arc<AuthServer>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let servers = Arc::<AuthServer>::from_ref(state);
        // RFC 6749 §2.3.1: credentials never in the request URI.
        if let Some(query) = req.uri().query() {
            let q = Params::parse_lenient(query.as_bytes()).0;
            if q.contains("client_secret") || q.contains("password") || q.contains("refresh_token") {
                return Err(OAuthError::invalid_request(
                    "Secrets must not be sent in the URL query, where logs keep them: client credentials go in the Authorization header or the form body (RFC 6749 section 2.3.1), and the endpoint's parameters in a POST body (RFC 6749 section 3.2).",
                ));
            }
        }
        // Read before the body consumes the request; a malformed header is
        // reported after the body's own errors.
        let basic = basic_credentials(req.headers());
        let (mut parts, body) = req.into_parts();
        let Ok(who) = Requester::from_request_parts(&mut parts, state).await;
        let req = Request::from_parts(parts, body);
        let params = read_form(req).await?;
        let client = authenticate_with(&servers, basic?, &params).await?;
        Ok(Self { client, params, who })
    }
}

/// Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2) and
/// refuses repeated parameters.
pub async fn read_form(req: Request) -> OAuthResult<Params> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !has_media_type(req.headers(), &mime::APPLICATION_WWW_FORM_URLENCODED) {
        let sent = if content_type.is_empty() {
            "no Content-Type".to_string()
        } else {
            format!("Content-Type {content_type}")
        };
        return Err(OAuthError::invalid_request(format!(
            "This endpoint reads application/x-www-form-urlencoded bodies only (RFC 6749 section 3.2); the request was sent with {sent}."
        )));
    }
    // Every request's body is already capped by the `RequestBodyLimitLayer`
    // that `server::app` wraps around the whole router, so the body is
    // collected as it is, not through axum's `Bytes` extractor, which would
    // wrap it in a second limit.
    let body = req.into_body().collect().await.map(Collected::to_bytes).map_err(|e| {
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<LengthLimitError>());
        let mut err = OAuthError::invalid_request(if too_large {
            "The request body is larger than this server reads.".to_string()
        } else {
            format!("The request body could not be read: {e}.")
        });
        err.status = Some(if too_large { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST });
        err
    })?;
    Params::parse(&body).map_err(|name| {
        OAuthError::invalid_request(format!(
            "The parameter {name} was sent more than once; each parameter may appear only once (RFC 6749 section 3.2)."
        ))
    })
}

/// HTTP Basic credentials: client id and secret are form-urlencoded before
/// base64 (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> OAuthResult<Option<(String, String)>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = |why: &str| {
        OAuthError::invalid_client(
            format!("The Authorization header could not be read as HTTP Basic client credentials: {why}. Expected Basic base64(urlencode(client_id):urlencode(client_secret)) (RFC 6749 section 2.3.1)."),
            true,
        )
    };
    let value = value.to_str().map_err(|_| bad("it holds bytes that are not ASCII"))?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        // Another scheme is no client authentication (RFC 6749 §2.3): a
        // Mastodon client, for one, sends its Bearer token on every call,
        // and its credentials in the form.
        return Ok(None);
    }
    let decoded = decode_base64(rest).ok_or_else(|| bad("the value is not valid base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("the decoded value is not UTF-8"))?;
    let (id, secret) = decoded.split_once(':').ok_or_else(|| bad("there is no colon between id and secret"))?;
    let unescape = |s: &str| -> String {
        if !s.contains(['%', '+']) {
            return s.to_string();
        }
        form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// Authenticates the client from its parameters alone, with no
/// Authorization header.
pub async fn authenticate(servers: &AuthServer, params: &Params) -> OAuthResult<Arc<Client>> {
    authenticate_with(servers, None, params).await
}

/// Authenticates the client by exactly one method (RFC 6749 §2.3).
async fn authenticate_with(
    servers: &AuthServer,
    basic: Option<(String, String)>,
    params: &Params,
) -> OAuthResult<Arc<Client>> {
    let (client_id, secret, used_basic) = match basic {
        Some((id, secret)) => {
            if params.contains("client_secret") {
                return Err(OAuthError::invalid_request(
                    "The client authenticated twice, with the Authorization header and with client_secret in the body. Use exactly one method (RFC 6749 section 2.3).",
                ));
            }
            if params.get("client_id").is_some_and(|b| b != id) {
                return Err(OAuthError::invalid_request(
                    "The client_id in the body differs from the one in the Authorization header.",
                ));
            }
            (id, Some(secret).filter(|s| !s.is_empty()), true)
        }
        None => match params.get("client_id") {
            Some(id) => (id.to_string(), params.get("client_secret").map(str::to_string), false),
            None if params.contains("client_secret") => {
                return Err(OAuthError::invalid_request("client_secret was sent without client_id."));
            }
            None => {
                return Err(OAuthError::invalid_client(
                    "No client authentication was sent. A confidential client sends HTTP Basic credentials (or client_id and client_secret in the body); a public client sends its client_id (RFC 6749 section 2.3).",
                    true,
                ));
            }
        },
    };
    let unknown = || {
        OAuthError::invalid_client(
            format!("Client authentication failed: there is no client {client_id}, or the secret is wrong."),
            used_basic,
        )
    };
    let client = servers.clients.get(&client_id).await.ok_or_else(unknown)?;
    match (&client.secret_hash, secret) {
        (Some(hash), Some(secret)) if secrets_equal(&secret, hash) => Ok(client),
        (Some(_), Some(_)) => Err(unknown()),
        (Some(_), None) => Err(OAuthError::invalid_client(
            format!("{client_id} is a confidential client and must authenticate with its client secret."),
            used_basic,
        )),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(OAuthError::invalid_client(
            format!("{client_id} is a public client: it has no secret, so it sends only its client_id."),
            used_basic,
        )),
    }
}
