//! OpenID Connect on top of the code grant: the ID token (Core 1.0 §2,
//! §3.1.3.6), UserInfo (§5.3), discovery (Discovery 1.0 §3, §4) and
//! RP-initiated logout (RP-Initiated Logout 1.0 §2, §3).
//!
//! This server keeps no sign-in session: every authorization request
//! shows the sign-in form. So `prompt=login` and `prompt=consent` are what
//! always happens, `prompt=none` is always answered `login_required`, and
//! `auth_time` is the moment of that request's sign-in.

use super::metadata;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::pages::error_page;
use crate::oauth::store::{TokenKind, User};
use crate::oauth::util::{sha256, Params};
use crate::oauth::AuthServer;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const USERINFO: &str = "/oauth/userinfo";
pub const END_SESSION: &str = "/oauth/logout";

/// The claims this server can return (Discovery 1.0 §3 `claims_supported`).
pub const CLAIMS: [&str; 13] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

/// The ID token's `typ` header: a plain JWT (Core 1.0 §2 names none; RFC
/// 7519 §5.1 suggests `JWT`), never `at+jwt`, so that no resource server
/// takes an ID token for an access token (RFC 9068 §4).
pub const ID_TOKEN_TYP: &str = "JWT";

/// Core 1.0 §2: the claims of an ID token.
#[derive(Debug, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    /// The client the token is for: its client id.
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// §3.1.3.6: the left half of the SHA-256 of the access token,
    /// base64url, which binds the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
}

/// The user's subject identifier (Core 1.0 §2, §8): stable, never
/// reassigned, the same for every client ("public"), and not the email or
/// the username, which a user may change and another may later take. Made
/// from the username by a hash, so every replica and every restart gives
/// the same one.
pub fn subject(username: &str) -> String {
    let d = sha256(format!("oauth2-lab subject\0{username}").as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..15])
}

/// §3.1.3.6 `at_hash`: base64url of the left-most half of the SHA-256 of
/// the access token's ASCII, for RS256.
pub fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&sha256(access_token.as_bytes())[..16])
}

/// Whether `scopes` ask for OpenID Connect.
pub fn is_openid(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "openid")
}

impl AuthServer {
    /// A signed ID token for `username`, issued to `client_id` with the
    /// access token it comes with. `None` only without a signing key.
    pub fn id_token(
        &self,
        client_id: &str,
        username: &str,
        nonce: Option<&str>,
        auth_time: u64,
        access_token: &str,
    ) -> Option<String> {
        let now = self.now(client_id);
        let claims = IdClaims {
            iss: self.settings.public_url.clone(),
            sub: subject(username),
            aud: client_id.to_string(),
            exp: now + self.settings.access_token_ttl.as_secs(),
            iat: now,
            auth_time,
            nonce: nonce.map(str::to_string),
            at_hash: Some(at_hash(access_token)),
        };
        crate::oauth::jwt::signer()?.sign_as(ID_TOKEN_TYP, &claims)
    }
}

/// The OpenID Provider's metadata (Discovery 1.0 §3): the RFC 8414
/// document and what OpenID Connect adds.
pub async fn discovery(State(s): State<Arc<AuthServer>>) -> Json<Value> {
    let c = &s.settings;
    let mut m = metadata::document(&s);
    m["userinfo_endpoint"] = json!(c.url(USERINFO));
    m["end_session_endpoint"] = json!(c.url(END_SESSION));
    m["subject_types_supported"] = json!(["public"]);
    m["id_token_signing_alg_values_supported"] = json!(["RS256"]);
    m["claims_supported"] = json!(CLAIMS);
    m["prompt_values_supported"] = json!(["none", "login", "consent"]);
    m["claims_parameter_supported"] = json!(false);
    m["request_parameter_supported"] = json!(false);
    m["request_uri_parameter_supported"] = json!(false);
    Json(m)
}

/// The claims UserInfo returns for `scopes` (Core 1.0 §5.4).
fn user_claims(user: &User, scopes: &[String]) -> Value {
    let mut claims = json!({ "sub": subject(&user.username) });
    if scopes.iter().any(|s| s == "profile") {
        claims["name"] = json!(user.display_name);
        claims["preferred_username"] = json!(user.username);
    }
    if scopes.iter().any(|s| s == "email") {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(true);
    }
    claims
}

fn invalid_token(why: impl Into<String>) -> Response {
    OAuthError::new(ErrorCode::InvalidToken, why).bearer(None).into_response()
}

