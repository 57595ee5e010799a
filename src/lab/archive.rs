//! The run archive: recorded runs kept in an embedded SQLite database after
//! they leave memory, so that a permalink shared the night before, or a run
//! recorded before a restart, still opens. The run store (`runs.rs`) holds
//! live runs; every second the runs that changed are written here, and a
//! run that is not in memory is read from here. A run found still
//! recording when the lab starts was cut off by a restart: it is marked
//! interrupted, with what it recorded.

use crate::run::{RunRecord, RunStatus};
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// What the archive keeps: how long, and how much in all.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub keep: Duration,
    /// Rows at most; past it the oldest go.
    pub max_runs: u64,
    /// Bytes of records at most; past it the oldest go.
    pub max_bytes: u64,
}

pub struct Archive {
    pool: AnyPool,
    /// The database's URL, for PostgreSQL's LISTEN (`listen_classes`).
    url: String,
    /// This process, as the runs it records and its heartbeat name it.
    process: String,
    limits: Limits,
    /// The classes that were open at the last stop, read at start, until
    /// the lab takes them (`take_restored_classes`).
    restored: parking_lot::Mutex<Vec<ClassRow>>,
}

/// A class as the archive keeps it: by the SHA-256 of its id and of its
/// presenter's key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassRow {
    pub id_hash: [u8; 32],
    pub key_hash: [u8; 32],
    pub owner: String,
    pub view: String,
    pub seq: u64,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn class_row((id, key, owner, view, seq, expires): (String, String, String, String, i64, i64)) -> Option<ClassRow> {
    Some(ClassRow {
        id_hash: unhex(&id)?,
        key_hash: unhex(&key)?,
        owner,
        view,
        seq: u64::try_from(seq).ok()?,
        expires_at: u64::try_from(expires).ok()?,
    })
}

fn status(record: &RunRecord) -> &'static str {
    match record.status {
        RunStatus::Waiting => "waiting",
        RunStatus::Done => "done",
        RunStatus::Failed(_) => "failed",
    }
}

/// A lab process not seen for this long is gone (`heartbeat`).
pub const GONE_AFTER: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0),
    )
    .unwrap_or(i64::MAX)
}

fn now_secs() -> i64 {
    i64::try_from(crate::oauth::util::now_secs()).unwrap_or(i64::MAX)
}

