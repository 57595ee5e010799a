//! Everything that makes the servers a lab: runs and the capture layer
//! that records them, the lab's user agent and the apps each run plays,
//! the misuse scenarios, exports, the classroom and the demo web app. The
//! lab reaches into the servers only through their `Hooks` (`hooks.rs`).

pub mod agent;
pub mod app;
pub mod archive;
pub mod binding;
pub mod capture;
pub mod classroom;
pub mod demo_app;
pub mod export;
pub mod fixtures;
pub mod hooks;
pub mod misuse;
pub mod outbound;
pub mod own_app;
pub mod provider;
pub mod records;
pub mod replay;
pub mod runs;
pub mod tags;
pub mod views;
pub mod wire;

use crate::oauth::AuthServer;
use crate::run::RunRecord;
use axum::extract::FromRef;
use axum::Router;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The lab's settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The public base URL, without a trailing slash: the base of the run
    /// apps' redirect URIs.
    pub public_url: String,
    /// Where the lab's own parties reach the servers, over loopback.
    pub internal_url: String,
    /// The largest request body the capture layer reads.
    pub max_body_bytes: usize,
    /// Recorded runs, all learners together, and how long each is kept.
    pub max_runs: usize,
    pub run_ttl: Duration,
    /// The demo web app's grants in flight.
    pub max_pending: usize,
    /// The lab's client may call a learner's own provider on a private or
    /// loopback address (`outbound`).
    pub outbound_private: bool,
}

impl Settings {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// The lab's state, over the authorization server it drives.
pub struct Lab {
    pub settings: Settings,
    pub runs: Arc<runs::Runs>,
    /// The server the runs play against: the capture layer reads its
    /// pending sign-ins and device grants to file a request under its run.
    pub auth: Arc<AuthServer>,
    pub demo_app: demo_app::DemoApp,
    pub classes: classroom::Classes,
    /// The lab's own HTTP client (its apps and its autoplay browser): no
    /// automatic redirects, as RFC 6749 §10.6 wants of clients.
    pub http: reqwest::Client,
    /// Where runs are kept once they leave memory; none with
    /// `--database memory`.
    pub archive: Option<Arc<archive::Archive>>,
    /// Runs' views as the pages show them, rendered once per change.
    pub views: views::Views,
}

impl Lab {
    /// The run store, made first: the servers ask it as their `Hooks`.
    pub fn runs(settings: &Settings) -> Arc<runs::Runs> {
        Arc::new(runs::Runs::new(settings.max_runs, settings.run_ttl))
    }

    pub fn new(
        settings: Settings,
        runs: Arc<runs::Runs>,
        auth: Arc<AuthServer>,
        archive: Option<Arc<archive::Archive>>,
    ) -> Arc<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let classes = classroom::Classes::default();
        if let Some(archive) = &archive {
            runs.track_changes();
            classes.restore(archive.take_restored_classes());
        }
        Arc::new(Self {
            demo_app: demo_app::DemoApp::new(settings.max_pending),
            classes,
            settings,
            runs,
            auth,
            http,
            archive,
            views: views::Views::default(),
        })
    }

    /// Opens a class for `owner`: its id and the presenter's key. On a
    /// shared database it is written before the answer, so a follower who
    /// reaches another lab process at once finds it.
    pub async fn open_class(&self, owner: &str) -> Option<(String, String)> {
        let (id, key) = self.classes.open(owner)?;
        if let (Some(archive), Some(row)) = (self.archive.as_ref().filter(|a| a.shared()), self.classes.row(&id)) {
            if let Err(e) = archive.save_classes(&[row]).await {
                tracing::warn!(error = %e, "a class was not written");
            }
        }
        Some((id, key))
    }

    /// On a shared database, writes the runs a class's new view names
    /// (`run=…` or `runs=…`) before the class moves, so that its followers
    /// on the other lab processes find them at once rather than after the
    /// next second's writes.
    pub async fn share_runs_of(&self, view: &str) {
        let Some(archive) = self.archive.as_ref().filter(|a| a.shared()) else { return };
        let Some((_, query)) = view.split_once('?') else { return };
        let records: Vec<RunRecord> = crate::run::parse_form(query)
            .into_iter()
            .filter(|(k, _)| k == "run" || k == "runs")
            .flat_map(|(_, v)| v.split(',').take(4).map(str::to_string).collect::<Vec<_>>())
            .filter_map(|id| self.runs.record(&id))
            .collect();
        if records.is_empty() {
            return;
        }
        if let Err(e) = archive.save(&records).await {
            tracing::warn!(error = %e, "the runs a class shows were not written");
        }
    }

    /// Makes class `id` known here if the database has it open: a class
    /// opened by another lab process on a shared database, or one this
    /// process has not heard of yet.
    pub async fn find_class(&self, id: &str) {
        let Some(archive) = &self.archive else { return };
        if self.classes.knows(id) {
            return;
        }
        if let Some(row) = archive.load_class(&crate::oauth::util::sha256(id.as_bytes())).await {
            self.classes.apply(row);
        }
    }

