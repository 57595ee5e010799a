//! Authorization requests waiting for the user's decision on the sign-in
//! and consent page, capped and expiring like every store.

use super::Bounded;
use crate::oauth::grants::AuthorizationRequest;
use parking_lot::Mutex;
use std::time::Instant;

/// An authorization request waiting for the user's decision.
#[derive(Clone)]
pub struct Pending {
    pub request: AuthorizationRequest,
    pub client_name: String,
    /// The CSRF token in the form (synchronizer token).
    pub csrf: String,
    /// The browser that loaded the form, by its cookie: a form posted from
    /// another browser is refused.
    pub browser: [u8; 32],
}

pub struct PendingStore(Mutex<Bounded<Pending>>);

impl PendingStore {
    pub fn new(cap: usize) -> Self {
        Self(Mutex::new(Bounded::new(cap)))
    }
    /// Holds a request shown to the user until `expires`; fails when full.
    pub fn insert(&self, id: &str, pending: Pending, expires: Instant) -> Result<(), super::StoreFull> {
        self.0.lock().insert(Bounded::<Pending>::key(id), pending, Some(expires))
    }
    pub fn sweep(&self, now: Instant) {
        self.0.lock().sweep(now)
    }
    fn get(&self, id: &str) -> Option<Pending> {
        self.0.lock().get(&Bounded::<Pending>::key(id)).cloned()
    }
    /// Takes a request out, so two posts of one form cannot both use it.
    pub fn take(&self, id: &str) -> Option<Pending> {
        self.0.lock().remove(&Bounded::<Pending>::key(id))
    }
    /// Puts back a request the user may still answer (wrong password).
    pub fn put_back(&self, id: &str, pending: Pending, ttl: std::time::Duration) {
        let _ = self.0.lock().insert(Bounded::<Pending>::key(id), pending, Some(Instant::now() + ttl));
    }
    /// The client a pending request is for, so a layer in front of the
    /// server can tell whose consent POST it is.
    pub fn client_of(&self, id: &str) -> Option<String> {
        self.get(id).map(|p| p.request.client_id)
    }
}
