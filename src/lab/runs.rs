//! The run store: each learner's grants, executed for real and recorded.
//! It is capped in total and per learner, and runs expire (conformance 30).

use crate::oauth::store::Bounded;
use crate::run::scenario::Scenario;
use crate::run::{Grant, Mode, RunRecord, RunStatus, Step};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a run is kept unless configured otherwise.
pub const RUN_TTL: Duration = Duration::from_secs(3600);
pub const RUNS_PER_LEARNER: usize = 20;
/// Runs started from one address (`Requester`), all its learners together:
/// a learner who drops their cookie is still one party.
pub const RUNS_PER_REQUESTER: usize = 100;
/// A run has a few dozen steps at most; past this it stops recording.
pub const MAX_STEPS: usize = 64;
/// What one run's steps may hold in all, headers and bodies; past it the
/// run stops recording.
pub const RUN_BYTES: usize = 256 * 1024;
/// A learner's own program may make many more requests than a grant's
/// run: its run keeps this many steps, and this many bytes.
pub const OWN_APP_STEPS: usize = 200;
pub const OWN_APP_BYTES: usize = 1024 * 1024;

/// The client a run registered in its first step.
#[derive(Clone, Debug)]
pub struct RunClient {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
}

impl RunClient {
    /// The client a registration's answer (RFC 7591 §3.2.1) names, with
    /// the redirect URI the run's app uses.
    pub fn registered(answer: &serde_json::Value, redirect_uri: String) -> Self {
        Self {
            client_id: answer["client_id"].as_str().unwrap_or_default().to_string(),
            client_secret: answer["client_secret"].as_str().map(str::to_string),
            redirect_uri,
        }
    }
}

pub struct RunState {
    pub record: RunRecord,
    /// The key the lab's own parties send (`tags::KEY_HEADER`).
    key: String,
    /// The learner whose run it is, by the SHA-256 of their cookie.
    owner: [u8; 32],
    /// What the recorded steps hold, against `RUN_BYTES`.
    bytes: usize,
    /// When each step began, to order nested exchanges.
    seqs: Vec<u64>,
    pub client: Option<RunClient>,
    pub pkce_verifier: Option<String>,
    pub state: Option<String>,
    /// The browser `state` was sent to, by the SHA-256 of its app cookie.
    pub state_browser: Option<[u8; 32]>,
    /// The implicit grant's script has read the fragment.
    pub fragment_read: bool,
    /// A fast lab clock: how far ahead it is, and while it runs fast, since
    /// when and how many seconds pass on it for each real second.
    pub clock: Option<(u64, Option<(Instant, u64)>)>,
    /// A device grant's screen: user code, verification URI and the
    /// complete one, once the device has asked for them.
    pub device: Option<(String, String, String)>,
    /// An OpenID Connect run: the nonce the app sent, to check the ID
    /// token against.
    pub nonce: Option<String>,
    /// What the app learnt from discovery (with the JWKS), in an OpenID
    /// Connect run.
    pub provider: Option<std::sync::Arc<openidconnect::core::CoreProviderMetadata>>,
    /// A learner's own provider, its client and the tokens it gave, in a
    /// provider run.
    pub outside: Option<super::provider::ProviderRun>,
    /// The vulnerable switch is in force: only while the scenario plays.
    armed: bool,
    /// Steps that begin from this sequence number on are not recorded: the
    /// run has finished.
    closed_at: Option<u64>,
}

impl RunState {
    /// Whether `learner`'s browser (its cookie) started this run.
    fn owned_by(&self, learner: Option<&str>) -> bool {
        learner.is_some_and(|l| crate::oauth::util::secrets_equal(l, &self.owner))
    }

    /// Its scenario, while the vulnerable switch is on and the scenario plays.
    fn armed_scenario(&self) -> Option<Scenario> {
        (self.armed && self.record.vulnerable).then_some(self.record.scenario).flatten()
    }
}

impl RunState {
    /// How far the lab clock is ahead of real time, in seconds.
    fn skew_secs(&self) -> u64 {
        let Some((base, running)) = self.clock else { return 0 };
        base + running
            .map(|(since, speed)| (since.elapsed().as_secs_f64() * speed.saturating_sub(1) as f64) as u64)
            .unwrap_or(0)
    }
}

struct Inner {
    by_id: Bounded<RunState>,
    by_client: Bounded<String>,
    /// Each party's runs, oldest first: a learner, or a requester.
    learners: HashMap<String, VecDeque<String>>,
}

