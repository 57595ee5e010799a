//! Authorization server metadata (RFC 8414 §2, §3).

use super::{AUTHORIZE, INTROSPECT, JWKS, REGISTER, REVOKE, TOKEN};
use crate::demo::SCOPES;
use crate::oauth::grants;
use crate::oauth::protocol::{AuthMethod, GrantType, ResponseType};
use crate::oauth::AuthServer;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn metadata(State(s): State<Arc<AuthServer>>) -> Json<Value> {
    Json(document(&s))
}

/// The RFC 8414 document, which OpenID discovery extends.
pub fn document(s: &AuthServer) -> Value {
    let c = &s.settings;
    let auth_methods = AuthMethod::ALL;
    let grant_types: Vec<GrantType> = grants::grant_types().collect();
    let response_types: Vec<ResponseType> = grants::response_types().collect();
    json!({
        "issuer": c.public_url,
        "authorization_endpoint": c.url(AUTHORIZE),
        "token_endpoint": c.url(TOKEN),
        "registration_endpoint": c.url(REGISTER),
        "revocation_endpoint": c.url(REVOKE),
        "introspection_endpoint": c.url(INTROSPECT),
        "device_authorization_endpoint": c.url(super::device::DEVICE_AUTHORIZATION),
        "jwks_uri": c.url(JWKS),
        "scopes_supported": SCOPES,
        "response_types_supported": response_types,
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": grant_types,
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        // A public client cannot introspect (RFC 7662 §2.1).
        "introspection_endpoint_auth_methods_supported": [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": c.url("/"),
    })
}

/// RFC 7517 §5: the key set that verifies JWT access tokens (RFC 9068).
pub async fn jwks() -> axum::response::Response {
    use axum::response::IntoResponse;
    match crate::oauth::jwt::signer() {
        Some(k) => Json(k.jwks()).into_response(),
        None => Json(json!({ "keys": [] })).into_response(),
    }
}
