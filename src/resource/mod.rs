//! The resource server: a small Mastodon-shaped API, and the bearer-token
//! extractor that guards it. It shares the authorization server's stores
//! (one process), and asks the same `Hooks` about a client's clock and
//! defences.

pub mod api;
pub mod bearer;

use crate::oauth::store::{ClientStore, TokenStore, UserStore};
use crate::oauth::{AuthServer, Hooks};
use std::sync::Arc;

/// The resource server's state.
pub struct ResourceServer {
    /// The authorization server's `issuer`, which JWT access tokens name.
    pub issuer: String,
    /// Where the API is reached, for its metadata (RFC 9728).
    pub public_url: String,
    pub tokens: Arc<dyn TokenStore>,
    pub users: Arc<dyn UserStore>,
    pub clients: Arc<dyn ClientStore>,
    pub hooks: Arc<dyn Hooks>,
    pub statuses: api::Statuses,
}

impl ResourceServer {
    /// The API in front of `auth`'s tokens and users, keeping at most
    /// `statuses_per_user` statuses for each user.
    pub fn new(auth: &AuthServer, statuses_per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            issuer: auth.settings.public_url.clone(),
            public_url: auth.settings.public_url.clone(),
            tokens: auth.tokens.clone(),
            users: auth.users.clone(),
            clients: auth.clients.clone(),
            hooks: auth.hooks.clone(),
            statuses: api::Statuses::new(statuses_per_user),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

pub use api::routes;
