//! A map with a cap whose entries expire: the building block of every
//! in-memory store, so no store can grow without limit (conformance 30).

use crate::oauth::util::sha256;
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFull;

const FULL_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Keys are 32 bytes: for secrets (tokens, codes), the SHA-256 digest of
/// the value (`key`), so a store never holds one in the clear and lookups
/// take the same time for any prefix of a guess. Values that are no secret
/// may be keyed more cheaply (the revoked token families, by id).
pub struct Bounded<V> {
    cap: usize,
    /// When a full store last swept on insert: it sweeps at most once a
    /// second, so no request does work in proportion to the store's size
    /// while it stays full.
    swept_when_full: Option<Instant>,
    /// A fast hasher will do: foldhash's seeded `RandomState` hashes all 32
    /// bytes of a key.
    map: HashMap<[u8; 32], (V, Option<Instant>), foldhash::fast::RandomState>,
}

impl<V> Bounded<V> {
    pub fn new(cap: usize) -> Self {
        Self { cap, swept_when_full: None, map: HashMap::default() }
    }

    pub fn key(value: &str) -> [u8; 32] {
        sha256(value.as_bytes())
    }

    /// Inserts, sweeping first when full; refuses when still full.
    pub fn insert(&mut self, key: [u8; 32], value: V, expires: Option<Instant>) -> Result<(), StoreFull> {
        if self.map.len() >= self.cap && !self.map.contains_key(&key) {
            let now = Instant::now();
            if self.swept_when_full.is_some_and(|t| now.duration_since(t) < FULL_SWEEP_EVERY) {
                return Err(StoreFull);
            }
            self.swept_when_full = Some(now);
            self.sweep(now);
            if self.map.len() >= self.cap {
                return Err(StoreFull);
            }
        }
        self.map.insert(key, (value, expires));
        Ok(())
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<&V> {
        self.map.get(key).filter(|(_, exp)| exp.is_none_or(|e| Instant::now() < e)).map(|(v, _)| v)
    }

    pub fn get_mut(&mut self, key: &[u8; 32]) -> Option<&mut V> {
        self.map.get_mut(key).filter(|(_, exp)| exp.is_none_or(|e| Instant::now() < e)).map(|(v, _)| v)
    }

    /// Takes an entry out; an expired one counts as absent.
    pub fn remove(&mut self, key: &[u8; 32]) -> Option<V> {
        match self.map.remove(key) {
            Some((v, exp)) if exp.is_none_or(|e| Instant::now() < e) => Some(v),
            _ => None,
        }
    }

    /// Whether `key` is held and live.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.get(key).is_some()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut().map(|(v, _)| v)
    }

    pub fn sweep(&mut self, now: Instant) {
        self.map.retain(|_, (_, exp)| exp.is_none_or(|e| now < e));
    }

    /// Makes way in `owned`, one party's keys oldest first, for one more:
    /// past `cap`, the party's oldest entries leave the list and the store.
    pub fn make_way(&mut self, owned: &mut std::collections::VecDeque<[u8; 32]>, cap: usize) {
        while owned.len() >= cap.max(1) {
            let Some(oldest) = owned.pop_front() else { break };
            self.map.remove(&oldest);
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn refuses_past_cap_until_entries_expire() {
        let mut b = Bounded::new(2);
        let soon = Instant::now() + Duration::from_millis(20);
        b.insert(Bounded::<u8>::key("a"), 1, Some(soon)).unwrap();
        b.insert(Bounded::<u8>::key("b"), 2, Some(soon)).unwrap();
        assert_eq!(b.insert(Bounded::<u8>::key("c"), 3, None), Err(StoreFull));
        std::thread::sleep(Duration::from_millis(30));
        // A full store sweeps on insert at most once a second.
        b.swept_when_full = None;
        assert!(b.get(&Bounded::<u8>::key("a")).is_none());
        b.insert(Bounded::<u8>::key("c"), 3, None).unwrap();
        assert_eq!(b.len(), 1);
    }
}
