//! Pending device authorizations (RFC 8628 §3.2): a device code the device
//! polls with, a short user code the user types, capped and expiring like
//! every store here.

use super::{Bounded, DeviceStore, StoreFull, Sweep};
use parking_lot::Mutex;
use rand::Rng;
use std::time::{Duration, Instant};

/// RFC 8628 §6.1: consonants only (no vowels, so no words; no 0/O or 1/I
/// mix-ups), 8 of them: 20^8, about 34.5 bits; the verification page is
/// rate-limited per address (§5.1).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceState {
    Pending,
    Approved {
        username: String,
        scopes: Vec<String>,
    },
    Denied,
    /// Its tokens were issued: the device code is spent.
    Used,
}

#[derive(Clone, Debug)]
pub struct DeviceGrant {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub user_code: String,
    pub state: DeviceState,
    pub family: super::Family,
    pub expires: Instant,
    /// The interval the device must keep between polls; it grows by 5 s on
    /// each `slow_down` (§3.5).
    pub interval: Duration,
    pub last_poll: Option<Instant>,
}

/// What a poll of the token endpoint finds (§3.5).
#[derive(Debug)]
pub enum Poll {
    Unknown,
    OtherClient,
    Pending,
    SlowDown,
    Denied,
    Expired,
    Approved(DeviceGrant),
    Used,
}

struct Inner {
    by_device: Bounded<DeviceGrant>,
    /// Normalised user code → device code.
    by_user: Bounded<String>,
}

/// The device flow's side of the server: draws the codes and keeps the
/// grants in a `DeviceStore`.
pub struct Devices {
    store: std::sync::Arc<dyn DeviceStore>,
    ttl: Duration,
    interval: Duration,
}

/// Upper case, without the dash and spaces a user may type (§6.1).
pub fn normalise_user_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

impl Devices {
    pub fn new(store: std::sync::Arc<dyn DeviceStore>, ttl: Duration, interval: Duration) -> Self {
        Self { store, ttl, interval }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// A new pending authorization: (device code, user code as shown).
    pub async fn create(
        &self,
        client_id: &str,
        scopes: Vec<String>,
        family: super::Family,
    ) -> Result<(String, String), StoreFull> {
        let device_code = crate::oauth::util::random_token("dc_");
        let shown = {
            let mut rng = rand::rng();
            let raw: String =
                (0..8).map(|_| USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())] as char).collect();
            format!("{}-{}", &raw[..4], &raw[4..])
        };
        let expires = Instant::now() + self.ttl;
        let grant = DeviceGrant {
            client_id: client_id.to_string(),
            scopes,
            user_code: shown.clone(),
            state: DeviceState::Pending,
            family,
            expires,
            interval: self.interval,
            last_poll: None,
        };
        // Kept a while past its expiry, so a late poll hears expired_token
        // (RFC 8628 §3.5) rather than an unknown code.
        self.store.create(&device_code, grant, expires + self.ttl).await?;
        Ok((device_code, shown))
    }

    /// The pending authorization a user code stands for.
    pub async fn by_user_code(&self, user_code: &str) -> Option<DeviceGrant> {
        self.store.by_user_code(user_code).await
    }

    /// The user's decision; false when the code is unknown or decided.
    pub async fn decide(&self, user_code: &str, decision: DeviceState) -> bool {
        self.store.decide(user_code, decision).await
    }

    /// A poll by `client_id` with `device_code`, at `now`.
    pub async fn poll(&self, device_code: &str, client_id: &str, now: Instant) -> Poll {
        self.store.poll(device_code, client_id, now).await
    }
}

/// What a poll by `client_id` at `now` finds in `g`, and what it changes
/// there: the time of the last poll, a longer interval after `slow_down`,
/// and an approved grant spent.
pub fn judge(g: &mut DeviceGrant, client_id: &str, now: Instant) -> Poll {
    if g.client_id != client_id {
        return Poll::OtherClient;
    }
    if now >= g.expires {
        return Poll::Expired;
    }
    let too_soon = g.last_poll.is_some_and(|last| now.duration_since(last) < g.interval);
    g.last_poll = Some(now);
    match g.state {
        DeviceState::Pending if too_soon => {
            g.interval += Duration::from_secs(5);
            Poll::SlowDown
        }
        DeviceState::Pending => Poll::Pending,
        DeviceState::Denied => Poll::Denied,
        DeviceState::Used => Poll::Used,
        DeviceState::Approved { .. } => {
            let approved = g.clone();
            g.state = DeviceState::Used;
            Poll::Approved(approved)
        }
    }
}

/// The device grants in memory.
pub struct MemoryDevices(Mutex<Inner>);

impl MemoryDevices {
    pub fn new(cap: usize) -> Self {
        Self(Mutex::new(Inner { by_device: Bounded::new(cap), by_user: Bounded::new(cap) }))
    }
}

#[async_trait::async_trait]
impl DeviceStore for MemoryDevices {
    async fn create(&self, device_code: &str, grant: DeviceGrant, keep_until: Instant) -> Result<(), StoreFull> {
        let mut inner = self.0.lock();
        let user_key = Bounded::<String>::key(&normalise_user_code(&grant.user_code));
        if inner.by_user.get(&user_key).is_some() {
            // A collision among live codes: the caller may try again.
            return Err(StoreFull);
        }
        let expires = grant.expires;
        inner.by_device.insert(Bounded::<DeviceGrant>::key(device_code), grant, Some(keep_until))?;
        inner.by_user.insert(user_key, device_code.to_string(), Some(expires))?;
        Ok(())
    }

    async fn by_user_code(&self, user_code: &str) -> Option<DeviceGrant> {
        let inner = self.0.lock();
        let device = inner.by_user.get(&Bounded::<String>::key(&normalise_user_code(user_code)))?;
        inner
            .by_device
            .get(&Bounded::<DeviceGrant>::key(device))
            .filter(|g| g.state == DeviceState::Pending && g.expires > Instant::now())
            .cloned()
    }

    async fn decide(&self, user_code: &str, decision: DeviceState) -> bool {
        let mut inner = self.0.lock();
        let Some(device) = inner.by_user.remove(&Bounded::<String>::key(&normalise_user_code(user_code))) else {
            return false;
        };
        match inner.by_device.get_mut(&Bounded::<DeviceGrant>::key(&device)) {
            Some(g) if g.state == DeviceState::Pending => {
                g.state = decision;
                true
            }
            _ => false,
        }
    }

    async fn poll(&self, device_code: &str, client_id: &str, now: Instant) -> Poll {
        let mut inner = self.0.lock();
        match inner.by_device.get_mut(&Bounded::<DeviceGrant>::key(device_code)) {
            Some(g) => judge(g, client_id, now),
            None => Poll::Unknown,
        }
    }
}

impl Sweep for MemoryDevices {
    fn sweep(&self, now: Instant) {
        let mut inner = self.0.lock();
        inner.by_device.sweep(now);
        inner.by_user.sweep(now);
    }
}
