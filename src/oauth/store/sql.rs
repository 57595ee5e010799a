//! The stores in a SQL database (SQLite or PostgreSQL, through sqlx's
//! `Any` driver), so that every lab process on one database shares the
//! clients, codes, tokens, sign-ins and device grants, and a restart keeps
//! them. The queries are written once for both engines: `$n` parameters,
//! integers for booleans, `ON CONFLICT` and `RETURNING`.
//!
//! Secrets are keyed by their SHA-256, as in memory. Caps hold per store
//! in rows, as in memory: an insert into a full table is refused (after
//! one sweep of its expired rows a second at most), and past a client's
//! own cap its oldest tokens make way. Rows are counted once and then
//! tallied by this process; the background sweep removes what has expired
//! and counts again, so the tallies take in other replicas' rows within a
//! sweep.
//! Registered clients are cached in this process once read, since a
//! client's record never changes; each one leaves the cache when it
//! expires.

use super::*;
use crate::oauth::util::{now_secs, sha256};
use sqlx::{AnyPool, Row};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `at`, in milliseconds since the epoch.
fn epoch_ms(at: Instant) -> i64 {
    let now = Instant::now();
    match at.checked_duration_since(now) {
        Some(ahead) => now_ms().saturating_add(ahead.as_millis() as i64),
        None => now_ms().saturating_sub(now.duration_since(at).as_millis() as i64),
    }
}

/// Milliseconds since the epoch, as an `Instant` of this process.
fn instant(ms: i64) -> Instant {
    let now = Instant::now();
    let diff = ms.saturating_sub(now_ms());
    if diff >= 0 {
        now + Duration::from_millis(diff as u64)
    } else {
        now.checked_sub(Duration::from_millis(diff.unsigned_abs())).unwrap_or(now)
    }
}

fn key(secret: &str) -> Vec<u8> {
    sha256(secret.as_bytes()).to_vec()
}

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn warn(what: &str, e: &dyn std::fmt::Display) {
    tracing::warn!(error = %e, "{what}");
}

/// The caps, from the server's settings.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub clients: usize,
    pub clients_per_owner: usize,
    pub codes: usize,
    pub tokens: usize,
    pub tokens_per_client: usize,
    pub pending: usize,
    /// How long a spent code is remembered, to catch a replay.
    pub remember_spent: Duration,
}

impl Caps {
    pub fn of(settings: &crate::oauth::Settings) -> Self {
        Self {
            clients: settings.max_clients,
            clients_per_owner: settings.max_clients_per_requester.max(1),
            codes: settings.max_codes,
            tokens: settings.max_tokens,
            tokens_per_client: settings.max_tokens_per_client.max(1),
            pending: settings.max_pending,
            remember_spent: settings.access_token_ttl.max(settings.refresh_token_ttl),
        }
    }
}

/// One pool, and every store on it.
pub struct Sql {
    pool: AnyPool,
    /// PostgreSQL, not SQLite: the one query that differs (`make_way`).
    postgres: bool,
    /// New tokens, for `write_tokens`.
    token_writer: tokio::sync::mpsc::UnboundedSender<TokenWrite>,
    caps: Caps,
    /// The seed clients, and registered ones once read.
    cache: MemoryClients,
    /// A sweep is under way: the next tick skips rather than piles up.
    sweeping: Arc<AtomicBool>,
    tally: Arc<Tally>,
}

/// The capped tables' rows, as last counted and added to since.
#[derive(Default)]
struct Tally {
    rows: parking_lot::Mutex<std::collections::HashMap<&'static str, Count>>,
    /// Each client's live tokens, likewise; forgotten at each sweep.
    per_client: parking_lot::Mutex<std::collections::HashMap<String, i64>>,
    /// Clients whose oldest tokens are being removed: one removal at a
    /// time per client, since two would wait on each other's rows.
    trimming: parking_lot::Mutex<std::collections::HashSet<String>>,
    /// When each table, full, last swept its expired rows.
    swept_when_full: parking_lot::Mutex<std::collections::HashMap<&'static str, Instant>>,
    /// The server's own clients, which count towards the clients' cap.
    seeds: std::sync::atomic::AtomicUsize,
}

