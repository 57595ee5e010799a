//! The process's settings, as the command line and environment give them:
//! where the servers are reached, how long what they issue lives, how much
//! state they may hold, and the limits in front of them. Each part is
//! handed its own share (`oauth`, `lab`).

use std::time::Duration;

/// Lifetimes and caps. By default codes live 60 s, access tokens 1 h and
/// refresh tokens 1 day.
#[derive(Clone, Debug)]
pub struct Config {
    /// The public base URL, without a trailing slash. It is the `issuer` in
    /// metadata and the base of the demo clients' redirect URIs.
    pub public_url: String,
    /// Where the lab's own client reaches the servers over loopback.
    pub internal_url: String,
    pub code_ttl: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long a dynamically registered client is kept.
    pub client_ttl: Duration,
    /// How long a login and consent page stays usable.
    pub pending_ttl: Duration,
    /// How long a device code and its user code live (RFC 8628 §3.2
    /// `expires_in`), and the polling interval the device is given.
    pub device_ttl: Duration,
    pub device_interval: Duration,
    pub max_clients: usize,
    pub max_codes: usize,
    pub max_tokens: usize,
    /// Live tokens of one client, and clients of one requester: per-party
    /// caps, applied before the global ones.
    pub max_tokens_per_client: usize,
    pub max_clients_per_requester: usize,
    pub max_pending: usize,
    pub max_statuses_per_user: usize,
    /// Recorded runs, all learners together.
    pub max_runs: usize,
    pub run_ttl: Duration,
    /// Failed sign-ins for one user before it is locked (RFC 6749 §10.7).
    pub max_failed_logins: u32,
    pub lockout: Duration,
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// Sign-ins, registrations and new runs per client address: a burst of
    /// `rate_burst`, then this many a minute. 0 turns the limit off.
    pub rate_per_minute: u32,
    pub rate_burst: u32,
    /// Take the client address from `X-Forwarded-For` / `Forwarded`: only
    /// behind a proxy that sets them.
    pub behind_proxy: bool,
    /// Above this resident set size, in bytes, requests that would create
    /// state are refused with 503.
    pub memory_ceiling: Option<u64>,
    /// The lab's client may call a learner's own provider on a private or
    /// loopback address: by default only when the lab listens on loopback.
    pub outbound_private: bool,
}

impl Config {
    pub fn new(public_url: &str, internal_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_string(),
            internal_url: internal_url.trim_end_matches('/').to_string(),
            code_ttl: Duration::from_secs(60),
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(86_400),
            client_ttl: Duration::from_secs(86_400),
            pending_ttl: Duration::from_secs(600),
            device_ttl: Duration::from_secs(600),
            // RFC 8628 lets the server choose; 3 s rather than the default 5
            // keeps a lab run short.
            device_interval: Duration::from_secs(3),
            max_clients: 10_000,
            max_codes: 10_000,
            max_tokens: 100_000,
            max_tokens_per_client: 1_000,
            max_clients_per_requester: 100,
            max_pending: 10_000,
            max_statuses_per_user: 100,
            max_runs: 5_000,
            run_ttl: crate::lab::runs::RUN_TTL,
            max_failed_logins: 5,
            lockout: Duration::from_secs(60),
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(10),
            rate_per_minute: 120,
            rate_burst: 60,
            behind_proxy: false,
            memory_ceiling: Some(768 * 1024 * 1024),
            outbound_private: true,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }

    /// What the authorization server is told.
    pub fn oauth(&self) -> crate::oauth::Settings {
        crate::oauth::Settings {
            public_url: self.public_url.clone(),
            code_ttl: self.code_ttl,
            access_token_ttl: self.access_token_ttl,
            refresh_token_ttl: self.refresh_token_ttl,
            client_ttl: self.client_ttl,
            pending_ttl: self.pending_ttl,
            device_ttl: self.device_ttl,
            device_interval: self.device_interval,
            max_clients: self.max_clients,
            max_codes: self.max_codes,
            max_tokens: self.max_tokens,
            max_tokens_per_client: self.max_tokens_per_client,
            max_clients_per_requester: self.max_clients_per_requester,
            max_pending: self.max_pending,
            max_failed_logins: self.max_failed_logins,
            lockout: self.lockout,
        }
    }

    /// What the lab is told.
    pub fn lab(&self) -> crate::lab::Settings {
        crate::lab::Settings {
            public_url: self.public_url.clone(),
            internal_url: self.internal_url.clone(),
            max_body_bytes: self.max_body_bytes,
            max_runs: self.max_runs,
            run_ttl: self.run_ttl,
            max_pending: self.max_pending,
            outbound_private: self.outbound_private,
        }
    }
}
