//! In-memory stores behind the traits in `mod.rs`.

use super::*;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Clients are shared, not copied, on every lookup: the token endpoint
/// looks one up per request.
pub struct MemoryClients {
    inner: Mutex<Clients>,
    per_owner: usize,
}

struct Clients {
    by_id: Bounded<Arc<Client>>,
    /// Each owner's clients, oldest first.
    by_owner: HashMap<String, VecDeque<[u8; 32]>, foldhash::fast::RandomState>,
}

impl MemoryClients {
    pub fn new(cap: usize, per_owner: usize) -> Self {
        Self {
            inner: Mutex::new(Clients { by_id: Bounded::new(cap), by_owner: HashMap::default() }),
            per_owner: per_owner.max(1),
        }
    }

    pub fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        self.inner.lock().by_id.get(&Bounded::<Client>::key(client_id)).cloned()
    }

    pub fn insert(&self, client: Client, expires: Option<Instant>, owner: Option<&str>) -> Result<(), StoreFull> {
        let key = Bounded::<Client>::key(&client.client_id);
        let mut inner = self.inner.lock();
        let Clients { by_id, by_owner } = &mut *inner;
        let Some(owner) = owner else { return by_id.insert(key, Arc::new(client), expires) };
        let mine = by_owner.entry(owner.to_string()).or_default();
        by_id.make_way(mine, self.per_owner);
        by_id.insert(key, Arc::new(client), expires)?;
        mine.push_back(key);
        Ok(())
    }
}

#[async_trait::async_trait]
impl ClientStore for MemoryClients {
    async fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        MemoryClients::get(self, client_id)
    }
    async fn insert(&self, client: Client, expires: Option<Instant>, owner: Option<&str>) -> Result<(), StoreFull> {
        MemoryClients::insert(self, client, expires, owner)
    }
    fn seed(&self, client: Client) {
        // A cap far above the seed clients: cannot fail.
        let _ = MemoryClients::insert(self, client, None, None);
    }
}

impl Sweep for MemoryClients {
    fn sweep(&self, now: Instant) {
        let mut inner = self.inner.lock();
        let Clients { by_id, by_owner } = &mut *inner;
        by_id.sweep(now);
        by_owner.retain(|_, keys| {
            keys.retain(|k| by_id.contains(k));
            !keys.is_empty()
        });
    }
}

struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// The users are fixed fixtures; failures are counted per user and
/// requester, in a capped store whose entries expire once their lockout
/// would have.
pub struct MemoryUsers {
    users: HashMap<String, User>,
    failures: Mutex<Bounded<Failures>>,
    max_failures: u32,
    lockout: Duration,
}

/// How many users-and-requesters with failures are remembered at once.
const MAX_FAILING: usize = 10_000;

fn failure_key(username: &str, who: &str) -> [u8; 32] {
    Bounded::<Failures>::key(&format!("{username}\0{who}"))
}

impl MemoryUsers {
    pub fn new(users: Vec<User>, max_failures: u32, lockout: Duration) -> Self {
        Self {
            users: users.into_iter().map(|u| (u.username.clone(), u)).collect(),
            failures: Mutex::new(Bounded::new(MAX_FAILING)),
            max_failures,
            lockout,
        }
    }
}

impl UserStore for MemoryUsers {
    fn get(&self, username: &str) -> Option<User> {
        self.users.get(username).cloned()
    }
    fn locked_for(&self, username: &str, who: &str) -> Option<u64> {
        let f = self.failures.lock();
        let until = f.get(&failure_key(username, who))?.locked_until?;
        let left = until.checked_duration_since(Instant::now())?;
        Some(left.as_secs().max(1))
    }
    fn record_failure(&self, username: &str, who: &str) {
        if !self.users.contains_key(username) {
            return;
        }
        let key = failure_key(username, who);
        let mut f = self.failures.lock();
        let (count, locked_until) = match f.get(&key) {
            Some(e) if e.locked_until.is_some_and(|u| u <= Instant::now()) => (0, None),
            Some(e) => (e.count, e.locked_until),
            None => (0, None),
        };
        let count = count + 1;
        let locked_until = if count >= self.max_failures { Some(Instant::now() + self.lockout) } else { locked_until };
        // Forgotten a lockout after the last failure; when full, failures
        // go uncounted and the rate limits in front still hold.
        let _ = f.insert(key, Failures { count, locked_until }, Some(Instant::now() + self.lockout * 2));
    }
    fn record_success(&self, username: &str, who: &str) {
        self.failures.lock().remove(&failure_key(username, who));
    }
}

/// Codes not yet redeemed, and codes spent: a spent code is remembered,
/// apart, for as long as the tokens issued from it can live, so a replay
/// is caught (and the tokens revoked) whenever it comes, and spent codes
/// never crowd out new ones.
pub struct MemoryCodes {
    live: Mutex<Bounded<CodeGrant>>,
    spent: Mutex<Bounded<CodeGrant>>,
    remember_spent: Duration,
}

impl MemoryCodes {
    /// At most `cap` codes waiting, and spent ones kept for `remember_spent`.
    pub fn new(cap: usize, spent_cap: usize, remember_spent: Duration) -> Self {
        Self { live: Mutex::new(Bounded::new(cap)), spent: Mutex::new(Bounded::new(spent_cap)), remember_spent }
    }
}

