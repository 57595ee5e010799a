//! Pending device authorizations (RFC 8628 §3.2): a device code the device
//! polls with, a short user code the user types, capped and expiring like
//! every store here.

use super::{Bounded, StoreFull, Sweep};
use parking_lot::Mutex;
use rand::Rng;
use std::time::{Duration, Instant};

/// RFC 8628 §6.1: consonants only (no vowels, so no words; no 0/O or 1/I
/// mix-ups), 8 of them: 20^8, about 34.5 bits; the verification page is
/// rate-limited per address (§5.1).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

#[derive(Clone, Debug, PartialEq, Eq)]
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
    last_poll: Option<Instant>,
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

pub struct Devices {
    inner: Mutex<Inner>,
    ttl: Duration,
    interval: Duration,
}

/// Upper case, without the dash and spaces a user may type (§6.1).
pub fn normalise_user_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

impl Devices {
    pub fn new(cap: usize, ttl: Duration, interval: Duration) -> Self {
        Self { inner: Mutex::new(Inner { by_device: Bounded::new(cap), by_user: Bounded::new(cap) }), ttl, interval }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// A new pending authorization: (device code, user code as shown).
    pub fn create(
        &self,
        client_id: &str,
        scopes: Vec<String>,
        family: super::Family,
    ) -> Result<(String, String), StoreFull> {
        let device_code = crate::oauth::util::random_token("dc_");
        let mut rng = rand::rng();
        let raw: String =
            (0..8).map(|_| USER_CODE_ALPHABET[rng.random_range(0..USER_CODE_ALPHABET.len())] as char).collect();
        let shown = format!("{}-{}", &raw[..4], &raw[4..]);
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
        let mut inner = self.inner.lock();
        let user_key = Bounded::<String>::key(&raw);
        if inner.by_user.get(&user_key).is_some() {
            // A collision among live codes: the caller may try again.
            return Err(StoreFull);
        }
        // Kept a while past its expiry, so a late poll hears expired_token
        // (RFC 8628 §3.5) rather than an unknown code.
        inner.by_device.insert(Bounded::<DeviceGrant>::key(&device_code), grant, Some(expires + self.ttl))?;
        inner.by_user.insert(user_key, device_code.clone(), Some(expires))?;
        Ok((device_code, shown))
    }

    /// The pending authorization a user code stands for.
    pub fn by_user_code(&self, user_code: &str) -> Option<DeviceGrant> {
        let inner = self.inner.lock();
        let device = inner.by_user.get(&Bounded::<String>::key(&normalise_user_code(user_code)))?;
        inner
            .by_device
            .get(&Bounded::<DeviceGrant>::key(device))
            .filter(|g| g.state == DeviceState::Pending && g.expires > Instant::now())
            .cloned()
    }

    /// The user's decision; false when the code is unknown or decided.
    pub fn decide(&self, user_code: &str, decision: DeviceState) -> bool {
        let mut inner = self.inner.lock();
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

    /// A poll by `client_id` with `device_code`, at `now`.
    pub fn poll(&self, device_code: &str, client_id: &str, now: Instant) -> Poll {
        let mut inner = self.inner.lock();
        let Some(g) = inner.by_device.get_mut(&Bounded::<DeviceGrant>::key(device_code)) else {
            return Poll::Unknown;
        };
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
}

impl Sweep for Devices {
    fn sweep(&self, now: Instant) {
        let mut inner = self.inner.lock();
        inner.by_device.sweep(now);
        inner.by_user.sweep(now);
    }
}
