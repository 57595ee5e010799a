//! Authorization requests waiting for the user's decision on the sign-in
//! and consent page, capped and expiring like every store.

use super::Bounded;
use crate::oauth::grants::AuthorizationRequest;
use parking_lot::Mutex;
use std::time::Instant;

/// An authorization request waiting for the user's decision.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub request: AuthorizationRequest,
    pub client_name: String,
    /// The CSRF token in the form (synchronizer token).
    pub csrf: String,
    /// The browser that loaded the form, by its cookie: a form posted from
    /// another browser is refused.
    pub browser: [u8; 32],
}

/// The pending requests in memory.
pub struct MemoryPending(Mutex<Bounded<Pending>>);

impl MemoryPending {
    pub fn new(cap: usize) -> Self {
        Self(Mutex::new(Bounded::new(cap)))
    }
}

#[async_trait::async_trait]
impl super::PendingStore for MemoryPending {
    async fn insert(&self, id: &str, pending: Pending, expires: Instant) -> Result<(), super::StoreFull> {
        self.0.lock().insert(Bounded::<Pending>::key(id), pending, Some(expires))
    }
    async fn take(&self, id: &str) -> Option<Pending> {
        self.0.lock().remove(&Bounded::<Pending>::key(id))
    }
    async fn put_back(&self, id: &str, pending: Pending, ttl: std::time::Duration) {
        let _ = self.0.lock().insert(Bounded::<Pending>::key(id), pending, Some(Instant::now() + ttl));
    }
    async fn client_of(&self, id: &str) -> Option<String> {
        self.0.lock().get(&Bounded::<Pending>::key(id)).map(|p| p.request.client_id.clone())
    }
}

impl super::Sweep for MemoryPending {
    fn sweep(&self, now: Instant) {
        self.0.lock().sweep(now)
    }
}
