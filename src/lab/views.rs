//! A run as the pages show it (`pages::render::run_view`), served from
//! `GET /lab/runs/{id}/view?mask=…&bare=…` as JSON, rendered once per
//! change of the run, however many pages ask.
//!
//! A class's followers all fetch the run the presenter shows, within the
//! same second. Each variant (masked or not, with the inspector or bare)
//! is rendered once, compressed once and kept with a weak ETag, so that a
//! follower who has it already gets a 304 and the others get the same
//! bytes. A recorded step or a new status is a change: the next request
//! renders again, once, while the others wait for that one rendering.
//!
//! A run this process holds is compared with its live record, which is
//! cheap to read; one kept only in the database (another replica's, or an
//! older one) is read again at most once a second, the pace at which the
//! replicas write their runs.

use super::Lab;
use crate::run::{RunRecord, RunStatus};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::io::Write;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Variants held, all runs together, and the bytes they may hold.
const MAX_VIEWS: usize = 512;
const MAX_VIEW_BYTES: usize = 48 * 1024 * 1024;
/// How long a view of a run read from the database is served before the
/// database is asked again.
const ARCHIVE_RECHECK: Duration = Duration::from_secs(1);

/// What a record's view depends on that can change: steps are only ever
/// added, and the status set (`Runs::push`, `Runs::finish`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Revision {
    pub steps: usize,
    pub status: RunStatus,
}

impl Revision {
    pub fn of(record: &RunRecord) -> Self {
        Self { steps: record.steps.len(), status: record.status.clone() }
    }
}

/// One rendered variant of a run.
pub struct Rendered {
    pub revision: Revision,
    pub etag: HeaderValue,
    pub json: Bytes,
    pub gzip: Bytes,
    pub masked: bool,
    /// A learner's own program's run, whose secrets only its learner sees.
    pub private: bool,
}

struct Held {
    rendered: Arc<Rendered>,
    /// The record came from the database, and when it was read.
    read_from_archive: Option<Instant>,
}

#[derive(Default)]
struct Slot {
    held: parking_lot::Mutex<Option<Held>>,
    /// Held while one request renders, so that the others wait for it
    /// rather than render too.
    filling: tokio::sync::Mutex<()>,
}

impl Slot {
    /// The view held, when it still shows the run as it stands: `live` is
    /// the run's revision when this process holds it.
    fn current(&self, live: Option<&Revision>) -> Option<Arc<Rendered>> {
        let held = self.held.lock();
        let held = held.as_ref()?;
        let fresh = match (live, held.read_from_archive) {
            (Some(live), _) => *live == held.rendered.revision,
            (None, Some(read)) => read.elapsed() < ARCHIVE_RECHECK,
            // Rendered from memory, and the run has left it: ask again.
            (None, None) => false,
        };
        fresh.then(|| held.rendered.clone())
    }
}

struct Cache {
    slots: lru::LruCache<(String, bool, bool), Arc<Slot>>,
    bytes: usize,
}

impl Cache {
    /// A slot that has left the cache: its view's bytes no longer count.
    fn release(&mut self, old: &Slot) {
        let freed = old.held.lock().take().map_or(0, |h| size(&h.rendered));
        self.bytes = self.bytes.saturating_sub(freed);
    }

    /// Whether `slot` is still the one kept for `key`: one that has made
    /// way for others keeps nothing.
    fn holds(&self, key: &(String, bool, bool), slot: &Arc<Slot>) -> bool {
        self.slots.peek(key).is_some_and(|s| Arc::ptr_eq(s, slot))
    }
}

pub struct Views {
    cache: parking_lot::Mutex<Cache>,
    /// Renderings done, for tests and the benchmark.
    renders: std::sync::atomic::AtomicU64,
}

impl Default for Views {
    fn default() -> Self {
        Self {
            cache: parking_lot::Mutex::new(Cache {
                slots: lru::LruCache::new(NonZeroUsize::new(MAX_VIEWS).unwrap_or(NonZeroUsize::MIN)),
                bytes: 0,
            }),
            renders: Default::default(),
        }
    }
}

fn size(r: &Rendered) -> usize {
    r.json.len() + r.gzip.len()
}

