//! State of the embedded servers, one small trait per concern (clients,
//! users, codes, tokens), with in-memory implementations that are capped
//! and sweep what has expired.

mod bounded;
mod device;
mod memory;
mod pending;
pub mod sql;

pub use bounded::{Bounded, StoreFull};
pub use device::{normalise_user_code, DeviceGrant, DeviceState, Devices, MemoryDevices, Poll};
pub use memory::{MemoryClients, MemoryCodes, MemoryTokens, MemoryUsers};
pub use pending::{MemoryPending, Pending};

use super::protocol::{AuthMethod, GrantType, ResponseType};
use std::time::Instant;

/// A registered client (RFC 7591 §2 metadata).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Client {
    pub client_id: String,
    pub client_name: String,
    /// SHA-256 of the secret; `None` for a public client.
    pub secret_hash: Option<[u8; 32]>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub scopes: Vec<String>,
    pub auth_method: AuthMethod,
    pub issued_at: u64,
    /// Where RP-initiated logout may send the user back to (OpenID
    /// Connect RP-Initiated Logout 1.0 §3.1), matched exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The client's home page (RFC 7591 §2 `client_uri`; Mastodon's
    /// `website`).
    #[serde(default)]
    pub client_uri: Option<String>,
}

impl Client {
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }
    pub fn allows_response(&self, response: ResponseType) -> bool {
        self.response_types.contains(&response)
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password_hash: [u8; 32],
}

/// An authorization code and everything it is bound to (RFC 6749 §4.1.2,
/// RFC 7636 §4.4).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    /// The `redirect_uri` sent in the authorization request, if one was.
    pub redirect_uri: Option<String>,
    pub scopes: Vec<String>,
    pub username: String,
    pub code_challenge: Option<String>,
    /// Every token issued from this code shares it, so a replayed code can
    /// revoke them all (RFC 6749 §4.1.2).
    pub family: Family,
    /// OpenID Connect: the `nonce` of the request, for the ID token.
    #[serde(default)]
    pub nonce: Option<String>,
    /// When the user signed in, in seconds on the client's clock
    /// (`auth_time`, Core 1.0 §2).
    #[serde(default)]
    pub auth_time: u64,
}

pub enum Redeem {
    Unknown,
    /// Used before: a replay.
    Replayed(CodeGrant),
    /// First use, and `accept` said yes: the code is now spent.
    Fresh(CodeGrant),
    /// First use, but `accept` said no: the code stays unspent, so a
    /// stolen code tried without the verifier does not burn it.
    Refused,
}

/// A token family's id (`grants::new_family`, from 1); 0 only in the record
/// `bearer::check_jwt` builds from a JWT's claims, which is never stored
/// nor revoked by family.
pub type Family = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub client_id: String,
    pub username: Option<String>,
    pub scopes: Vec<String>,
    /// Tokens issued from one grant and its refreshes share a family
    /// (RFC 9700 §4.14.2).
    pub family: Family,
    pub issued_at: u64,
    pub expires_at: u64,
    pub revoked: bool,
    /// A refresh token that has been exchanged for a new one.
    pub rotated: bool,
}

impl TokenRecord {
    pub fn active(&self, now: u64) -> bool {
        !self.revoked && !self.rotated && now < self.expires_at
    }
}

#[async_trait::async_trait]
pub trait ClientStore: Send + Sync {
    async fn get(&self, client_id: &str) -> Option<std::sync::Arc<Client>>;
    /// Registers a client that is forgotten at `expires` (never, for
    /// `None`), on behalf of `owner` (a `Requester`; `None` for the seed
    /// clients): past the per-owner cap, the owner's oldest client goes.
    async fn insert(&self, client: Client, expires: Option<Instant>, owner: Option<&str>) -> Result<(), StoreFull>;
    /// Holds one of the server's own clients, in this process, for its
    /// whole life.
    fn seed(&self, client: Client);
}