impl Archive {
    /// Opens the database at `url` and brings its schema up to date: a
    /// `sqlite:` file (made, with its directory, on first start) or a
    /// `postgres://` database that several lab processes may share.
    pub async fn open(url: &str, limits: Limits) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let pool = if sqlite {
            // Write-ahead logging, kept in the file: readers do not wait
            // for the writer. A killed process loses nothing committed; a
            // power cut loses at most the writes since the last
            // checkpoint's sync, never the file.
            let options =
                SqliteConnectOptions::from_str(url)?.create_if_missing(true).journal_mode(SqliteJournalMode::Wal);
            if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
            options.connect().await?.close().await?;
            // One connection: SQLite takes one writer at a time, and
            // writers on several connections would wait for each other in
            // its busy handler, which sleeps in milliseconds. The connection
            // is in this process and cannot be lost, so it is not pinged
            // before each use (a round trip to SQLite's thread per query).
            // A checkpoint, which copies the log back into the file and
            // syncs both, comes every 8,000 pages of log (32 MB) rather
            // than SQLite's 1,000: the token endpoint writes about two
            // pages a token, and the batch whose commit checkpoints waits
            // for the syncs. The log is cut back to 32 MB after each.
            AnyPoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
                             PRAGMA wal_autocheckpoint = 8000; PRAGMA journal_size_limit = 33554432",
                        )
                        .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?
        } else {
            AnyPoolOptions::new().max_connections(16).connect(url).await?
        };
        if sqlite { &SQLITE } else { &POSTGRES }.run(&pool).await?;
        let process = crate::oauth::util::random_token("lab_");
        let archive = Self { pool, url: url.to_string(), process, limits, restored: Default::default() };
        archive.heartbeat().await?;
        archive.share_signing_key().await?;
        *archive.restored.lock() = archive.load_classes().await?;
        Ok(archive)
    }

    /// Signs JWT access tokens with the database's key, made by the first
    /// process to ask: every replica verifies every other's tokens, and
    /// they stay valid across a restart.
    async fn share_signing_key(&self) -> Result<(), sqlx::Error> {
        let stored = || async {
            sqlx::query_as::<_, (Vec<u8>,)>("SELECT der FROM signing_keys WHERE name = 'jwt'")
                .fetch_optional(&self.pool)
                .await
        };
        let der = match stored().await? {
            Some((der,)) => der,
            None => {
                let Some(new) = crate::oauth::jwt::new_key() else { return Ok(()) };
                sqlx::query("INSERT INTO signing_keys (name, der) VALUES ('jwt', $1) ON CONFLICT (name) DO NOTHING")
                    .bind(new)
                    .execute(&self.pool)
                    .await?;
                // Another process may have won the race: its key, then.
                stored().await?.map(|(der,)| der).unwrap_or_default()
            }
        };
        if !crate::oauth::jwt::install(&der) {
            tracing::warn!("the database's JWT signing key was not installed; this process signs with its own");
        }
        Ok(())
    }

    /// Says this process is alive, for the others on a shared database
    /// (`mark_interrupted`); forgets processes not seen for an hour.
    pub async fn heartbeat(&self) -> Result<(), sqlx::Error> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO processes (id, seen_ms) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seen_ms = excluded.seen_ms",
        )
        .bind(&self.process)
        .bind(now)
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM processes WHERE seen_ms < $1").bind(now - 3_600_000).execute(&self.pool).await?;
        Ok(())
    }

    /// Whether this is a PostgreSQL database, which several lab processes
    /// may share: then classes cross between them (`publish_class`).
    pub fn shared(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// Writes a class's change and tells every lab process listening on
    /// this database (PostgreSQL's NOTIFY, on the `lab_classes` channel),
    /// as `from`.
    pub async fn publish_class(&self, from: &str, row: &ClassRow) -> Result<(), sqlx::Error> {
        self.save_classes(std::slice::from_ref(row)).await?;
        let payload = serde_json::to_string(&(from, row)).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query("SELECT pg_notify('lab_classes', $1)").bind(payload).execute(&self.pool).await?;
        Ok(())
    }

    /// The classes other lab processes publish, as (sender, class), until
    /// the connection fails.
    pub async fn listen_classes(&self, mut each: impl FnMut(String, ClassRow)) -> Result<(), sqlx::Error> {
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen("lab_classes").await?;
        loop {
            let note = listener.recv().await?;
            if let Ok((from, row)) = serde_json::from_str::<(String, ClassRow)>(note.payload()) {
                each(from, row);
            }
        }
    }

    /// The class with id hash `id_hash`, if it is open.
    pub async fn load_class(&self, id_hash: &[u8; 32]) -> Option<ClassRow> {
        let row: (String, String, String, String, i64, i64) = sqlx::query_as(
            "SELECT id_hash, key_hash, owner, view, seq, expires_at FROM classes WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(hex(id_hash))
        .bind(now_secs())
        .fetch_optional(&self.pool)
        .await
        .ok()??;
        class_row(row)
    }

    /// The pool, for the authorization server's stores (`store::sql`).
    pub fn pool(&self) -> AnyPool {
        self.pool.clone()
    }

    /// The classes open at the last stop, once.
    pub fn take_restored_classes(&self) -> Vec<ClassRow> {
        std::mem::take(&mut *self.restored.lock())
    }

    async fn load_classes(&self) -> Result<Vec<ClassRow>, sqlx::Error> {
        let rows: Vec<(String, String, String, String, i64, i64)> =
            sqlx::query_as("SELECT id_hash, key_hash, owner, view, seq, expires_at FROM classes WHERE expires_at > $1")
                .bind(now_secs())
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().filter_map(class_row).collect())
    }

    /// Writes the classes as they are now.
    pub async fn save_classes(&self, classes: &[ClassRow]) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for c in classes {
            sqlx::query(
                "INSERT INTO classes (id_hash, key_hash, owner, view, seq, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (id_hash) DO UPDATE SET view = excluded.view, seq = excluded.seq,
                 expires_at = excluded.expires_at
                 WHERE excluded.seq = 0 OR excluded.seq >= classes.seq",
            )
            .bind(hex(&c.id_hash))
            .bind(hex(&c.key_hash))
            .bind(&c.owner)
            .bind(&c.view)
            .bind(i64::try_from(c.seq).unwrap_or(i64::MAX))
            .bind(i64::try_from(c.expires_at).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Writes the runs as they are now.
    pub async fn save(&self, records: &[RunRecord]) -> Result<(), sqlx::Error> {
        let now = now_secs();
        let expires = now.saturating_add(i64::try_from(self.limits.keep.as_secs()).unwrap_or(i64::MAX));
        let mut tx = self.pool.begin().await?;
        for record in records {
            let json = serde_json::to_string(record).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            sqlx::query(
                "INSERT INTO runs (id, record, status, bytes, updated_at, expires_at, process) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET record = excluded.record, status = excluded.status,
                 bytes = excluded.bytes, updated_at = excluded.updated_at, expires_at = excluded.expires_at,
                 process = excluded.process",
            )
            .bind(&record.id)
            .bind(&json)
            .bind(status(record))
            .bind(i64::try_from(json.len()).unwrap_or(i64::MAX))
            .bind(now)
            .bind(expires)
            .bind(&self.process)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// Deletes runs.
    pub async fn delete(&self, ids: &[String]) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        for id in ids {
            sqlx::query("DELETE FROM runs WHERE id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// The run, if the archive still keeps it.
    pub async fn load(&self, id: &str) -> Option<RunRecord> {
        let row = sqlx::query("SELECT record FROM runs WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now_secs())
            .fetch_optional(&self.pool)
            .await
            .ok()??;
        serde_json::from_str(row.get::<String, _>(0).as_str()).ok()
    }

    /// Marks the runs that were still recording when their lab process
    /// stopped as interrupted, keeping what they recorded; says how many.
    /// In a SQLite file, which one process uses, that is every run still
    /// recording at start; on a shared database, those of processes not
    /// seen for `GONE_AFTER`.
    pub async fn mark_interrupted(&self) -> Result<usize, sqlx::Error> {
        let rows = if self.shared() {
            sqlx::query(
                "SELECT record FROM runs WHERE status = 'waiting' AND process <> $1 AND process NOT IN (SELECT id FROM processes WHERE seen_ms > $2)",
            )
            .bind(&self.process)
            .bind(now_ms() - GONE_AFTER.as_millis() as i64)
            .fetch_all(&self.pool)
            .await?
        } else {
            sqlx::query("SELECT record FROM runs WHERE status = 'waiting'").fetch_all(&self.pool).await?
        };
        let mut cut: Vec<RunRecord> = rows
            .iter()
            .filter_map(|row| serde_json::from_str::<RunRecord>(row.get::<String, _>(0).as_str()).ok())
            .collect();
        for record in &mut cut {
            record.status = RunStatus::Failed(
                "interrupted: the lab restarted while this run was recording; these are the steps it had recorded"
                    .into(),
            );
        }
        self.save(&cut).await?;
        Ok(cut.len())
    }

    /// Deletes expired runs, then the oldest past the caps in rows and
    /// bytes.
    pub async fn sweep(&self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM runs WHERE expires_at <= $1").bind(now_secs()).execute(&self.pool).await?;
        sqlx::query("DELETE FROM classes WHERE expires_at <= $1").bind(now_secs()).execute(&self.pool).await?;
        let (rows, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM runs")
                .fetch_one(&self.pool)
                .await?;
        let (rows, bytes) = (rows.max(0) as u64, bytes.max(0) as u64);
        if rows <= self.limits.max_runs && bytes <= self.limits.max_bytes {
            return Ok(());
        }
        // Past a cap: the oldest tenth goes, or what is over the row cap
        // if that is more.
        let over = rows.saturating_sub(self.limits.max_runs).max(rows / 10).max(1);
        sqlx::query("DELETE FROM runs WHERE id IN (SELECT id FROM runs ORDER BY updated_at LIMIT $1)")
            .bind(i64::try_from(over).unwrap_or(i64::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Rows and bytes held, for the figures in docs/PERFORMANCE.md.
    pub async fn usage(&self) -> Result<(u64, u64), sqlx::Error> {
        let (rows, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM runs")
                .fetch_one(&self.pool)
                .await?;
        Ok((rows.max(0) as u64, bytes.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Grant, Mode};

    fn run(id: &str, status: RunStatus) -> RunRecord {
        RunRecord { status, ..RunRecord::new(id, Grant::ClientCredentials, Mode::Autoplay) }
    }

    async fn open(name: &str, limits: Limits) -> (Archive, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!("oauth2-lab-archive-{}-{name}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        (Archive::open(&format!("sqlite:{}", path.display()), limits).await.unwrap(), path)
    }

    #[tokio::test]
    async fn keeps_runs_within_their_lifetime_and_caps() {
        let limits = Limits { keep: Duration::from_secs(3600), max_runs: 5, max_bytes: 1 << 30 };
        let (archive, path) = open("caps", limits).await;
        let runs: Vec<RunRecord> = (0..10).map(|i| run(&format!("run_{i}"), RunStatus::Done)).collect();
        archive.save(&runs).await.unwrap();
        assert_eq!(archive.load("run_3").await.map(|r| r.id), Some("run_3".to_string()));
        assert_eq!(archive.usage().await.unwrap().0, 10);
        archive.sweep().await.unwrap();
        assert_eq!(archive.usage().await.unwrap().0, 5, "past the row cap, the oldest go");
        // Past the byte cap too.
        let small = Archive {
            pool: archive.pool.clone(),
            url: archive.url.clone(),
            process: archive.process.clone(),
            limits: Limits { max_bytes: 1, ..limits },
            restored: Default::default(),
        };
        small.sweep().await.unwrap();
        assert!(archive.usage().await.unwrap().0 < 5);
        // A run still recording at a restart is marked interrupted.
        archive.save(&[run("run_live", RunStatus::Waiting)]).await.unwrap();
        assert_eq!(archive.mark_interrupted().await.unwrap(), 1);
        let cut = archive.load("run_live").await.unwrap();
        assert!(matches!(cut.status, RunStatus::Failed(ref why) if why.starts_with("interrupted")));
        assert_eq!(archive.mark_interrupted().await.unwrap(), 0);
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn an_expired_run_is_gone() {
        let (archive, path) = open("expiry", Limits { keep: Duration::ZERO, max_runs: 10, max_bytes: 1 << 30 }).await;
        archive.save(&[run("run_old", RunStatus::Done)]).await.unwrap();
        assert!(archive.load("run_old").await.is_none());
        archive.sweep().await.unwrap();
        assert_eq!(archive.usage().await.unwrap().0, 0);
        let _ = std::fs::remove_file(path);
    }
}