impl Views {
    pub fn renders(&self) -> u64 {
        self.renders.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn slot(&self, key: &(String, bool, bool)) -> Arc<Slot> {
        let mut cache = self.cache.lock();
        if let Some(slot) = cache.slots.get(key) {
            return slot.clone();
        }
        let slot = Arc::new(Slot::default());
        if let Some((_, old)) = cache.slots.push(key.clone(), slot.clone()) {
            cache.release(&old);
        }
        slot
    }

    /// Keeps `rendered` in `slot`, within the byte cap: the least recently
    /// asked-for views make way.
    fn keep(&self, key: &(String, bool, bool), slot: &Arc<Slot>, held: Option<Held>) {
        let mut cache = self.cache.lock();
        if !cache.holds(key, slot) {
            return;
        }
        let added = held.as_ref().map_or(0, |h| size(&h.rendered));
        let removed = std::mem::replace(&mut *slot.held.lock(), held).map_or(0, |h| size(&h.rendered));
        cache.bytes = (cache.bytes + added).saturating_sub(removed);
        while cache.bytes > MAX_VIEW_BYTES {
            let Some((_, old)) = cache.slots.pop_lru() else { break };
            cache.release(&old);
        }
    }

    /// A run the lab does not have: its slot goes, so that asking for
    /// unknown ids takes no room from the views of real runs.
    fn forget(&self, key: &(String, bool, bool), slot: &Arc<Slot>) {
        let mut cache = self.cache.lock();
        if !cache.holds(key, slot) {
            return;
        }
        if let Some(old) = cache.slots.pop(key) {
            cache.release(&old);
        }
    }

    /// Run `id`'s view, rendered at most once per change; `None` when the
    /// lab does not have the run.
    pub async fn view(&self, lab: &Lab, id: &str, mask: bool, inspect: bool) -> Option<Arc<Rendered>> {
        let key = (id.to_string(), mask, inspect);
        let slot = self.slot(&key);
        if let Some(r) = slot.current(lab.runs.revision(id).as_ref()) {
            return Some(r);
        }
        let _filling = slot.filling.lock().await;
        // Another request may have rendered it while this one waited.
        if let Some(r) = slot.current(lab.runs.revision(id).as_ref()) {
            return Some(r);
        }
        let live = lab.runs.record(id);
        let from_archive = live.is_none();
        let Some(record) = (match live {
            Some(r) => Some(r),
            None => lab.record(id).await,
        }) else {
            self.forget(&key, &slot);
            return None;
        };
        let revision = Revision::of(&record);
        let read_from_archive = from_archive.then(Instant::now);
        // The same run as the one held, read again from the database.
        let unchanged = slot.held.lock().as_ref().map(|h| h.rendered.clone()).filter(|r| r.revision == revision);
        let rendered = match unchanged {
            Some(r) => r,
            None => {
                self.renders.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Arc::new(render(&record, revision, mask, inspect))
            }
        };
        self.keep(&key, &slot, Some(Held { rendered: rendered.clone(), read_from_archive }));
        Some(rendered)
    }
}

fn render(record: &RunRecord, revision: Revision, mask: bool, inspect: bool) -> Rendered {
    let view = crate::pages::render::run_view(record, mask, inspect);
    let json = serde_json::to_vec(&view).unwrap_or_default();
    let digest = crate::oauth::util::sha256(&json);
    let etag = format!("W/\"{}\"", digest[..12].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 4), flate2::Compression::new(6));
    let gzip = gz.write_all(&json).and_then(|_| gz.finish()).unwrap_or_default();
    Rendered {
        revision,
        etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("W/\"0\"")),
        json: json.into(),
        gzip: gzip.into(),
        masked: mask,
        private: record.grant.private(),
    }
}

#[derive(serde::Deserialize)]
struct ViewQuery {
    #[serde(default)]
    mask: bool,
    #[serde(default)]
    bare: bool,
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2).
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or("").trim_start_matches("W/");
    headers.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t.trim_start_matches("W/") == ours
    })
}

/// Whether the client takes gzip (`Accept-Encoding`, RFC 9110 §12.5.3).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |t| {
            let mut parts = t.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let q = parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok());
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q.is_none_or(|q| q > 0.0)
        },
    )
}

async fn view(
    State(s): State<Arc<Lab>>,
    Path(id): Path<String>,
    query: Result<Query<ViewQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Query(q)) = query else {
        return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": "mask and bare are true or false."})))
            .into_response();
    };
    let Some(mut r) = s.views.view(&s, &id, q.mask, !q.bare).await else {
        return super::records::no_run();
    };
    if r.private && !r.masked && !s.reads_secrets_of(&id, &headers) {
        let Some(masked) = s.views.view(&s, &id, true, !q.bare).await else {
            return super::records::no_run();
        };
        r = masked;
    }
    // An unmasked view shows the run's tokens and passwords: kept by the
    // browser only, and asked again each time (answered with a 304).
    let cache = if r.masked { "no-cache" } else { "private, no-cache" };
    let mut res = if matches(&headers, &r.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if takes_gzip(&headers) {
        let mut res = r.gzip.clone().into_response();
        res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        r.json.clone().into_response()
    };
    let ok = res.status() == StatusCode::OK;
    let h = res.headers_mut();
    if ok {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    h.insert(header::ETAG, r.etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/lab/runs/{id}/view", get(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_run_leaves_no_slot_behind() {
        let views = Views::default();
        let key = ("run_unknown".to_string(), false, false);
        let slot = views.slot(&key);
        assert_eq!(views.cache.lock().slots.len(), 1);
        // A slot that has already made way for another is left alone.
        views.forget(&key, &Arc::new(Slot::default()));
        assert_eq!(views.cache.lock().slots.len(), 1);
        views.forget(&key, &slot);
        assert_eq!(views.cache.lock().slots.len(), 0);
        assert_eq!(views.cache.lock().bytes, 0);
    }
}
