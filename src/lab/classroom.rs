//! Classroom: a presenter's current view, followed live by students.
//!
//! The server functions `open_class` and `move_class` (in
//! `pages/classroom.rs`) open a class, which gives an id (for the follow
//! link) and a presenter key (a capability kept by the presenter's page),
//! and set its view: a permalink of a grant or comparison page.
//! `GET /lab/classes/{id}/events` is a server-sent event stream of that
//! permalink, now and on each change; no sign-in. Classes are capped and
//! expire.

use super::archive::ClassRow;
use super::Lab;
use crate::oauth::store::Bounded;
use crate::oauth::util::now_secs;
use crate::oauth::util::{random_token, secrets_equal, sha256};
use axum::extract::FromRef;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use parking_lot::Mutex;
use serde_json::json;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub const CLASS_TTL: Duration = Duration::from_secs(4 * 3600);
pub const MAX_CLASSES: usize = 1000;
/// A permalink is a path and query of the lab: short.
const MAX_VIEW: usize = 600;

/// How often an idle event stream gets a comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Class {
    key_hash: [u8; 32],
    owner: String,
    /// The view shown, and how many views this process has shown: the id
    /// of the event that carries it.
    view: watch::Sender<(u64, String)>,
    /// The presenter's number for the view shown: their page sends views
    /// as separate requests, which may arrive out of order.
    seq: std::sync::atomic::AtomicU64,
}

pub struct Classes {
    inner: Mutex<Bounded<Class>>,
    /// Each presenter's classes, by the requester that opened them, oldest
    /// first.
    by_owner: Mutex<std::collections::HashMap<String, std::collections::VecDeque<[u8; 32]>>>,
    /// Classes opened or moved since the archive last took them; kept
    /// only once `restore` has made the classes archived.
    changed: Mutex<Vec<ClassRow>>,
    archived: std::sync::atomic::AtomicBool,
    /// Where each change goes at once, for the other lab processes on a
    /// shared database (`Lab::keep_archived`).
    publish: Mutex<Option<tokio::sync::mpsc::Sender<ClassRow>>>,
}

/// Classes one requester may hold open; past it, its oldest ends.
pub const CLASSES_PER_REQUESTER: usize = 5;

impl Default for Classes {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Bounded::new(MAX_CLASSES)),
            by_owner: Mutex::default(),
            changed: Mutex::default(),
            archived: Default::default(),
            publish: Mutex::default(),
        }
    }
}

impl Classes {
    /// Opens again the classes the archive kept from the last stop, at the
    /// views they showed, until their own end.
    pub fn restore(&self, rows: Vec<ClassRow>) {
        self.archived.store(true, std::sync::atomic::Ordering::Relaxed);
        for row in rows {
            self.apply(row);
        }
    }

    /// From now on, sends each change to `to` as it happens.
    pub fn publish_to(&self, to: tokio::sync::mpsc::Sender<ClassRow>) {
        *self.publish.lock() = Some(to);
    }

    /// Whether class `id` is open in this process.
    pub fn knows(&self, id: &str) -> bool {
        self.inner.lock().get(&Bounded::<Class>::key(id)).is_some()
    }

    /// A class as another lab process (or the last stop) left it: opened
    /// here if it is not, else moved to its view unless this one is newer;
    /// its followers here see the change.
    pub fn apply(&self, row: ClassRow) {
        let now = now_secs();
        let mut inner = self.inner.lock();
        if row.expires_at <= now {
            // A class ended where it was opened (its owner opened too
            // many): it ends here too.
            inner.remove(&row.id_hash);
            return;
        }
        let ends = Instant::now() + Duration::from_secs(row.expires_at - now);
        if let Some(class) = inner.get(&row.id_hash) {
            if row.seq > 0 && class.seq.fetch_max(row.seq, std::sync::atomic::Ordering::Relaxed) >= row.seq {
                return;
            }
            class.view.send_if_modified(|v| {
                let changed = v.1 != row.view;
                if changed {
                    *v = (v.0 + 1, row.view.clone());
                }
                changed
            });
            if let Some(class) = inner.remove(&row.id_hash) {
                let _ = inner.insert(row.id_hash, class, Some(ends));
            }
            return;
        }
        let (view, _) = watch::channel((u64::from(!row.view.is_empty()), row.view));
        let class = Class { key_hash: row.key_hash, owner: row.owner.clone(), view, seq: row.seq.into() };
        let mut by_owner = self.by_owner.lock();
        let mine = by_owner.entry(row.owner).or_default();
        inner.make_way(mine, CLASSES_PER_REQUESTER);
        if inner.insert(row.id_hash, class, Some(ends)).is_ok() {
            mine.push_back(row.id_hash);
        }
    }