/// UserInfo (Core 1.0 §5.3), GET or POST, with the access token in the
/// Authorization header (RFC 6750 §2.1), as the resource server takes it.
pub async fn userinfo(State(s): State<Arc<AuthServer>>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let in_body = method == Method::POST && Params::parse_lenient(&body).0.contains("access_token");
    let token = match crate::resource::bearer::header_token(&headers) {
        Ok(Some(token)) => token,
        Ok(None) if in_body => return crate::resource::bearer::token_in_body(false).into_response(),
        Ok(None) => return crate::resource::bearer::BearerRejection::Missing.into_response(),
        Err(e) => return e.into_response(),
    };
    let Some(record) = s.tokens.get(token).await else {
        return invalid_token("The access token is unknown or expired (OpenID Connect Core 1.0 section 5.3.3).");
    };
    if record.kind != TokenKind::Access || record.revoked || record.expires_at <= s.now(&record.client_id) {
        return invalid_token(
            "The token is not a live access token: it is a refresh token, revoked or expired (OpenID Connect Core 1.0 section 5.3.3).",
        );
    }
    if !is_openid(&record.scopes) {
        return OAuthError::new(
            ErrorCode::InsufficientScope,
            "UserInfo answers only tokens granted the openid scope (OpenID Connect Core 1.0 section 5.3).",
        )
        .bearer(Some("openid".to_string()))
        .into_response();
    }
    let Some(user) = record.username.as_deref().and_then(|u| s.users.get(u)) else {
        return invalid_token("The token was issued to no user, so there is nobody to describe.");
    };
    let mut res = Json(user_claims(&user, &record.scopes)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// RP-initiated logout (RP-Initiated Logout 1.0 §2, §3), GET or POST. The
/// user is sent back only to a `post_logout_redirect_uri` that is
/// registered for the client, character for character; anything else gets
/// a page, never a redirect (§3: an open redirector otherwise).
pub async fn end_session(
    State(s): State<Arc<AuthServer>>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = if method == Method::POST {
        Params::parse_lenient(&body).0
    } else {
        Params::parse_lenient(query.unwrap_or_default().as_bytes()).0
    };
    let refused = |why: String| error_page(StatusCode::BAD_REQUEST, "Sign-out refused", &why);
    let hinted = match params.get("id_token_hint") {
        None => None,
        Some(hint) => {
            let Some(signer) = crate::oauth::jwt::signer() else {
                return refused("This server has no signing key, so it cannot check an id_token_hint.".into());
            };
            match signer.verify_issued::<IdClaims>(hint, &s.settings.public_url) {
                Ok(claims) => Some(claims),
                Err(e) => {
                    return refused(format!(
                        "The id_token_hint is not an ID token this server issued ({e}) (OpenID Connect RP-Initiated Logout 1.0 section 2)."
                    ))
                }
            }
        }
    };
    let client_id = match (params.get("client_id"), &hinted) {
        (Some(id), Some(claims)) if id != claims.aud => {
            return refused(format!(
                "client_id {id} is not the audience of the id_token_hint, {} (OpenID Connect RP-Initiated Logout 1.0 section 2).",
                claims.aud
            ))
        }
        (Some(id), _) => Some(id.to_string()),
        (None, Some(claims)) => Some(claims.aud.clone()),
        (None, None) => None,
    };
    let Some(uri) = params.get("post_logout_redirect_uri") else {
        return signed_out(None);
    };
    let Some(client_id) = client_id else {
        return refused(
            "A post_logout_redirect_uri needs the client it is registered for: send id_token_hint or client_id with it (OpenID Connect RP-Initiated Logout 1.0 section 3).".into(),
        );
    };
    let Some(client) = s.clients.get(&client_id).await else {
        return refused(format!("There is no client {client_id}."));
    };
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        return refused(format!(
            "The post_logout_redirect_uri {uri} is not registered for {client_id}; it must equal a registered one exactly (OpenID Connect RP-Initiated Logout 1.0 section 3). Registered: {}.",
            if client.post_logout_redirect_uris.is_empty() {
                "none".to_string()
            } else {
                client.post_logout_redirect_uris.join(", ")
            }
        ));
    }
    let mut target = match url::Url::parse(uri) {
        Ok(u) => u,
        Err(_) => return refused(format!("The post_logout_redirect_uri {uri} is not a URL.")),
    };
    if let Some(state) = params.get("state") {
        target.query_pairs_mut().append_pair("state", state);
    }
    signed_out(Some(target.as_str()))
}

/// The answer to a logout: a 303 back to the client, or a page.
fn signed_out(to: Option<&str>) -> Response {
    let mut res = match to.and_then(|t| HeaderValue::from_str(t).ok()) {
        Some(location) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            res.headers_mut().insert(header::LOCATION, location);
            res
        }
        None => crate::oauth::pages::as_page(
            StatusCode::OK,
            "Signed out",
            view! {
                <h1>"Signed out"</h1>
                <p>"This server keeps no sign-in session (every authorization request asks you to sign in), so there was none to end. The app that sent you here has signed you out of itself."</p>
            },
        ),
    };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// What `prompt` asks for (Core 1.0 §3.1.2.1), once the request is known
/// to be an OpenID Connect one: an error to send back, or none.
pub fn check_prompt(params: &Params) -> Result<(), OAuthError> {
    if let Some(max_age) = params.get("max_age") {
        if max_age.parse::<u64>().is_err() {
            return Err(OAuthError::invalid_request(
                "max_age must be a number of seconds, 0 or more (OpenID Connect Core 1.0 section 3.1.2.1).",
            ));
        }
    }
    let Some(prompt) = params.get("prompt") else { return Ok(()) };
    let values: Vec<&str> = prompt.split(' ').filter(|v| !v.is_empty()).collect();
    if let Some(v) = values.iter().find(|v| !["none", "login", "consent", "select_account"].contains(v)) {
        return Err(OAuthError::invalid_request(format!(
            "prompt {v} is not one of none, login, consent, select_account (OpenID Connect Core 1.0 section 3.1.2.1)."
        )));
    }
    if values.contains(&"none") && values.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values (OpenID Connect Core 1.0 section 3.1.2.1).",
        ));
    }
    if values.contains(&"none") {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "prompt=none asks for an answer without any page, and this server keeps no sign-in session, so the user must sign in: login_required (OpenID Connect Core 1.0 section 3.1.2.6).",
        ));
    }
    Ok(())
}
