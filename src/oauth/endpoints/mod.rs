//! The authorization server's HTTP endpoints. Each only parses, dispatches
//! to a grant and writes the response.

pub mod apps;
pub mod authorize;
pub mod device;
pub mod introspect;
pub mod metadata;
pub mod oidc;
pub mod register;
pub mod revoke;
pub mod token;

use super::AuthServer;
use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;

pub const AUTHORIZE: &str = "/oauth/authorize";
pub const TOKEN: &str = "/oauth/token";
pub const REGISTER: &str = "/oauth/register";
pub const REVOKE: &str = "/oauth/revoke";
pub const INTROSPECT: &str = "/oauth/introspect";
pub const JWKS: &str = "/oauth/jwks";

pub fn routes<S>() -> Router<S>
where
    Arc<AuthServer>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata::metadata))
        .route(REGISTER, post(register::register))
        .route(apps::APPS, post(apps::create_app))
        .route(AUTHORIZE, get(authorize::show).post(authorize::decide))
        .route(TOKEN, post(token::token).get(token::token_by_get))
        .route(REVOKE, post(revoke::revoke))
        .route(INTROSPECT, post(introspect::introspect))
        .route(device::DEVICE_AUTHORIZATION, post(device::device_authorization))
        .route(JWKS, get(metadata::jwks))
        .route(device::VERIFICATION, get(device::show).post(device::decide))
        .route(oidc::DISCOVERY, get(oidc::discovery))
        .route(oidc::USERINFO, get(oidc::userinfo).post(oidc::userinfo))
        .route(oidc::END_SESSION, get(oidc::end_session).post(oidc::end_session))
}