/// What counts towards a table's cap: its rows not yet gone, and of the
/// codes only those not yet spent (spent ones are remembered apart, to
/// catch a replay, and never crowd out new ones).
fn live(table: &str) -> &'static str {
    match table {
        "clients" => "expires_at > $1",
        "codes" => "gone_ms > $1 AND spent = 0",
        _ => "gone_ms > $1",
    }
}

/// A table's rows that are gone.
fn expired(table: &str) -> &'static str {
    match table {
        "clients" => "expires_at <= $1",
        _ => "gone_ms <= $1",
    }
}

fn live_since(table: &str) -> i64 {
    if table == "clients" {
        secs(now_secs())
    } else {
        now_ms()
    }
}

async fn count(p: &AnyPool, table: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table} WHERE {}", live(table)))
        .bind(live_since(table))
        .fetch_one(p)
        .await?;
    Ok(n)
}

const FULL_SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A table's rows as this process reckons them, and its inserts started
/// and finished, ever: a count taken while inserts go on is topped up with
/// every insert that had not finished when it began (`recount`), so the
/// reckoning errs high, never low.
#[derive(Clone, Copy, Default)]
struct Count {
    rows: i64,
    started: i64,
    finished: i64,
    counted: bool,
}

impl Tally {
    /// Counts `table` again.
    async fn recount(&self, p: &AnyPool, table: &'static str) -> Result<(), sqlx::Error> {
        let finished = self.rows.lock().get(table).map_or(0, |c| c.finished);
        let n = count(p, table).await?;
        let mut rows = self.rows.lock();
        let c = rows.entry(table).or_default();
        c.rows = n + c.started - finished;
        c.counted = true;
        Ok(())
    }

    /// One more row in `table` if it stays within `cap`.
    fn take_room(&self, table: &'static str, cap: i64) -> bool {
        let mut rows = self.rows.lock();
        let c = rows.entry(table).or_default();
        let room = c.rows < cap;
        if room {
            c.rows += 1;
            c.started += 1;
        }
        room
    }
}

impl Sql {
    /// Must be called inside a tokio runtime: the token writer runs on it.
    pub fn new(pool: AnyPool, caps: Caps) -> Arc<Self> {
        let (token_writer, queue) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(write_tokens(pool.clone(), queue));
        Arc::new(Self {
            token_writer,
            postgres: pool.connect_options().database_url.scheme().starts_with("postgres"),
            pool,
            cache: MemoryClients::new(caps.clients, caps.clients_per_owner),
            caps,
            sweeping: Arc::new(AtomicBool::new(false)),
            tally: Arc::default(),
        })
    }