    /// The classes opened or moved since the last call, for the archive.
    pub fn take_changed(&self) -> Vec<ClassRow> {
        let rows = std::mem::take(&mut *self.changed.lock());
        // A class's last change only.
        let mut seen = std::collections::HashSet::new();
        let mut last: Vec<ClassRow> = rows.into_iter().rev().filter(|r| seen.insert(r.id_hash)).collect();
        last.reverse();
        last
    }

    /// Class `id` as the database keeps it.
    pub fn row(&self, id: &str) -> Option<ClassRow> {
        let id_hash = Bounded::<Class>::key(id);
        self.inner.lock().get(&id_hash).map(|class| Self::row_of(id_hash, class))
    }

    fn row_of(id_hash: [u8; 32], class: &Class) -> ClassRow {
        ClassRow {
            id_hash,
            key_hash: class.key_hash,
            owner: class.owner.clone(),
            view: class.view.borrow().1.clone(),
            seq: class.seq.load(std::sync::atomic::Ordering::Relaxed),
            expires_at: now_secs() + CLASS_TTL.as_secs(),
        }
    }

    fn changed(&self, id_hash: [u8; 32], class: &Class) {
        if !self.archived.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        self.record(Self::row_of(id_hash, class));
    }

    /// Hands a class's new state to the database: at once on a shared
    /// one, else with the next second's writes.
    fn record(&self, row: ClassRow) {
        match &*self.publish.lock() {
            Some(to) => {
                if to.try_send(row).is_err() {
                    tracing::warn!("class changes are arriving faster than the database takes them; one is not shared");
                }
            }
            None => self.changed.lock().push(row),
        }
    }

    pub fn sweep(&self, now: Instant) {
        let mut inner = self.inner.lock();
        inner.sweep(now);
        self.by_owner.lock().retain(|_, keys| {
            keys.retain(|k| inner.get(k).is_some());
            !keys.is_empty()
        });
    }
}

fn refusal(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why }))).into_response()
}

/// Only the lab's own grant and comparison pages can be presented.
fn is_view(v: &str) -> bool {
    v.len() <= MAX_VIEW
        && (v.starts_with("/grants/") || v.starts_with("/compare") || v.starts_with("/misuse/"))
        && !v.contains(['\n', '\r', '#'])
        && !v.starts_with("//")
}

impl Classes {
    /// A new class opened by `owner` (a `Requester`): its id and the
    /// presenter's key. The owner's oldest class ends past
    /// `CLASSES_PER_REQUESTER`. `None` when full.
    pub fn open(&self, owner: &str) -> Option<(String, String)> {
        let id = random_token("class_");
        let key = random_token("key_");
        let (view, _) = watch::channel((0, String::new()));
        let class = Class { key_hash: sha256(key.as_bytes()), owner: owner.to_string(), view, seq: Default::default() };
        let class_key = Bounded::<Class>::key(&id);
        let mut inner = self.inner.lock();
        let mut by_owner = self.by_owner.lock();
        let mine = by_owner.entry(owner.to_string()).or_default();
        // The owner's oldest classes that make way end in the database
        // too, so no other process opens them again.
        let ending = mine.len().saturating_sub(CLASSES_PER_REQUESTER - 1);
        let ended: Vec<ClassRow> = mine
            .iter()
            .take(ending)
            .filter_map(|k| inner.get(k).map(|c| (k, c)))
            .map(|(k, c)| ClassRow { seq: i64::MAX as u64, expires_at: 0, view: String::new(), ..Self::row_of(*k, c) })
            .collect();
        inner.make_way(mine, CLASSES_PER_REQUESTER);
        inner.insert(class_key, class, Some(Instant::now() + CLASS_TTL)).ok()?;
        mine.push_back(class_key);
        if let Some(class) = inner.get(&class_key) {
            self.changed(class_key, class);
        }
        if self.archived.load(std::sync::atomic::Ordering::Relaxed) {
            for row in ended {
                self.record(row);
            }
        }
        Some((id, key))
    }