    /// Whether the request with `headers` may read the secrets of run `id`
    /// when it is a learner's own program's: its client's secret and its
    /// tokens are live credentials, so only the browser that registered
    /// the client reads them, and once this process no longer holds the
    /// run, nobody does. Any other run's record shows its tokens on
    /// purpose.
    pub fn reads_secrets_of(&self, id: &str, headers: &axum::http::HeaderMap) -> bool {
        let learner = crate::oauth::util::cookie(headers, tags::LEARNER_COOKIE);
        self.runs.is_owner(id, learner.as_deref())
    }

    /// A run's record, for the request with `headers`: `None` when there is
    /// none, `Some(Err(()))` when it is a learner's own program's and the
    /// request is not from its learner (`reads_secrets_of`).
    pub async fn record_for(&self, id: &str, headers: &axum::http::HeaderMap) -> Option<Result<RunRecord, ()>> {
        let record = self.record(id).await?;
        if record.grant.private() && !self.reads_secrets_of(id, headers) {
            return Some(Err(()));
        }
        Some(Ok(record))
    }

    /// A run's record: the live one, else the archive's.
    pub async fn record(&self, id: &str) -> Option<RunRecord> {
        if let Some(record) = self.runs.record(id) {
            return Some(record);
        }
        if self.runs.is_crowded_out(id) {
            return None;
        }
        self.archive.as_ref()?.load(id).await
    }

    /// Writes the runs that changed to the archive, every second, and
    /// sweeps it every minute, for as long as the lab lives.
    pub fn keep_archived(self: &Arc<Self>) {
        let Some(archive) = self.archive.clone() else { return };
        if archive.shared() {
            self.share_classes(archive.clone());
        }
        let lab = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            for n in 0u64.. {
                tick.tick().await;
                let Some(lab) = lab.upgrade() else { return };
                let changed = lab.runs.take_changed();
                if !changed.is_empty() {
                    if let Err(e) = archive.save(&changed).await {
                        tracing::warn!(error = %e, "runs not archived");
                    }
                }
                let crowded = lab.runs.take_crowded_out();
                if !crowded.is_empty() {
                    match archive.delete(&crowded).await {
                        Ok(()) => lab.runs.deleted(&crowded),
                        Err(e) => tracing::warn!(error = %e, "crowded-out runs not deleted"),
                    }
                }
                let classes = lab.classes.take_changed();
                if !classes.is_empty() {
                    if let Err(e) = archive.save_classes(&classes).await {
                        tracing::warn!(error = %e, "classes not archived");
                    }
                }
                if n % 5 == 0 && archive.shared() {
                    if let Err(e) = archive.heartbeat().await {
                        tracing::warn!(error = %e, "no heartbeat written");
                    }
                }
                if n % 60 == 0 {
                    if let Err(e) = archive.sweep().await {
                        tracing::warn!(error = %e, "archive not swept");
                    }
                    // A replica that died mid-run: its runs, once it is
                    // gone.
                    if archive.shared() {
                        if let Err(e) = archive.mark_interrupted().await {
                            tracing::warn!(error = %e, "runs of a gone replica not marked");
                        }
                    }
                }
            }
        });
    }

    /// On a database that several lab processes share, each class change
    /// is written and announced at once, and the changes the others
    /// announce are applied here, so a presenter on one process and their
    /// followers on another stay in step.
    fn share_classes(self: &Arc<Self>, archive: Arc<archive::Archive>) {
        let me = crate::oauth::util::random_token("lab_");
        let (to, mut changes) = tokio::sync::mpsc::channel(1024);
        self.classes.publish_to(to);
        let from = me.clone();
        let publisher = archive.clone();
        tokio::spawn(async move {
            while let Some(row) = changes.recv().await {
                if let Err(e) = publisher.publish_class(&from, &row).await {
                    tracing::warn!(error = %e, "a class change was not shared");
                }
            }
        });
        let lab = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let heard = archive
                    .listen_classes(|from, row| {
                        if let (Some(lab), true) = (lab.upgrade(), from != me) {
                            lab.classes.apply(row);
                        }
                    })
                    .await;
                if lab.upgrade().is_none() {
                    return;
                }
                if let Err(e) = heard {
                    tracing::warn!(error = %e, "not listening for class changes; trying again");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }

    /// Removes what has expired.
    pub fn sweep(&self, now: Instant) {
        self.demo_app.sweep(now);
        self.runs.sweep(now);
        self.classes.sweep(now);
    }
}

/// The lab's routes: the demo web app, each run's app, records and
/// exports, and the classroom's event streams.
pub fn routes<S>() -> Router<S>
where
    Arc<Lab>: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .merge(demo_app::routes())
        .merge(app::routes())
        .merge(records::routes())
        .merge(views::routes())
        .merge(classroom::routes())
}
