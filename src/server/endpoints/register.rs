//! Open dynamic client registration (RFC 7591 §3): the lab's version of
//! Mastodon's "create app" step.

use crate::demo::SCOPES;
use crate::server::error::{ErrorCode, OAuthError, OAuthResult};
use crate::server::store::{Client, TokenEndpointAuth};
use crate::server::util::{has_media_type, now_secs, random_token, scope_set, scope_string, sha256};
use crate::server::Servers;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

const GRANT_TYPES: [&str; 6] = [
    "authorization_code",
    "implicit",
    "password",
    "client_credentials",
    "refresh_token",
    crate::server::grants::device_code::GRANT_TYPE,
];
const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;

#[derive(Deserialize)]
struct Metadata {
    redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    token_endpoint_auth_method: Option<String>,
    client_name: Option<String>,
}

fn bad_metadata(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, d)
}

fn bad_redirect(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, d)
}

pub async fn register(State(s): State<Arc<Servers>>, headers: HeaderMap, body: Bytes) -> OAuthResult<Response> {
    if !has_media_type(&headers, "application/json") {
        return Err(bad_metadata(
            "Client metadata is sent as a JSON object with Content-Type application/json (RFC 7591 section 3.1).",
        ));
    }
    let meta: Metadata = serde_json::from_slice(&body).map_err(|e| {
        bad_metadata(format!("The body is not a valid client metadata JSON object: {e} (RFC 7591 section 2)."))
    })?;

    let auth_method = match meta.token_endpoint_auth_method.as_deref() {
        None => TokenEndpointAuth::ClientSecretBasic,
        Some(m) => TokenEndpointAuth::parse(m).ok_or_else(|| {
            bad_metadata(format!(
                "token_endpoint_auth_method {m} is not supported; use client_secret_basic, client_secret_post or none."
            ))
        })?,
    };
    let grant_types = meta.grant_types.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
        return Err(bad_metadata(format!(
            "The grant type {g} is not supported; this server supports {}.",
            GRANT_TYPES.join(", ")
        )));
    }
    let has = |g: &str| grant_types.iter().any(|x| x == g);
    let response_types = meta.response_types.unwrap_or_else(|| {
        let mut r = vec![];
        if has("authorization_code") {
            r.push("code".to_string());
        }
        if has("implicit") {
            r.push("token".to_string());
        }
        r
    });
    if let Some(r) = response_types.iter().find(|r| *r != "code" && *r != "token") {
        return Err(bad_metadata(format!("The response type {r} is not supported; use code or token.")));
    }
    // RFC 7591 §2.1: response types and grant types must agree.
    let has_rt = |r: &str| response_types.iter().any(|x| x == r);
    if has_rt("code") != has("authorization_code") || has_rt("token") != has("implicit") {
        return Err(bad_metadata(
            "grant_types and response_types disagree: response type code goes with the authorization_code grant, and token with implicit (RFC 7591 section 2.1).",
        ));
    }
    let public = auth_method == TokenEndpointAuth::None;
    if public && has("client_credentials") {
        return Err(bad_metadata(
            "A public client (token_endpoint_auth_method none) cannot use client_credentials: with no secret, anyone could ask in its name (RFC 6749 section 4.4).",
        ));
    }
    let scopes = match meta.scope.as_deref() {
        None => vec!["read".to_string()],
        Some(scope) => {
            let scopes = scope_set(scope);
            if let Some(u) = scopes.iter().find(|x| !SCOPES.contains(&x.as_str())) {
                return Err(bad_metadata(format!(
                    "The scope {u} does not exist here; this server knows {}.",
                    SCOPES.join(" and ")
                )));
            }
            if scopes.is_empty() {
                return Err(bad_metadata("scope is empty."));
            }
            scopes
        }
    };
    let redirect_uris = meta.redirect_uris.unwrap_or_default();
    if (has("authorization_code") || has("implicit")) && redirect_uris.is_empty() {
        return Err(bad_redirect(
            "redirect_uris is required for the authorization_code and implicit grants (RFC 7591 section 2).",
        ));
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(bad_redirect(format!("At most {MAX_REDIRECT_URIS} redirect URIs may be registered.")));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri)?;
    }
    let client_name = meta.client_name.unwrap_or_else(|| "Unnamed app".into());
    if client_name.chars().count() > 100 {
        return Err(bad_metadata("client_name is longer than 100 characters."));
    }

    let client_id = random_token("app_");
    let secret = (!public).then(|| random_token("secret_"));
    let issued_at = now_secs();
    let ttl = s.config.client_ttl;
    let client = Client {
        client_id: client_id.clone(),
        client_name: client_name.clone(),
        secret_hash: secret.as_ref().map(|x| sha256(x.as_bytes())),
        redirect_uris: redirect_uris.clone(),
        grant_types: grant_types.clone(),
        response_types: response_types.clone(),
        scopes: scopes.clone(),
        auth_method: auth_method.clone(),
        issued_at,
    };
    s.clients.insert(client, Some(Instant::now() + ttl)).map_err(|_| OAuthError::full("registered clients"))?;
    tracing::info!(%client_id, public, "client registered");

    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": client_name,
        "redirect_uris": redirect_uris,
        "grant_types": grant_types,
        "response_types": response_types,
        "scope": scope_string(&scopes),
        "token_endpoint_auth_method": auth_method.as_str(),
    });
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        // The lab forgets registrations after a while (conformance 30).
        body["client_secret_expires_at"] = json!(issued_at + ttl.as_secs());
    }
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// RFC 6749 §3.1.2: absolute, no fragment; RFC 9700 §2.1 / RFC 8252 §8.3:
/// https, or http only to a loopback host.
pub fn check_redirect_uri(uri: &str) -> OAuthResult<()> {
    if uri.len() > MAX_URI_LEN {
        return Err(bad_redirect(format!("A redirect URI may be at most {MAX_URI_LEN} characters.")));
    }
    let parsed = url::Url::parse(uri).map_err(|_| {
        bad_redirect(format!("{uri} is not an absolute URI; redirect URIs must be absolute (RFC 6749 section 3.1.2)."))
    })?;
    if uri.contains('#') {
        return Err(bad_redirect(format!("{uri} has a fragment; redirect URIs must not (RFC 6749 section 3.1.2).")));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(bad_redirect(format!(
            "{uri} uses http to a host that is not loopback; the code or token would cross the network in clear text. Use https (RFC 9700 section 2.1)."
        ))),
        other => Err(bad_redirect(format!("The scheme {other} is not allowed here; use https, or http to a loopback host."))),
    }
}