impl Inner {
    /// Files run `id` under `party`, whose oldest run goes past `cap`;
    /// says which.
    fn admit(&mut self, party: String, id: String, cap: usize) -> Option<String> {
        let mine = self.learners.entry(party).or_default();
        mine.push_back(id);
        if mine.len() <= cap {
            return None;
        }
        let old = mine.pop_front()?;
        let gone = self.by_id.remove(&Bounded::<RunState>::key(&old));
        if let Some(client) = gone.and_then(|r| r.client) {
            self.by_client.remove(&Bounded::<String>::key(&client.client_id));
        }
        Some(old)
    }
}

pub struct Runs {
    inner: Mutex<Inner>,
    seq: AtomicU64,
    ttl: Duration,
    /// Runs with a fast clock, so that the servers look up a token's run
    /// only while there is one.
    clocks: AtomicUsize,
    /// Runs with JWT access tokens, likewise.
    jwts: AtomicUsize,
    /// Runs of learners' own programs, so that the capture layer looks
    /// for their clients and tokens only while there is one.
    own_apps: AtomicUsize,
    /// Runs changed since the archive last took them (`take_changed`);
    /// kept only when there is an archive to take them.
    changed: Mutex<HashSet<String>>,
    /// Runs crowded out by their party's newer ones, until the archive has
    /// deleted them too (`take_crowded_out`): they are gone, not archived.
    crowded_out: Mutex<HashSet<String>>,
    tracking: std::sync::atomic::AtomicBool,
}

