//! Mastodon's "create app" (docs.joinmastodon.org, methods/apps): the same
//! registry as RFC 7591's endpoint, so an app made one way is usable the
//! other way. A Mastodon client sends a form or JSON and reads a
//! CredentialApplication back.

use super::register::{create, Metadata};
use crate::oauth::protocol::GrantType;
use crate::oauth::util::{has_media_type, Params};
use crate::oauth::{AuthServer, Requester};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub const APPS: &str = "/api/v1/apps";

/// Mastodon's answer to a request it cannot take: 422 and one message.
fn invalid(why: impl std::fmt::Display) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": format!("Validation failed: {why}") }))).into_response()
}

/// A field of the form or the JSON object: a string, or for
/// `redirect_uris` an array of strings as well.
fn fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, Vec<String>)>, String> {
    if has_media_type(headers, &mime::APPLICATION_JSON) {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        let obj = v.as_object().ok_or("the body is not a JSON object")?;
        return Ok(obj
            .iter()
            .map(|(k, v)| {
                let values = match v {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                    _ => vec![],
                };
                (k.clone(), values)
            })
            .collect());
    }
    let (params, _) = Params::parse_lenient(body);
    Ok(["client_name", "redirect_uris", "scopes", "website"]
        .iter()
        .filter_map(|k| params.get(k).map(|v| (k.to_string(), vec![v.to_string()])))
        .collect())
}

pub async fn create_app(State(s): State<Arc<AuthServer>>, who: Requester, headers: HeaderMap, body: Bytes) -> Response {
    let fields = match fields(&headers, &body) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let one = |name: &str| fields.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.first().cloned());
    let Some(client_name) = one("client_name").filter(|n| !n.trim().is_empty()) else {
        return invalid("Application name can't be blank");
    };
    // Space- or newline-separated in a string, or an array.
    let redirect_uris: Vec<String> = fields
        .iter()
        .find(|(k, _)| k == "redirect_uris")
        .map(|(_, v)| v.iter().flat_map(|s| s.split_whitespace().map(str::to_string)).collect())
        .unwrap_or_default();
    if redirect_uris.is_empty() {
        return invalid("Redirect URI can't be blank");
    }
    // A string of scopes, or an array of them.
    let scopes = fields
        .iter()
        .find(|(k, _)| k == "scopes")
        .map(|(_, v)| v.join(" "))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "read".into());
    // Mastodon's website is RFC 7591's client_uri.
    let website = one("website").filter(|w| !w.is_empty());
    let grant_types =
        [GrantType::AuthorizationCode, GrantType::Password, GrantType::ClientCredentials, GrantType::RefreshToken];
    let meta = Metadata {
        redirect_uris: Some(redirect_uris),
        grant_types: Some(grant_types.iter().map(|g| g.as_str().to_string()).collect()),
        scope: Some(scopes),
        // Mastodon clients send their secret in the form; Basic works too.
        token_endpoint_auth_method: Some("client_secret_post".into()),
        client_name: Some(client_name),
        client_uri: website,
        ..Default::default()
    };
    let r = match meta.validate() {
        Ok(r) => r,
        Err(e) => return invalid(e.description),
    };
    let made = match create(&s, &who, &r).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let mut res = Json(json!({
        "id": made.client_id,
        "name": r.client_name,
        "website": r.client_uri,
        "scopes": r.scopes,
        "redirect_uris": r.redirect_uris,
        "redirect_uri": r.redirect_uris.join("\n"),
        "client_id": made.client_id,
        "client_secret": made.client_secret,
        "client_secret_expires_at": made.expires_at,
    }))
    .into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