    /// Whether `key` is class `id`'s presenter key.
    pub fn is_presenter(&self, id: &str, key: &str) -> bool {
        self.inner.lock().get(&Bounded::<Class>::key(id)).is_some_and(|c| secrets_equal(key, &c.key_hash))
    }

    /// Moves the class to `view`, for the holder of its key.
    /// Shows `view` to the class; `seq` numbers the presenter's views (0:
    /// unnumbered), and one older than the view shown is dropped.
    pub fn set(&self, id: &str, key: &str, view: &str, seq: u64) -> Result<(), (StatusCode, &'static str)> {
        if !is_view(view) {
            return Err((
                StatusCode::BAD_REQUEST,
                "A class shows a grant or comparison page of this lab: give its path and query.",
            ));
        }
        let mut inner = self.inner.lock();
        let class_key = Bounded::<Class>::key(id);
        let class = inner
            .get(&class_key)
            .ok_or((StatusCode::NOT_FOUND, "There is no such class; classes end four hours after their last move."))?;
        if !secrets_equal(key, &class.key_hash) {
            return Err((
                StatusCode::FORBIDDEN,
                "Only the presenter, with the key given when the class opened, can move the class.",
            ));
        }
        if seq > 0 && class.seq.fetch_max(seq, std::sync::atomic::Ordering::Relaxed) >= seq {
            return Ok(());
        }
        class.view.send_modify(|v| *v = (v.0 + 1, view.to_string()));
        self.changed(class_key, class);
        // A class lasts four hours after its last move.
        if let Some(class) = inner.remove(&class_key) {
            let _ = inner.insert(class_key, class, Some(Instant::now() + CLASS_TTL));
        }
        Ok(())
    }
}

async fn events(State(s): State<Arc<Lab>>, Path(id): Path<String>) -> Response {
    s.find_class(&id).await;
    let rx = match s.classes.inner.lock().get(&Bounded::<Class>::key(&id)) {
        Some(class) => class.view.subscribe(),
        None => {
            return refusal(
                StatusCode::NOT_FOUND,
                "There is no such class; classes end four hours after their last move.",
            )
        }
    };
    // The view now (once the presenter has shown one), then each change;
    // the stream ends when the class does. Each event has an id; a
    // follower that reconnects with Last-Event-ID (EventSource does so by
    // itself) gets the current view at once, whatever it missed.
    let stream = futures_util::stream::unfold((rx, true), |(mut rx, mut first)| async move {
        loop {
            if !first {
                rx.changed().await.ok()?;
            }
            first = false;
            let (n, view) = rx.borrow_and_update().clone();
            if !view.is_empty() {
                let event = Event::default().event("view").id(n.to_string()).data(view);
                return Some((Ok::<_, Infallible>(event), (rx, false)));
            }
        }
    });
    // A comment every 15 s, so that mobile networks and proxies keep an
    // idle stream open.
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response()
}

/// The follow link as a QR code, so a class can scan it off the projector.
async fn qr(State(s): State<Arc<Lab>>, Path(id): Path<String>) -> Response {
    if s.classes.inner.lock().get(&Bounded::<Class>::key(&id)).is_none() {
        return refusal(StatusCode::NOT_FOUND, "There is no such class; classes end four hours after their last move.");
    }
    match follow_qr_svg(&s.settings.url(&format!("/follow/{id}"))) {
        Some(svg) => ([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
        None => refusal(StatusCode::BAD_REQUEST, "This follow link is too long for a QR code."),
    }
}

/// A QR code (error correction M) of `link`, as SVG.
pub fn follow_qr_svg(link: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build())
}

pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/lab/classes/{id}/events", get(events)).route("/lab/classes/{id}/qr.svg", get(qr))
}
