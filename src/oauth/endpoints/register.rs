//! Open dynamic client registration (RFC 7591 §3): this server's version of
//! Mastodon's "create app" step.

use crate::demo::SCOPES;
use crate::oauth::error::{ErrorCode, OAuthError, OAuthResult};
use crate::oauth::grants::{self, names};
use crate::oauth::protocol::{AuthMethod, GrantType, ResponseType};
use crate::oauth::store::Client;
use crate::oauth::util::{has_media_type, now_secs, random_token, scope_set, scope_string, sha256};
use crate::oauth::{AuthServer, Requester};
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

const MAX_REDIRECT_URIS: usize = 10;
const MAX_URI_LEN: usize = 2000;

#[derive(Deserialize, Default)]
pub(super) struct Metadata {
    pub redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub scope: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub client_name: Option<String>,
    /// OpenID Connect RP-Initiated Logout 1.0 §3.1.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// RFC 7591 §2: the client's home page.
    pub client_uri: Option<String>,
}

fn bad_metadata(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, d)
}

fn bad_redirect(d: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, d)
}

/// Metadata that has passed every check: the client to be.
pub(super) struct Registration {
    pub auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub client_name: String,
    pub post_logout_redirect_uris: Vec<String>,
    pub client_uri: Option<String>,
}

/// A client just registered: what it is told once.
pub(super) struct Registered {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub issued_at: u64,
    /// When the registration, and so the secret, expires.
    pub expires_at: u64,
}

impl Metadata {
    pub(super) fn validate(self) -> OAuthResult<Registration> {
        let auth_method = auth_method(self.token_endpoint_auth_method.as_deref())?;
        let grant_types = grant_types(self.grant_types)?;
        let response_types = response_types(self.response_types, &grant_types)?;
        if auth_method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
            return Err(bad_metadata(
                "A public client (token_endpoint_auth_method none) cannot use client_credentials: with no secret, anyone could ask in its name (RFC 6749 section 4.4).",
            ));
        }
        let scopes = scopes(self.scope.as_deref())?;
        let redirect_uris = redirect_uris(self.redirect_uris.unwrap_or_default(), &grant_types)?;
        let client_name = self.client_name.unwrap_or_else(|| "Unnamed app".into());
        if client_name.chars().count() > 100 {
            return Err(bad_metadata("client_name is longer than 100 characters."));
        }
        let post_logout_redirect_uris = self.post_logout_redirect_uris.unwrap_or_default();
        if post_logout_redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(bad_metadata(format!(
                "At most {MAX_REDIRECT_URIS} post_logout_redirect_uris may be registered."
            )));
        }
        for uri in &post_logout_redirect_uris {
            check_redirect_uri(uri)?;
        }
        let client_uri = self.client_uri.filter(|u| !u.is_empty());
        if let Some(uri) = &client_uri {
            let web = url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "https" | "http"));
            if !web || uri.len() > MAX_URI_LEN {
                return Err(bad_metadata(format!(
                    "client_uri must be an http or https URL of at most {MAX_URI_LEN} characters (RFC 7591 section 2)."
                )));
            }
        }
        Ok(Registration {
            auth_method,
            grant_types,
            response_types,
            scopes,
            redirect_uris,
            client_name,
            post_logout_redirect_uris,
            client_uri,
        })
    }
}

fn auth_method(asked: Option<&str>) -> OAuthResult<AuthMethod> {
    let Some(m) = asked else { return Ok(AuthMethod::ClientSecretBasic) };
    AuthMethod::parse(m).ok_or_else(|| {
        bad_metadata(format!("token_endpoint_auth_method {m} is not supported; use {}.", names(AuthMethod::ALL.iter())))
    })
}

/// The grant types asked for, each one of the server's (`grants::GRANTS`).
fn grant_types(asked: Option<Vec<String>>) -> OAuthResult<Vec<GrantType>> {
    let Some(asked) = asked else { return Ok(vec![GrantType::AuthorizationCode]) };
    asked
        .iter()
        .map(|g| {
            GrantType::parse(g).filter(|g| grants::grant_types().any(|x| x == *g)).ok_or_else(|| {
                bad_metadata(format!(
                    "The grant type {g} is not supported; this server supports {}.",
                    names(grants::grant_types())
                ))
            })
        })
        .collect()
}

/// The response types asked for, or those of the grants registered for;
/// either way they must agree with the grant types (RFC 7591 §2.1).
fn response_types(asked: Option<Vec<String>>, grant_types: &[GrantType]) -> OAuthResult<Vec<ResponseType>> {
    let response_types = match asked {
        None => grants::authorize_grants()
            .filter(|a| grant_types.contains(&a.grant_type()))
            .map(|a| a.response_type())
            .collect::<Vec<_>>(),
        Some(asked) => asked
            .iter()
            .map(|r| {
                ResponseType::parse(r).ok_or_else(|| {
                    bad_metadata(format!(
                        "The response type {r} is not supported; use {}.",
                        grants::response_types().map(|r| r.as_str()).collect::<Vec<_>>().join(" or ")
                    ))
                })
            })
            .collect::<OAuthResult<Vec<_>>>()?,
    };
    let agree = grants::authorize_grants()
        .all(|a| response_types.contains(&a.response_type()) == grant_types.contains(&a.grant_type()));
    if !agree {
        return Err(bad_metadata(
            "grant_types and response_types disagree: response type code goes with the authorization_code grant, and token with implicit (RFC 7591 section 2.1).",
        ));
    }
    Ok(response_types)
}