    /// The `record` column of the row `sql` finds for `key` ($1) while it
    /// lives (now, in milliseconds, as $2).
    async fn record(&self, sql: &str, key: Vec<u8>) -> Option<String> {
        let row = sqlx::query(sql)
            .bind(key)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| warn("a row was not read", &e))
            .ok()??;
        row.try_get(0).ok()
    }

    /// Whether `table` has room for one more row under `cap`, which it
    /// then counts; `finished` says when the row is written or not.
    async fn room(&self, table: &'static str, cap: usize) -> bool {
        let cap = cap as i64;
        let counted = self.tally.rows.lock().get(table).is_some_and(|c| c.counted);
        if !counted {
            if let Err(e) = self.tally.recount(&self.pool, table).await {
                warn("a table was not counted", &e);
                return false;
            }
        }
        if self.tally.take_room(table, cap) {
            return true;
        }
        {
            let mut swept = self.tally.swept_when_full.lock();
            if swept.get(table).is_some_and(|t| t.elapsed() < FULL_SWEEP_EVERY) {
                return false;
            }
            swept.insert(table, Instant::now());
        }
        let gone = format!("DELETE FROM {table} WHERE {}", expired(table));
        let _ = sqlx::query(&gone).bind(live_since(table)).execute(&self.pool).await;
        if self.tally.recount(&self.pool, table).await.is_err() {
            return false;
        }
        self.tally.take_room(table, cap)
    }

    /// The row `room` made way for is written, or (`written` false) not.
    fn finished(&self, table: &'static str, written: bool) {
        if let Some(c) = self.tally.rows.lock().get_mut(table) {
            c.finished += 1;
            if !written {
                c.rows -= 1;
            }
        }
    }

    /// An insert into `table` failed: logged, and its room given back.
    fn not_saved(&self, table: &'static str, e: &sqlx::Error) -> StoreFull {
        warn(&format!("a row of {table} was not saved"), e);
        self.finished(table, false);
        StoreFull
    }

    /// One more token for `client_id`; past its cap, its oldest tokens (a
    /// tenth of the cap more, so this is not done on every insert) go.
    async fn make_way(&self, client_id: &str) {
        let cap = self.caps.tokens_per_client as i64;
        let known = self.tally.per_client.lock().get(client_id).copied();
        let n = match known {
            Some(n) => n,
            None => {
                let counted: Result<(i64,), _> =
                    sqlx::query_as("SELECT COUNT(*) FROM tokens WHERE client_id = $1 AND gone_ms > $2")
                        .bind(client_id)
                        .bind(now_ms())
                        .fetch_one(&self.pool)
                        .await;
                counted.map(|(n,)| n).unwrap_or(0)
            }
        };
        let mut n = n + 1;
        if n > cap && self.tally.trimming.lock().insert(client_id.to_string()) {
            let excess = n - cap + cap / 10;
            // On PostgreSQL, rows another replica is removing are skipped
            // rather than waited for.
            let query = if self.postgres {
                "DELETE FROM tokens WHERE key IN (SELECT key FROM tokens WHERE client_id = $1 ORDER BY created_ms LIMIT $2 FOR UPDATE SKIP LOCKED)"
            } else {
                "DELETE FROM tokens WHERE key IN (SELECT key FROM tokens WHERE client_id = $1 ORDER BY created_ms LIMIT $2)"
            };
            let gone = sqlx::query(query).bind(client_id).bind(excess).execute(&self.pool).await;
            self.tally.trimming.lock().remove(client_id);
            match gone {
                Ok(r) => {
                    n -= r.rows_affected() as i64;
                    if let Some(c) = self.tally.rows.lock().get_mut("tokens") {
                        c.rows -= r.rows_affected() as i64;
                    }
                }
                Err(e) => warn("a client's oldest tokens were not removed", &e),
            }
        }
        let mut per_client = self.tally.per_client.lock();
        match per_client.get_mut(client_id) {
            Some(known) => *known = n,
            None => {
                per_client.insert(client_id.to_string(), n);
            }
        }
    }

    /// The server's stores, all on this database.
    pub fn stores(self: &Arc<Self>) -> crate::oauth::Stores {
        crate::oauth::Stores {
            clients: self.clone(),
            codes: self.clone(),
            tokens: self.clone(),
            pending: self.clone(),
            devices: self.clone(),
            sweepers: vec![self.clone()],
        }
    }
}

