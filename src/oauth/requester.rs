//! Who a request comes from: the party that the sign-in lockout (RFC 6749
//! §10.7) and the per-party caps count against, so that one party's
//! mistakes or flood never lock or fill what another uses.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

/// The party, as the process in front of the server names it in the
/// request's extensions; without one, the peer's address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requester(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(r) = parts.extensions.get::<Requester>() {
            return Ok(r.clone());
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(Requester(peer.unwrap_or_else(|| "unknown".into())))
    }
}