/// The users, and their failed sign-ins. Failures count per user and
/// requester (`who`): guessing from one party locks that party out, never
/// the user for everyone (RFC 6749 §10.7).
pub trait UserStore: Send + Sync {
    fn get(&self, username: &str) -> Option<User>;
    /// Seconds left in a lockout of `who` after repeated failures, if one
    /// is running.
    fn locked_for(&self, username: &str, who: &str) -> Option<u64>;
    fn record_failure(&self, username: &str, who: &str);
    fn record_success(&self, username: &str, who: &str);

    /// A sign-in by `who`: the user, or what to tell them. Failures count
    /// towards the lockout; the password is compared in constant time.
    fn sign_in(&self, username: &str, password: &str, who: &str) -> Result<User, String> {
        if let Some(secs) = self.locked_for(username, who) {
            return Err(format!("Too many failed sign-ins for {username}: try again in {secs} seconds."));
        }
        let Some(user) = self.get(username).filter(|u| crate::oauth::util::secrets_equal(password, &u.password_hash))
        else {
            self.record_failure(username, who);
            return Err("Wrong username or password.".into());
        };
        self.record_success(username, who);
        Ok(user)
    }
}

#[async_trait::async_trait]
pub trait CodeStore: Send + Sync {
    async fn insert(&self, code: &str, grant: CodeGrant, expires: Instant) -> Result<(), StoreFull>;
    /// Atomically: if the code is unspent and `accept` approves it, marks
    /// it spent. Says whether it was spent before.
    async fn redeem(&self, code: &str, accept: &mut (dyn for<'g> FnMut(&'g CodeGrant) -> bool + Send)) -> Redeem;
}

#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert(&self, token: &str, record: TokenRecord, expires: Instant) -> Result<(), StoreFull>;
    async fn get(&self, token: &str) -> Option<TokenRecord>;
    /// Marks a refresh token as exchanged; false if it already was, which
    /// is a reuse. `Err` when the store could not record it.
    async fn rotate(&self, token: &str) -> Result<bool, StoreFull>;
    async fn revoke(&self, token: &str) -> Result<(), StoreFull>;
    async fn revoke_family(&self, family: Family) -> Result<(), StoreFull>;
}

/// Authorization requests waiting for the user's decision on the sign-in
/// and consent page.
#[async_trait::async_trait]
pub trait PendingStore: Send + Sync {
    /// Holds a request shown to the user until `expires`; fails when full.
    async fn insert(&self, id: &str, pending: Pending, expires: Instant) -> Result<(), StoreFull>;
    /// Takes a request out, so two posts of one form cannot both use it.
    async fn take(&self, id: &str) -> Option<Pending>;
    /// Puts back a request the user may still answer (wrong password).
    async fn put_back(&self, id: &str, pending: Pending, ttl: std::time::Duration);
    /// The client a pending request is for, so a layer in front of the
    /// server can tell whose consent POST it is.
    async fn client_of(&self, id: &str) -> Option<String>;
}

/// Pending device authorizations (RFC 8628 §3.2), by device code and by
/// user code.
#[async_trait::async_trait]
pub trait DeviceStore: Send + Sync {
    /// Holds a new grant under both codes until `keep_until`; the user
    /// code is normalised. Fails when full or when the user code is taken.
    async fn create(&self, device_code: &str, grant: DeviceGrant, keep_until: Instant) -> Result<(), StoreFull>;
    /// The grant a user code stands for, while it is pending and live.
    async fn by_user_code(&self, user_code: &str) -> Option<DeviceGrant>;
    /// The user's decision; false when the code is unknown or decided.
    async fn decide(&self, user_code: &str, decision: DeviceState) -> bool;
    /// A poll by `client_id` with `device_code`, at `now` (`device::judge`).
    async fn poll(&self, device_code: &str, client_id: &str, now: Instant) -> Poll;
}

/// Removes what has expired; run by a background task.
pub trait Sweep: Send + Sync {
    fn sweep(&self, now: Instant);
}