/// Removes what has expired, then the rows past each cap, and counts
/// again.
async fn sweep(p: &AnyPool, caps: Caps, tally: &Tally) -> Result<(), sqlx::Error> {
    let now = now_ms();
    for table in ["codes", "tokens", "revoked_families", "pending", "devices"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE gone_ms <= $1")).bind(now).execute(p).await?;
    }
    sqlx::query("UPDATE devices SET user_key = NULL WHERE user_key IS NOT NULL AND user_gone_ms <= $1")
        .bind(now)
        .execute(p)
        .await?;
    sqlx::query("DELETE FROM clients WHERE expires_at <= $1").bind(secs(now_secs())).execute(p).await?;
    // Past a cap (replicas inserting at once may overshoot it a little),
    // the rows that would go first.
    let capped = [
        ("codes", "key", "spent = 0", "gone_ms", caps.codes),
        ("codes", "key", "spent = 1", "gone_ms", caps.tokens),
        ("tokens", "key", "1 = 1", "gone_ms", caps.tokens),
        ("pending", "key", "1 = 1", "gone_ms", caps.pending),
        ("devices", "key", "1 = 1", "gone_ms", caps.pending),
        ("clients", "client_id", "1 = 1", "created_ms", caps.clients),
    ];
    for (table, id, which, order, cap) in capped {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE {id} IN (SELECT {id} FROM {table} WHERE {which} ORDER BY {order} DESC LIMIT 1000000000 OFFSET $1)"
        ))
        .bind(cap as i64)
        .execute(p)
        .await?;
    }
    for table in ["codes", "tokens", "pending", "devices", "clients"] {
        tally.recount(p, table).await?;
    }
    tally.per_client.lock().clear();
    Ok(())
}

impl Sweep for Sql {
    fn sweep(&self, _now: Instant) {
        self.cache.sweep(Instant::now());
        if self.sweeping.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, caps, sweeping, tally) = (self.pool.clone(), self.caps, self.sweeping.clone(), self.tally.clone());
        tokio::spawn(async move {
            if let Err(e) = sweep(&pool, caps, &tally).await {
                warn("the database was not swept", &e);
            }
            sweeping.store(false, Ordering::Release);
        });
    }
}

/// A registered client as its row keeps it: the metadata, with the secret
/// only as its hash.
#[derive(serde::Serialize, serde::Deserialize)]
struct ClientRow {
    client: Client,
    owner: String,
    /// Seconds since the epoch.
    expires_at: u64,
}

#[async_trait::async_trait]
impl ClientStore for Sql {
    async fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        if let Some(client) = self.cache.get(client_id) {
            return Some(client);
        }
        let row = sqlx::query("SELECT record FROM clients WHERE client_id = $1 AND expires_at > $2")
            .bind(client_id)
            .bind(secs(now_secs()))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| warn("a client was not read", &e))
            .ok()??;
        let row: ClientRow = serde_json::from_str(row.try_get::<String, _>(0).ok()?.as_str()).ok()?;
        let left = row.expires_at.saturating_sub(now_secs());
        // A full cache still answers: the row is the truth.
        let client = Arc::new(row.client);
        let _ = self.cache.insert(
            Client::clone(&client),
            Some(Instant::now() + Duration::from_secs(left)),
            Some(&row.owner),
        );
        Some(client)
    }

    async fn insert(&self, client: Client, expires: Option<Instant>, owner: Option<&str>) -> Result<(), StoreFull> {
        let Some(owner) = owner else {
            return self.cache.insert(client, expires, None);
        };
        let left = expires.map_or(u64::MAX / 4, |e| e.saturating_duration_since(Instant::now()).as_secs());
        let expires_at = now_secs().saturating_add(left);
        let row = ClientRow { client: client.clone(), owner: owner.to_string(), expires_at };
        let json = serde_json::to_string(&row).map_err(|_| StoreFull)?;
        let seeds = self.tally.seeds.load(Ordering::Relaxed);
        if !self.room("clients", self.caps.clients.saturating_sub(seeds)).await {
            return Err(StoreFull);
        }
        let saved = sqlx::query(
            "INSERT INTO clients (client_id, record, expires_at, owner, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at, owner = excluded.owner, created_ms = excluded.created_ms",
        )
        .bind(&client.client_id)
        .bind(json)
        .bind(secs(expires_at))
        .bind(owner)
        .bind(now_ms())
        .execute(&self.pool)
        .await;
        saved.map_err(|e| self.not_saved("clients", &e))?;
        self.finished("clients", true);
        // Past the owner's cap, their oldest client goes, on every replica.
        let _ = sqlx::query(
            "DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE owner = $1 ORDER BY created_ms DESC LIMIT 1000000000 OFFSET $2)",
        )
        .bind(owner)
        .bind(self.caps.clients_per_owner as i64)
        .execute(&self.pool)
        .await
        .map_err(|e| warn("an owner's clients were not capped", &e));
        // Saved: registered, even if this process's cache is full.
        let _ = self.cache.insert(client, expires, Some(owner));
        Ok(())
    }

    fn seed(&self, client: Client) {
        self.tally.seeds.fetch_add(1, Ordering::Relaxed);
        let _ = self.cache.insert(client, None, None);
    }
}