impl Runs {
    pub fn new(cap: usize, ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner {
                by_id: Bounded::new(cap),
                by_client: Bounded::new(cap),
                learners: HashMap::new(),
            }),
            seq: AtomicU64::new(1),
            clocks: AtomicUsize::new(0),
            jwts: AtomicUsize::new(0),
            own_apps: AtomicUsize::new(0),
            changed: Mutex::new(HashSet::new()),
            crowded_out: Mutex::new(HashSet::new()),
            tracking: Default::default(),
        }
    }

    /// From now on, remember which runs change, for an archive.
    pub fn track_changes(&self) {
        self.tracking.store(true, Ordering::Relaxed);
    }

    fn touch(&self, id: &str) {
        if self.tracking.load(Ordering::Relaxed) {
            self.changed.lock().insert(id.to_string());
        }
    }

    /// The runs crowded out since the last call, for the archive to
    /// delete; `is_crowded_out` says yes for them until `deleted`.
    pub fn take_crowded_out(&self) -> Vec<String> {
        self.crowded_out.lock().iter().cloned().collect()
    }

    pub fn is_crowded_out(&self, id: &str) -> bool {
        self.crowded_out.lock().contains(id)
    }

    /// The archive has deleted these runs.
    pub fn deleted(&self, ids: &[String]) {
        let mut crowded = self.crowded_out.lock();
        for id in ids {
            crowded.remove(id);
        }
    }

    /// The records of the runs changed since the last call, for the
    /// archive to write.
    pub fn take_changed(&self) -> Vec<RunRecord> {
        let ids: Vec<String> = self.changed.lock().drain().collect();
        ids.iter().filter_map(|id| self.record(id)).collect()
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A new run for `learner`, started from `requester`; the party's
    /// oldest run goes when it has too many (per learner, then per
    /// requester). `None` when the store is full.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        &self,
        learner: &str,
        requester: &str,
        grant: Grant,
        mode: Mode,
        lifecycle: bool,
        id: String,
        start_url: String,
        scenario: Option<Scenario>,
        vulnerable: bool,
        jwt: bool,
    ) -> Option<()> {
        let mut inner = self.inner.lock();
        let record = RunRecord {
            start_url,
            lifecycle,
            scenario,
            vulnerable: vulnerable && scenario.is_some_and(|s| s.about().switch.is_some()),
            jwt,
            ..RunRecord::new(id.clone(), grant, mode)
        };
        let state = RunState {
            record,
            key: crate::oauth::util::random_token("runkey_"),
            owner: crate::oauth::util::sha256(learner.as_bytes()),
            bytes: 0,
            seqs: vec![],
            client: None,
            pkce_verifier: None,
            state: None,
            state_browser: None,
            fragment_read: false,
            clock: None,
            device: None,
            nonce: None,
            provider: None,
            outside: None,
            armed: vulnerable,
            closed_at: None,
        };
        inner.by_id.insert(Bounded::<RunState>::key(&id), state, Some(Instant::now() + self.ttl)).ok()?;
        if jwt {
            self.jwts.fetch_add(1, Ordering::Relaxed);
        }
        if grant == Grant::OwnApp {
            self.own_apps.fetch_add(1, Ordering::Relaxed);
        }
        let gone = [
            inner.admit(format!("learner:{learner}"), id.clone(), RUNS_PER_LEARNER),
            inner.admit(format!("from:{requester}"), id.clone(), RUNS_PER_REQUESTER),
        ];
        drop(inner);
        if self.tracking.load(Ordering::Relaxed) {
            self.crowded_out.lock().extend(gone.into_iter().flatten());
        }
        self.touch(&id);
        Some(())
    }

    /// The run's key, for the lab's own parties.
    pub fn key(&self, id: &str) -> Option<String> {
        self.with(id, |r| r.key.clone())
    }

    /// Whether a request may write into run `id`: it carries the run's key,
    /// or comes from the browser of the learner whose run it is.
    pub fn writer(&self, id: &str, key: Option<&str>, learner: Option<&str>) -> bool {
        self.with(id, |r| {
            let by_key = key.is_some_and(|k| bool::from(k.as_bytes().ct_eq(r.key.as_bytes())));
            by_key || r.owned_by(learner)
        })
        .unwrap_or(false)
    }

    /// Whether the browser of `learner` started run `id`.
    pub fn is_owner(&self, id: &str, learner: Option<&str>) -> bool {
        self.with(id, |r| r.owned_by(learner)).unwrap_or(false)
    }

    /// Whether any learner's own program is being recorded.
    pub fn has_own_apps(&self) -> bool {
        self.own_apps.load(Ordering::Relaxed) > 0
    }

    /// The run that records the learner's own program whose client is
    /// `client_id`.
    pub fn own_app_of_client(&self, client_id: &str) -> Option<String> {
        if !self.has_own_apps() {
            return None;
        }
        let inner = self.inner.lock();
        let run = inner.by_client.get(&Bounded::<String>::key(client_id))?;
        let own = inner.by_id.get(&Bounded::<RunState>::key(run)).is_some_and(|r| r.record.grant == Grant::OwnApp);
        own.then(|| run.clone())
    }

    pub fn exists(&self, id: &str) -> bool {
        self.inner.lock().by_id.get(&Bounded::<RunState>::key(id)).is_some()
    }

    /// The record, steps in the order they began, artifacts found.
    pub fn record(&self, id: &str) -> Option<RunRecord> {
        let (mut record, seqs) = {
            let inner = self.inner.lock();
            let run = inner.by_id.get(&Bounded::<RunState>::key(id))?;
            (run.record.clone(), run.seqs.clone())
        };
        let mut order: Vec<(u64, crate::run::Step)> = seqs.into_iter().zip(record.steps.drain(..)).collect();
        order.sort_by_key(|(seq, _)| *seq);
        record.steps = order.into_iter().map(|(_, step)| step).collect();
        record.find_artifacts();
        Some(record)
    }

    /// What a view of run `id` depends on, when this process holds it:
    /// cheaper than its record.
    pub fn revision(&self, id: &str) -> Option<super::views::Revision> {
        let inner = self.inner.lock();
        let run = inner.by_id.get(&Bounded::<RunState>::key(id))?;
        Some(super::views::Revision { steps: run.record.steps.len(), status: run.record.status.clone() })
    }

    pub fn with<T>(&self, id: &str, f: impl FnOnce(&mut RunState) -> T) -> Option<T> {
        let mut inner = self.inner.lock();
        inner.by_id.get_mut(&Bounded::<RunState>::key(id)).map(f)
    }

    pub fn set_client(&self, id: &str, client: RunClient) {
        let mut inner = self.inner.lock();
        let client_id = client.client_id.clone();
        if let Some(run) = inner.by_id.get_mut(&Bounded::<RunState>::key(id)) {
            run.client = Some(client);
        }
        let _ =
            inner.by_client.insert(Bounded::<String>::key(&client_id), id.to_string(), Some(Instant::now() + self.ttl));
    }

    pub fn run_of_client(&self, client_id: &str) -> Option<String> {
        self.inner.lock().by_client.get(&Bounded::<String>::key(client_id)).cloned()
    }

    /// The scenario of the run whose app `client_id` is, while its
    /// vulnerable switch is on and the scenario plays: the one defence that
    /// scenario is about is then off for it (`hooks`). Only the lab's own
    /// run clients can be; the servers ask only on the path where a defence
    /// is about to refuse.
    pub fn scenario_armed(&self, client_id: &str) -> Option<Scenario> {
        let inner = self.inner.lock();
        let run = inner.by_client.get(&Bounded::<String>::key(client_id))?;
        inner.by_id.get(&Bounded::<RunState>::key(run)).and_then(RunState::armed_scenario)
    }

    /// The scenario of run `id` while its vulnerable switch is in force:
    /// for the app's own checks, as `scenario_armed` is for the servers'.
    pub fn switch_of(&self, id: &str) -> Option<Scenario> {
        self.with(id, |r| r.armed_scenario()).flatten()
    }

    /// Turns a run's vulnerable switch off for good, once its scenario has
    /// played, so its app is not left weakened for the rest of its life.
    pub fn disarm(&self, id: &str) {
        self.with(id, |r| r.armed = false);
    }

    /// Whether `client_id` is the app of a run that asked for JWT access
    /// tokens.
    pub fn wants_jwt(&self, client_id: &str) -> bool {
        if self.jwts.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let inner = self.inner.lock();
        let Some(run) = inner.by_client.get(&Bounded::<String>::key(client_id)) else { return false };
        inner.by_id.get(&Bounded::<RunState>::key(run)).is_some_and(|r| r.record.jwt)
    }

    /// Runs a run's lab clock `speed` times faster than real time.
    pub fn start_clock(&self, id: &str, speed: u64) {
        let first = self
            .with(id, |r| {
                let base = r.skew_secs();
                r.clock.replace((base, Some((Instant::now(), speed)))).is_none()
            })
            .unwrap_or(false);
        if first {
            self.clocks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Back to real speed, keeping how far ahead the clock got.
    pub fn stop_clock(&self, id: &str) {
        self.with(id, |r| r.clock = Some((r.skew_secs(), None)));
    }

    /// How far ahead of real time the lab clock of `client_id`'s run is, in
    /// seconds: 0 for every client but a fast-clock run's.
    pub fn clock_skew(&self, client_id: &str) -> u64 {
        if self.clocks.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let inner = self.inner.lock();
        let Some(run) = inner.by_client.get(&Bounded::<String>::key(client_id)) else { return 0 };
        inner.by_id.get(&Bounded::<RunState>::key(run)).map(RunState::skew_secs).unwrap_or(0)
    }

    pub fn push(&self, id: &str, seq: u64, step: Step) {
        self.with(id, |run| {
            // A finished run takes no more steps, so nobody can add to a
            // record (or change a verdict) afterwards with the run's id.
            if run.closed_at.is_some_and(|closed| seq >= closed) {
                return;
            }
            let size = step_bytes(&step);
            let (steps, bytes) =
                if run.record.grant.private() { (OWN_APP_STEPS, OWN_APP_BYTES) } else { (MAX_STEPS, RUN_BYTES) };
            if run.record.steps.len() < steps && run.bytes + size <= bytes {
                run.bytes += size;
                run.record.steps.push(step);
                run.seqs.push(seq);
            }
        });
        self.touch(id);
    }

    /// Ends a run: steps already begun are still recorded, later ones not.
    /// A misuse scenario's app finishing does not end the scenario, whose
    /// script goes on; `finish_scenario` does.
    pub fn finish(&self, id: &str, status: RunStatus) {
        self.end(id, status, false);
    }

    pub fn finish_scenario(&self, id: &str, status: RunStatus) {
        self.end(id, status, true);
    }

    fn end(&self, id: &str, status: RunStatus, scenario_done: bool) {
        let next = self.seq.load(Ordering::Relaxed);
        self.with(id, |run| {
            run.record.status = status;
            if scenario_done || run.record.scenario.is_none() {
                run.closed_at.get_or_insert(next);
            }
        });
        self.touch(id);
    }

    pub fn sweep(&self, now: Instant) {
        let mut inner = self.inner.lock();
        let before = inner.by_id.len();
        inner.by_id.sweep(now);
        if inner.by_id.len() < before {
            let clocks = inner.by_id.values_mut().filter(|r| r.clock.is_some()).count();
            self.clocks.store(clocks, Ordering::Relaxed);
            let jwts = inner.by_id.values_mut().filter(|r| r.record.jwt).count();
            self.jwts.store(jwts, Ordering::Relaxed);
            let own = inner.by_id.values_mut().filter(|r| r.record.grant == Grant::OwnApp).count();
            self.own_apps.store(own, Ordering::Relaxed);
        }
        inner.by_client.sweep(now);
        let Inner { by_id, learners, .. } = &mut *inner;
        learners.retain(|_, ids| {
            ids.retain(|id| by_id.get(&Bounded::<RunState>::key(id)).is_some());
            !ids.is_empty()
        });
    }
}

/// What a step holds, roughly in bytes: its label, and its messages'
/// headers and bodies.
fn step_bytes(step: &Step) -> usize {
    let headers = |h: &[(String, String)]| h.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    step.label.len()
        + step.checks.iter().map(|c| c.name.len() + c.expected.len() + c.found.len() + c.why.len()).sum::<usize>()
        + step.exchange.as_ref().map_or(0, |x| {
            x.request.target.len()
                + headers(&x.request.headers)
                + x.request.body.len()
                + headers(&x.response.headers)
                + x.response.body.len()
        })
}
