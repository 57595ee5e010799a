//! The floor: bare axum answering `POST /token` with a fresh random opaque token.
//!
//! It does no client authentication and no request parsing, so it marks the best
//! a Rust token endpoint on axum + tokio can approach. Listens on 127.0.0.1:$PORT
//! (default 9100). No per-request logging.

use axum::{routing::post, Json, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore;
use serde::Serialize;

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

async fn token() -> Json<TokenResponse> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Json(TokenResponse {
        access_token: URL_SAFE_NO_PAD.encode(bytes),
        token_type: "Bearer",
        expires_in: 3600,
    })
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9100);
    let app = Router::new().route("/token", post(token));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    eprintln!("floor listening on 127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("serve");
}