#[async_trait::async_trait]
impl CodeStore for Sql {
    async fn insert(&self, code: &str, grant: CodeGrant, expires: Instant) -> Result<(), StoreFull> {
        let json = serde_json::to_string(&grant).map_err(|_| StoreFull)?;
        if !self.room("codes", self.caps.codes).await {
            return Err(StoreFull);
        }
        sqlx::query("INSERT INTO codes (key, record, spent, gone_ms) VALUES ($1, $2, 0, $3)")
            .bind(key(code))
            .bind(json)
            .bind(epoch_ms(expires))
            .execute(&self.pool)
            .await
            .map(|_| self.finished("codes", true))
            .map_err(|e| self.not_saved("codes", &e))
    }

    async fn redeem(&self, code: &str, accept: &mut (dyn for<'g> FnMut(&'g CodeGrant) -> bool + Send)) -> Redeem {
        let k = key(code);
        let read = || async {
            let row = sqlx::query("SELECT record, spent FROM codes WHERE key = $1 AND gone_ms > $2")
                .bind(k.clone())
                .bind(now_ms())
                .fetch_optional(&self.pool)
                .await
                .ok()??;
            let grant: CodeGrant = serde_json::from_str(row.try_get::<String, _>(0).ok()?.as_str()).ok()?;
            Some((grant, row.try_get::<i64, _>(1).ok()? != 0))
        };
        let Some((grant, spent)) = read().await else { return Redeem::Unknown };
        if spent {
            return Redeem::Replayed(grant);
        }
        if !accept(&grant) {
            return Redeem::Refused;
        }
        // Spent only if no one spent it first, on any replica; a spent code
        // is remembered as long as its tokens can live.
        let remember = epoch_ms(Instant::now() + self.caps.remember_spent);
        let spent = sqlx::query("UPDATE codes SET spent = 1, gone_ms = $2 WHERE key = $1 AND spent = 0")
            .bind(k.clone())
            .bind(remember)
            .execute(&self.pool)
            .await;
        match spent {
            Ok(r) if r.rows_affected() == 1 => Redeem::Fresh(grant),
            Ok(_) => Redeem::Replayed(grant),
            Err(e) => {
                warn("a code was not spent", &e);
                Redeem::Unknown
            }
        }
    }
}

/// A token on its way to the database.
struct TokenRow {
    key: Vec<u8>,
    record: TokenRecord,
    scopes: String,
    gone_ms: i64,
}

type TokenWrite = (TokenRow, tokio::sync::oneshot::Sender<bool>);

/// Tokens at most in one statement: 12 parameters each, far below either
/// engine's limit.
const TOKENS_PER_BATCH: usize = 64;