fn scopes(asked: Option<&str>) -> OAuthResult<Vec<String>> {
    let Some(scope) = asked else { return Ok(vec!["read".to_string()]) };
    let scopes = scope_set(scope);
    if let Some(u) = scopes.iter().find(|x| !crate::oauth::scope::is_known(x)) {
        return Err(bad_metadata(format!(
            "The scope {u} does not exist here; this server knows {}, and Mastodon's follow, push and read:... and write:... scopes.",
            SCOPES.join(" and ")
        )));
    }
    if scopes.is_empty() {
        return Err(bad_metadata("scope is empty."));
    }
    Ok(scopes)
}

fn redirect_uris(uris: Vec<String>, grant_types: &[GrantType]) -> OAuthResult<Vec<String>> {
    if grants::authorize_grants().any(|a| grant_types.contains(&a.grant_type())) && uris.is_empty() {
        return Err(bad_redirect(
            "redirect_uris is required for the authorization_code and implicit grants (RFC 7591 section 2).",
        ));
    }
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(bad_redirect(format!("At most {MAX_REDIRECT_URIS} redirect URIs may be registered.")));
    }
    for uri in &uris {
        if uri == super::authorize::OOB {
            // A code shown on a page for the user to copy; never a token.
            if grant_types.contains(&GrantType::Implicit) {
                return Err(bad_redirect(format!(
                    "{uri} shows a code for the user to copy into the app; it is for the authorization_code grant, never for implicit, whose token must not be shown on a page."
                )));
            }
            continue;
        }
        check_redirect_uri(uri)?;
    }
    Ok(uris)
}

pub async fn register(
    State(s): State<Arc<AuthServer>>,
    who: Requester,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<Response> {
    if !has_media_type(&headers, &mime::APPLICATION_JSON) {
        return Err(bad_metadata(
            "Client metadata is sent as a JSON object with Content-Type application/json (RFC 7591 section 3.1).",
        ));
    }
    let meta: Metadata = serde_json::from_slice(&body).map_err(|e| {
        bad_metadata(format!("The body is not a valid client metadata JSON object: {e} (RFC 7591 section 2)."))
    })?;
    let r = meta.validate()?;
    let Registered { client_id, client_secret: secret, issued_at, expires_at } = create(&s, &who, &r).await?;
    let mut body = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "client_name": r.client_name,
        "redirect_uris": r.redirect_uris,
        "grant_types": r.grant_types,
        "response_types": r.response_types,
        "scope": scope_string(&r.scopes),
        "token_endpoint_auth_method": r.auth_method.as_str(),
    });
    if !r.post_logout_redirect_uris.is_empty() {
        body["post_logout_redirect_uris"] = json!(r.post_logout_redirect_uris);
    }
    if let Some(uri) = &r.client_uri {
        body["client_uri"] = json!(uri);
    }
    if let Some(secret) = secret {
        body["client_secret"] = json!(secret);
        // This server forgets registrations after a while (conformance 30).
        body["client_secret_expires_at"] = json!(expires_at);
    }
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Stores the client that `r` describes, for the requester `who`: the one
/// registry behind RFC 7591's endpoint and Mastodon's `POST /api/v1/apps`.
pub(super) async fn create(s: &AuthServer, who: &Requester, r: &Registration) -> OAuthResult<Registered> {
    let public = r.auth_method == AuthMethod::None;
    let client_id = random_token("app_");
    let secret = (!public).then(|| random_token("secret_"));
    let issued_at = now_secs();
    let ttl = s.settings.client_ttl;
    let client = Client {
        client_id: client_id.clone(),
        client_name: r.client_name.clone(),
        secret_hash: secret.as_ref().map(|x| sha256(x.as_bytes())),
        redirect_uris: r.redirect_uris.clone(),
        grant_types: r.grant_types.clone(),
        response_types: r.response_types.clone(),
        scopes: r.scopes.clone(),
        auth_method: r.auth_method,
        issued_at,
        post_logout_redirect_uris: r.post_logout_redirect_uris.clone(),
        client_uri: r.client_uri.clone(),
    };
    s.clients
        .insert(client, Some(Instant::now() + ttl), Some(&who.key()))
        .await
        .map_err(|_| OAuthError::full("registered clients"))?;
    tracing::info!(%client_id, public, "client registered");
    Ok(Registered { client_id, client_secret: secret, issued_at, expires_at: issued_at + ttl.as_secs() })
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
            "{uri} uses http to a host that is not loopback; the code or token would cross the network in clear text. Use https (RFC 9700 section 2.6)."
        ))),
        other => Err(bad_redirect(format!("The scheme {other} is not allowed here; use https, or http to a loopback host."))),
    }
}
