//! oxide-auth peer: `POST /token` for the client_credentials grant.
//!
//! One confidential client (`bench-client`, scope `read`) in an in-memory `ClientMap`;
//! opaque tokens from a `TokenMap<RandomGenerator>`. Client authentication by HTTP Basic.
//!
//! oxide-auth's `ClientMap` hashes and verifies secrets with Argon2 by default, which costs
//! tens of milliseconds per request. For a high-entropy generated secret a constant-time
//! compare is the fair equivalent, so `ConstantTimePolicy` below replaces it.
//!
//! Listens on 127.0.0.1:$PORT (default 9101). No per-request logging.

use std::sync::{Arc, Mutex};

use axum::{extract::State, routing::post, Router};
use oxide_auth::endpoint::{OwnerConsent, Solicitation};
use oxide_auth::frontends::simple::endpoint::{client_credentials_flow, FnSolicitor};
use oxide_auth::primitives::prelude::{Client, ClientMap, RandomGenerator, Scope, TokenMap};
use oxide_auth::primitives::registrar::{PasswordPolicy, RegisteredUrl, RegistrarError};
use oxide_auth_axum::{OAuthRequest, OAuthResponse, WebError};
use subtle::ConstantTimeEq;

const CLIENT_ID: &str = "bench-client";
const CLIENT_SECRET: &str = "bench-secret-5f1c9e2a7b4d4e0f8a3c6b9d2e7f1a04";

/// Stores the secret bytes as they are and checks them with a constant-time compare.
struct ConstantTimePolicy;

impl PasswordPolicy for ConstantTimePolicy {
    fn store(&self, _client_id: &str, passphrase: &[u8]) -> Vec<u8> {
        passphrase.to_vec()
    }

    fn check(&self, _client_id: &str, passphrase: &[u8], stored: &[u8]) -> Result<(), RegistrarError> {
        // `ct_eq` on slices of different lengths returns false (length is not secret).
        if bool::from(passphrase.ct_eq(stored)) {
            Ok(())
        } else {
            Err(RegistrarError::Unspecified)
        }
    }
}

struct AppState {
    registrar: ClientMap,
    issuer: Mutex<TokenMap<RandomGenerator>>,
}

async fn token(
    State(state): State<Arc<AppState>>,
    request: OAuthRequest,
) -> Result<OAuthResponse, WebError> {
    let mut issuer = state.issuer.lock().unwrap_or_else(|e| e.into_inner());
    // Client credentials: the client is its own resource owner.
    let mut solicitor = FnSolicitor(|_: &mut OAuthRequest, solicitation: Solicitation| {
        OwnerConsent::Authorized(solicitation.pre_grant().client_id.clone())
    });
    client_credentials_flow(&state.registrar, &mut *issuer, &mut solicitor)
        .execute(request)
        .map_err(WebError::from)
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9101);

    let mut registrar = ClientMap::new();
    // The policy must be set before registering, since registration encodes the secret with it.
    registrar.set_password_policy(ConstantTimePolicy);
    registrar.register_client(Client::confidential(
        CLIENT_ID,
        RegisteredUrl::Semantic("http://127.0.0.1/callback".parse().unwrap()),
        "read".parse::<Scope>().unwrap(),
        CLIENT_SECRET.as_bytes(),
    ));

    let mut issuer = TokenMap::new(RandomGenerator::new(32));
    issuer.valid_for(chrono::Duration::seconds(3600));

    let state = Arc::new(AppState {
        registrar,
        issuer: Mutex::new(issuer),
    });
    let app = Router::new().route("/token", post(token)).with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    eprintln!("oxide listening on 127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("serve");
}