/// Writes the tokens handed to it, those that arrive together in one
/// statement and one transaction (group commit), and answers each sender
/// once its token is committed. The token endpoint pays for a commit, and
/// for SQLite's write-ahead-log pages, once a batch rather than once a
/// token.
async fn write_tokens(pool: AnyPool, mut queue: tokio::sync::mpsc::UnboundedReceiver<TokenWrite>) {
    let mut batch: Vec<TokenWrite> = Vec::with_capacity(TOKENS_PER_BATCH);
    while queue.recv_many(&mut batch, TOKENS_PER_BATCH).await > 0 {
        let mut sql = String::from(
            "INSERT INTO tokens (key, kind, client_id, username, scopes, family, issued_at, expires_at, revoked, rotated, created_ms, gone_ms) VALUES ",
        );
        for i in 0..batch.len() {
            let p = i * 12;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, CASE WHEN ${} = 1 OR EXISTS (SELECT 1 FROM revoked_families WHERE family = ${}) THEN 1 ELSE 0 END, ${}, ${}, ${})",
                p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7, p + 8, p + 9, p + 6, p + 10, p + 11, p + 12
            ));
        }
        let mut query = sqlx::query(&sql);
        let now = now_ms();
        for (row, _) in &batch {
            let r = &row.record;
            query = query
                .bind(row.key.clone())
                .bind(kind_id(r.kind))
                .bind(r.client_id.clone())
                .bind(r.username.clone())
                .bind(row.scopes.clone())
                .bind(r.family as i64)
                .bind(secs(r.issued_at))
                .bind(secs(r.expires_at))
                .bind(i64::from(r.revoked))
                .bind(i64::from(r.rotated))
                .bind(now)
                .bind(row.gone_ms);
        }
        let written = query.execute(&pool).await;
        if let Err(e) = &written {
            warn("tokens were not saved", e);
        }
        for (_, done) in batch.drain(..) {
            let _ = done.send(written.is_ok());
        }
    }
}

fn kind_id(kind: TokenKind) -> i64 {
    match kind {
        TokenKind::Access => 0,
        TokenKind::Refresh => 1,
    }
}

#[async_trait::async_trait]
impl TokenStore for Sql {
    async fn insert(&self, token: &str, record: TokenRecord, expires: Instant) -> Result<(), StoreFull> {
        let scopes = record.scopes.join(" ");
        self.make_way(&record.client_id).await;
        if !self.room("tokens", self.caps.tokens).await {
            return Err(StoreFull);
        }
        let row = TokenRow { key: key(token), record, scopes, gone_ms: epoch_ms(expires) };
        let (done, written) = tokio::sync::oneshot::channel();
        let saved = self.token_writer.send((row, done)).is_ok() && written.await.unwrap_or(false);
        self.finished("tokens", saved);
        if saved {
            Ok(())
        } else {
            Err(StoreFull)
        }
    }

    async fn get(&self, token: &str) -> Option<TokenRecord> {
        let row = sqlx::query(
            "SELECT kind, client_id, username, scopes, family, issued_at, expires_at, CASE WHEN revoked = 1 OR EXISTS (SELECT 1 FROM revoked_families f WHERE f.family = t.family) THEN 1 ELSE 0 END, rotated FROM tokens t WHERE key = $1 AND gone_ms > $2",
        )
        .bind(key(token))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| warn("a token was not read", &e))
        .ok()??;
        let int = |i: usize| row.try_get::<i64, _>(i).ok();
        let scopes: String = row.try_get(3).ok()?;
        Some(TokenRecord {
            kind: if int(0)? == 1 { TokenKind::Refresh } else { TokenKind::Access },
            client_id: row.try_get(1).ok()?,
            username: row.try_get(2).ok()?,
            scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            family: int(4)? as u64,
            issued_at: int(5)? as u64,
            expires_at: int(6)? as u64,
            revoked: int(7)? != 0,
            rotated: int(8)? != 0,
        })
    }

    async fn rotate(&self, token: &str) -> Result<bool, StoreFull> {
        sqlx::query("UPDATE tokens SET rotated = 1 WHERE key = $1 AND rotated = 0")
            .bind(key(token))
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(|e| {
                warn("a token was not rotated", &e);
                StoreFull
            })
    }

    async fn revoke(&self, token: &str) -> Result<(), StoreFull> {
        let done =
            sqlx::query("UPDATE tokens SET revoked = 1 WHERE key = $1").bind(key(token)).execute(&self.pool).await;
        done.map(|_| ()).map_err(|e| {
            warn("a token was not revoked", &e);
            StoreFull
        })
    }

    async fn revoke_family(&self, family: Family) -> Result<(), StoreFull> {
        // Remembered as long as any token of the family can live, so one
        // issued into it later (a race with a replay) is born revoked.
        let until = epoch_ms(Instant::now() + self.caps.remember_spent);
        let done = sqlx::query(
            "INSERT INTO revoked_families (family, gone_ms) VALUES ($1, $2) ON CONFLICT (family) DO NOTHING",
        )
        .bind(family as i64)
        .bind(until)
        .execute(&self.pool)
        .await;
        done.map(|_| ()).map_err(|e| {
            warn("a token family was not revoked", &e);
            StoreFull
        })
    }
}

