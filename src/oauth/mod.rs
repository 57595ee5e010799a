//! The authorization server (RFC 6749 and the RFCs around it): endpoints,
//! grants, stores, client authentication, errors, JWT access tokens and
//! its own HTML pages. It is asked about a client's time, defences and
//! token format only through `Hooks`.

pub mod client_auth;
pub mod endpoints;
pub mod error;
pub mod grants;
pub mod hooks;
pub mod jwt;
pub mod pages;
pub mod protocol;
pub mod requester;
pub mod scope;
pub mod store;
#[cfg(test)]
mod tests;
pub mod util;

pub use hooks::{AccessTokenFormat, Defence, Hooks, NoHooks};
pub use requester::Requester;

use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{
    Client, ClientStore, CodeStore, DeviceStore, MemoryClients, MemoryCodes, MemoryDevices, MemoryPending,
    MemoryTokens, MemoryUsers, PendingStore, Sweep, TokenStore, User, UserStore,
};

/// The authorization server's settings: where it is reached, how long what
/// it issues lives, and how much state it may hold.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The `issuer`, without a trailing slash; the base of its endpoints.
    pub public_url: String,
    pub code_ttl: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long a dynamically registered client is kept.
    pub client_ttl: Duration,
    /// How long a sign-in and consent page stays usable.
    pub pending_ttl: Duration,
    /// How long a device code and its user code live (RFC 8628 §3.2
    /// `expires_in`), and the polling interval the device is given.
    pub device_ttl: Duration,
    pub device_interval: Duration,
    pub max_clients: usize,
    pub max_codes: usize,
    pub max_tokens: usize,
    /// Live tokens of one client; past it, its oldest make way.
    pub max_tokens_per_client: usize,
    /// Clients one requester has registered; past it, its oldest go.
    pub max_clients_per_requester: usize,
    pub max_pending: usize,
    /// Failed sign-ins for one user before it is locked (RFC 6749 §10.7).
    pub max_failed_logins: u32,
    pub lockout: Duration,
}

impl Settings {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// Where the server keeps what it issues: one store per concern, in
/// memory (`Stores::memory`) or in a database shared by every replica
/// (`store::sql`).
pub struct Stores {
    pub clients: Arc<dyn ClientStore>,
    pub codes: Arc<dyn CodeStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub pending: Arc<dyn PendingStore>,
    pub devices: Arc<dyn DeviceStore>,
    /// What the background sweep visits.
    pub sweepers: Vec<Arc<dyn Sweep>>,
}

impl Stores {
    /// Everything in this process's memory, capped as `settings` say.
    pub fn memory(settings: &Settings) -> Self {
        let clients = Arc::new(MemoryClients::new(settings.max_clients, settings.max_clients_per_requester));
        let tokens_live = settings.access_token_ttl.max(settings.refresh_token_ttl);
        let codes = Arc::new(MemoryCodes::new(settings.max_codes, settings.max_tokens, tokens_live));
        let tokens = Arc::new(MemoryTokens::new(settings.max_tokens, settings.max_tokens_per_client));
        let pending = Arc::new(MemoryPending::new(settings.max_pending));
        let devices = Arc::new(MemoryDevices::new(settings.max_pending));
        Self {
            sweepers: vec![clients.clone(), codes.clone(), tokens.clone(), pending.clone(), devices.clone()],
            clients,
            codes,
            tokens,
            pending,
            devices,
        }
    }
}

/// The authorization server's state: its settings, one store per concern,
/// and the hooks it asks.
pub struct AuthServer {
    pub settings: Settings,
    pub clients: Arc<dyn ClientStore>,
    pub users: Arc<dyn UserStore>,
    pub codes: Arc<dyn CodeStore>,
    pub tokens: Arc<dyn TokenStore>,
    pub pending: Arc<dyn PendingStore>,
    pub devices: store::Devices,
    pub hooks: Arc<dyn Hooks>,
    sweepers: Vec<Arc<dyn Sweep>>,
}

impl AuthServer {
    /// A server holding `clients` (never forgotten) and `users`, in memory.
    pub fn new(settings: Settings, clients: Vec<Client>, users: Vec<User>, hooks: Arc<dyn Hooks>) -> Arc<Self> {
        let stores = Stores::memory(&settings);
        Self::with_stores(settings, stores, clients, users, hooks)
    }

    /// A server keeping what it issues in `stores`, with its own `clients`
    /// (never forgotten) and `users`.
    pub fn with_stores(
        settings: Settings,
        stores: Stores,
        clients: Vec<Client>,
        users: Vec<User>,
        hooks: Arc<dyn Hooks>,
    ) -> Arc<Self> {
        for client in clients {
            stores.clients.seed(client);
        }
        let users = Arc::new(MemoryUsers::new(users, settings.max_failed_logins, settings.lockout));
        let devices = store::Devices::new(stores.devices, settings.device_ttl, settings.device_interval);
        Arc::new(Self {
            settings,
            clients: stores.clients,
            users,
            codes: stores.codes,
            tokens: stores.tokens,
            pending: stores.pending,
            devices,
            hooks,
            sweepers: stores.sweepers,
        })
    }

    /// Now, in seconds since the epoch, on the clock `client_id`'s tokens
    /// are judged by (`Hooks::now`).
    pub fn now(&self, client_id: &str) -> u64 {
        self.hooks.now(client_id)
    }

    /// Whether `defence` is off for `client_id` (`Hooks::defence_off`).
    pub fn defence_off(&self, client_id: &str, defence: Defence) -> bool {
        self.hooks.defence_off(client_id, defence)
    }

    /// Removes what has expired.
    pub fn sweep(&self, now: Instant) {
        for s in &self.sweepers {
            s.sweep(now);
        }
    }
}