#[async_trait::async_trait]
impl CodeStore for MemoryCodes {
    async fn insert(&self, code: &str, grant: CodeGrant, expires: Instant) -> Result<(), StoreFull> {
        self.live.lock().insert(Bounded::<CodeGrant>::key(code), grant, Some(expires))
    }
    async fn redeem(&self, code: &str, accept: &mut (dyn for<'g> FnMut(&'g CodeGrant) -> bool + Send)) -> Redeem {
        let key = Bounded::<CodeGrant>::key(code);
        let mut live = self.live.lock();
        let Some(grant) = live.get(&key) else {
            drop(live);
            return match self.spent.lock().get(&key) {
                Some(grant) => Redeem::Replayed(grant.clone()),
                None => Redeem::Unknown,
            };
        };
        if !accept(grant) {
            return Redeem::Refused;
        }
        let Some(grant) = live.remove(&key) else { return Redeem::Unknown };
        // When the spent set is full, a replay after this is taken for
        // an unknown code: refused all the same, without the revocation.
        let _ = self.spent.lock().insert(key, grant.clone(), Some(Instant::now() + self.remember_spent));
        Redeem::Fresh(grant)
    }
}

impl Sweep for MemoryCodes {
    fn sweep(&self, now: Instant) {
        self.live.lock().sweep(now);
        self.spent.lock().sweep(now);
    }
}

pub struct MemoryTokens {
    /// Boxed: the map's entries stay small, so growing it moves and
    /// faults in a third of the memory (the token endpoint's figures).
    inner: Mutex<Tokens>,
    /// Families revoked, remembered so that every token of one is revoked
    /// without visiting the store, and a token inserted into one after the
    /// revocation (a race with a replay) is born revoked.
    revoked_families: Mutex<Bounded<()>>,
    per_client: usize,
}

struct Tokens {
    by_key: Bounded<Box<TokenRecord>>,
    /// Each client's tokens, oldest first: past `per_client`, a client's
    /// oldest token makes way for its newest, so no client fills the
    /// store for everyone.
    by_client: HashMap<String, VecDeque<[u8; 32]>, foldhash::fast::RandomState>,
}

/// A family's key in the revoked set: its id, which is no secret, so it
/// needs no digest.
fn family_key(family: Family) -> [u8; 32] {
    let mut key = [0; 32];
    key[..8].copy_from_slice(&family.to_le_bytes());
    key
}

/// As long as any token of a family can live.
const FAMILY_MEMORY: Duration = Duration::from_secs(86_400);

impl MemoryTokens {
    /// At most `cap` tokens, and `per_client` for any one client.
    pub fn new(cap: usize, per_client: usize) -> Self {
        Self {
            inner: Mutex::new(Tokens { by_key: Bounded::new(cap), by_client: HashMap::default() }),
            revoked_families: Mutex::new(Bounded::new(cap)),
            per_client: per_client.max(1),
        }
    }
    fn family_revoked(&self, family: Family) -> bool {
        let revoked = self.revoked_families.lock();
        !revoked.is_empty() && revoked.get(&family_key(family)).is_some()
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokens {
    async fn insert(&self, token: &str, mut record: TokenRecord, expires: Instant) -> Result<(), StoreFull> {
        let key = Bounded::<TokenRecord>::key(token);
        record.revoked |= self.family_revoked(record.family);
        let mut inner = self.inner.lock();
        let Tokens { by_key, by_client } = &mut *inner;
        // The client's list, made on its first token only: no allocation
        // per token on the token endpoint's path.
        if !by_client.contains_key(&record.client_id) {
            by_client.insert(record.client_id.clone(), VecDeque::new());
        }
        let Some(mine) = by_client.get_mut(&record.client_id) else { return Err(StoreFull) };
        by_key.make_way(mine, self.per_client);
        by_key.insert(key, Box::new(record), Some(expires))?;
        mine.push_back(key);
        Ok(())
    }
    async fn get(&self, token: &str) -> Option<TokenRecord> {
        let mut record =
            self.inner.lock().by_key.get(&Bounded::<TokenRecord>::key(token)).map(|r| TokenRecord::clone(r))?;
        record.revoked |= self.family_revoked(record.family);
        Some(record)
    }
    async fn rotate(&self, token: &str) -> Result<bool, StoreFull> {
        let mut inner = self.inner.lock();
        Ok(match inner.by_key.get_mut(&Bounded::<TokenRecord>::key(token)) {
            Some(r) if !r.rotated => {
                r.rotated = true;
                true
            }
            _ => false,
        })
    }
    async fn revoke(&self, token: &str) -> Result<(), StoreFull> {
        if let Some(r) = self.inner.lock().by_key.get_mut(&Bounded::<TokenRecord>::key(token)) {
            r.revoked = true;
        }
        Ok(())
    }
    async fn revoke_family(&self, family: Family) -> Result<(), StoreFull> {
        self.revoked_families.lock().insert(family_key(family), (), Some(Instant::now() + FAMILY_MEMORY))
    }
}

impl Sweep for MemoryTokens {
    fn sweep(&self, now: Instant) {
        let mut inner = self.inner.lock();
        let Tokens { by_key, by_client } = &mut *inner;
        by_key.sweep(now);
        by_client.retain(|_, keys| {
            keys.retain(|k| by_key.contains(k));
            !keys.is_empty()
        });
        drop(inner);
        self.revoked_families.lock().sweep(now);
    }
}