#[async_trait::async_trait]
impl PendingStore for Sql {
    async fn insert(&self, id: &str, pending: Pending, expires: Instant) -> Result<(), StoreFull> {
        let json = serde_json::to_string(&pending).map_err(|_| StoreFull)?;
        if !self.room("pending", self.caps.pending).await {
            return Err(StoreFull);
        }
        sqlx::query(
            "INSERT INTO pending (key, record, gone_ms) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET record = excluded.record, gone_ms = excluded.gone_ms",
        )
        .bind(key(id))
        .bind(json)
        .bind(epoch_ms(expires))
        .execute(&self.pool)
        .await
        .map(|_| self.finished("pending", true))
        .map_err(|e| self.not_saved("pending", &e))
    }

    async fn take(&self, id: &str) -> Option<Pending> {
        let json = self.record("DELETE FROM pending WHERE key = $1 AND gone_ms > $2 RETURNING record", key(id)).await?;
        if let Some(c) = self.tally.rows.lock().get_mut("pending") {
            c.rows -= 1;
        }
        serde_json::from_str(&json).ok()
    }

    async fn put_back(&self, id: &str, pending: Pending, ttl: Duration) {
        let _ = PendingStore::insert(self, id, pending, Instant::now() + ttl).await;
    }

    async fn client_of(&self, id: &str) -> Option<String> {
        let json = self.record("SELECT record FROM pending WHERE key = $1 AND gone_ms > $2", key(id)).await?;
        Some(serde_json::from_str::<Pending>(&json).ok()?.request.client_id)
    }
}

/// A device grant as its row keeps it, its times since the epoch.
#[derive(serde::Serialize, serde::Deserialize)]
struct DeviceRow {
    client_id: String,
    scopes: Vec<String>,
    user_code: String,
    state: DeviceState,
    family: Family,
    expires_ms: i64,
    interval_ms: u64,
    last_poll_ms: Option<i64>,
}

impl DeviceRow {
    fn of(g: &DeviceGrant) -> Self {
        Self {
            client_id: g.client_id.clone(),
            scopes: g.scopes.clone(),
            user_code: g.user_code.clone(),
            state: g.state.clone(),
            family: g.family,
            expires_ms: epoch_ms(g.expires),
            interval_ms: g.interval.as_millis() as u64,
            last_poll_ms: g.last_poll.map(epoch_ms),
        }
    }
    fn grant(self) -> DeviceGrant {
        DeviceGrant {
            client_id: self.client_id,
            scopes: self.scopes,
            user_code: self.user_code,
            state: self.state,
            family: self.family,
            expires: instant(self.expires_ms),
            interval: Duration::from_millis(self.interval_ms),
            last_poll: self.last_poll_ms.map(instant),
        }
    }
}

fn device_json(g: &DeviceGrant) -> String {
    serde_json::to_string(&DeviceRow::of(g)).unwrap_or_default()
}

fn device_of(json: &str) -> Option<DeviceGrant> {
    serde_json::from_str::<DeviceRow>(json).ok().map(DeviceRow::grant)
}

fn user_key(user_code: &str) -> Vec<u8> {
    key(&normalise_user_code(user_code))
}

impl Sql {
    async fn device_record(&self, device_code: &str) -> Option<String> {
        self.record("SELECT record FROM devices WHERE key = $1 AND gone_ms > $2", key(device_code)).await
    }
}

