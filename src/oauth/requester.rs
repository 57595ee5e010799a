//! Who a request comes from: the party that the sign-in lockout (RFC 6749
//! §10.7) and the per-party caps count against, so that one party's
//! mistakes or flood never lock or fill what another uses.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// The party, as the process in front of the server names it in the
/// request's extensions; without one, the peer's address. Its name as a
/// key (`key`, or `Display`) is made only where a store counts against
/// it, not for every request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Requester {
    /// A client address.
    Addr(IpAddr),
    /// The lab's own calls for a run, named by the run.
    Run(String),
    Unknown,
}

impl Requester {
    /// The party's name in the stores: the address, or `run:<id>`.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Requester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requester::Addr(addr) => addr.fmt(f),
            Requester::Run(run) => write!(f, "run:{run}"),
            Requester::Unknown => f.write_str("unknown"),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Requester {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(r) = parts.extensions.get::<Requester>() {
            return Ok(r.clone());
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(peer.map_or(Requester::Unknown, Requester::Addr))
    }
}