#[async_trait::async_trait]
impl DeviceStore for Sql {
    async fn create(&self, device_code: &str, grant: DeviceGrant, keep_until: Instant) -> Result<(), StoreFull> {
        let user = user_key(&grant.user_code);
        if !self.room("devices", self.caps.pending).await {
            return Err(StoreFull);
        }
        // A user code whose own life is over may be drawn again.
        let _ = sqlx::query("UPDATE devices SET user_key = NULL WHERE user_key = $1 AND user_gone_ms <= $2")
            .bind(user.clone())
            .bind(now_ms())
            .execute(&self.pool)
            .await;
        sqlx::query("INSERT INTO devices (key, user_key, user_gone_ms, record, gone_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(key(device_code))
            .bind(user)
            .bind(epoch_ms(grant.expires))
            .bind(device_json(&grant))
            .bind(epoch_ms(keep_until))
            .execute(&self.pool)
            .await
            .map(|_| self.finished("devices", true))
            // A live user code drawn twice: the caller tries again.
            .map_err(|_| {
                self.finished("devices", false);
                StoreFull
            })
    }

    async fn by_user_code(&self, user_code: &str) -> Option<DeviceGrant> {
        let sql = "SELECT record FROM devices WHERE user_key = $1 AND user_gone_ms > $2";
        device_of(&self.record(sql, user_key(user_code)).await?)
            .filter(|g| g.state == DeviceState::Pending && g.expires > Instant::now())
    }

    async fn decide(&self, user_code: &str, decision: DeviceState) -> bool {
        // The user code is taken atomically, so only one decision counts.
        let taken = sqlx::query(
            "UPDATE devices SET user_key = NULL WHERE user_key = $1 AND user_gone_ms > $2 RETURNING key, record",
        )
        .bind(user_key(user_code))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await;
        let Ok(Some(row)) = taken else { return false };
        let k: Vec<u8> = match row.try_get(0) {
            Ok(k) => k,
            Err(_) => return false,
        };
        let json: String = match row.try_get(1) {
            Ok(json) => json,
            Err(_) => return false,
        };
        let Some(mut grant) = device_of(&json).filter(|g| g.state == DeviceState::Pending) else { return false };
        grant.state = decision;
        // Against the record as read, so a poll in between is not lost.
        let mut old = json;
        for _ in 0..3 {
            let done = sqlx::query("UPDATE devices SET record = $3 WHERE key = $1 AND record = $2")
                .bind(k.clone())
                .bind(&old)
                .bind(device_json(&grant))
                .execute(&self.pool)
                .await;
            if done.is_ok_and(|r| r.rows_affected() == 1) {
                return true;
            }
            let row = sqlx::query("SELECT record FROM devices WHERE key = $1")
                .bind(k.clone())
                .fetch_optional(&self.pool)
                .await;
            let now: String = match row.ok().flatten().map(|r| r.try_get(0)) {
                Some(Ok(now)) => now,
                _ => return false,
            };
            let Some(polled) = device_of(&now) else { return false };
            grant.last_poll = polled.last_poll;
            grant.interval = polled.interval;
            old = now;
        }
        false
    }

    async fn poll(&self, device_code: &str, client_id: &str, now: Instant) -> Poll {
        // Read, judge, and write back only if no other poll or decision
        // changed the row meanwhile; else judge again.
        for _ in 0..5 {
            let Some(json) = self.device_record(device_code).await else { return Poll::Unknown };
            let Some(mut grant) = device_of(&json) else { return Poll::Unknown };
            let poll = device::judge(&mut grant, client_id, now);
            if matches!(poll, Poll::OtherClient | Poll::Expired) {
                return poll;
            }
            let done = sqlx::query("UPDATE devices SET record = $3 WHERE key = $1 AND record = $2")
                .bind(key(device_code))
                .bind(&json)
                .bind(device_json(&grant))
                .execute(&self.pool)
                .await;
            if done.is_ok_and(|r| r.rows_affected() == 1) {
                return poll;
            }
        }
        Poll::SlowDown
    }
}
