//! The command line: flags and their environment variables (clap), and the
//! `Config` they make.

use super::config::Config;
use clap::Parser;
use std::net::SocketAddr;

/// OAuth2 Lab: a real OAuth 2.0 authorization server and resource
/// server, and a lab to watch every grant.
#[derive(Parser)]
#[command(version, about)]
pub struct Args {
    /// Address to listen on [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000].
    #[arg(long, env = "OAUTH2_LAB_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Public base URL: the issuer in metadata and the base of redirect
    /// URIs [default: http://<addr>].
    #[arg(long, env = "OAUTH2_LAB_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Sign-ins, registrations and new runs allowed per client address
    /// each minute, after a burst; 0 turns the limit off.
    #[arg(long, env = "OAUTH2_LAB_RATE_PER_MINUTE", default_value_t = 120)]
    pub rate_per_minute: u32,
    /// How many of those a client address may send at once.
    #[arg(long, env = "OAUTH2_LAB_RATE_BURST", default_value_t = 60)]
    pub rate_burst: u32,
    /// Take client addresses from X-Forwarded-For / Forwarded. Only
    /// behind a reverse proxy that sets them.
    #[arg(long, env = "OAUTH2_LAB_BEHIND_PROXY")]
    pub behind_proxy: bool,
    /// Resident memory, in MiB, above which requests that would create
    /// state get 503; 0 turns the ceiling off.
    #[arg(long, env = "OAUTH2_LAB_MEMORY_CEILING_MIB", default_value_t = 768)]
    pub memory_ceiling_mib: u64,
    /// Live access and refresh tokens held at most; past it the token
    /// endpoint answers 503 until some expire.
    #[arg(long, env = "OAUTH2_LAB_MAX_TOKENS", default_value_t = 100_000)]
    pub max_tokens: usize,
    /// Recorded runs held at most, all learners together.
    #[arg(long, env = "OAUTH2_LAB_MAX_RUNS", default_value_t = 5_000)]
    pub max_runs: usize,
    /// How long access tokens live, e.g. 1h or 30s.
    #[arg(long, env = "OAUTH2_LAB_ACCESS_TOKEN_TTL", default_value = "1h", value_parser = humantime::parse_duration)]
    pub access_token_ttl: std::time::Duration,
    /// How long refresh tokens live.
    #[arg(long, env = "OAUTH2_LAB_REFRESH_TOKEN_TTL", default_value = "1d", value_parser = humantime::parse_duration)]
    pub refresh_token_ttl: std::time::Duration,
    /// How long registered clients are kept.
    #[arg(long, env = "OAUTH2_LAB_CLIENT_TTL", default_value = "1d", value_parser = humantime::parse_duration)]
    pub client_ttl: std::time::Duration,
    /// How long a sign-in and consent page stays usable.
    #[arg(long, env = "OAUTH2_LAB_PENDING_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub pending_ttl: std::time::Duration,
    /// How long a recorded run is kept in memory, live; the database
    /// keeps it after that (`--keep-runs`).
    #[arg(long, env = "OAUTH2_LAB_RUN_TTL", default_value = "1h", value_parser = humantime::parse_duration)]
    pub run_ttl: std::time::Duration,
    /// Where the lab keeps its state (registered clients, codes, tokens,
    /// sign-ins, device grants, classes, and recorded runs once they
    /// leave memory): a SQLite file, as `sqlite:<path>`, created on first
    /// start; a PostgreSQL database, as `postgres://…`, which several lab
    /// processes behind one proxy share; or `memory`, to keep nothing
    /// past `--run-ttl` or a restart.
    #[arg(long, env = "OAUTH2_LAB_DATABASE", default_value = "sqlite:data/oauth2-lab.db")]
    pub database: String,
    /// How long the database keeps a recorded run (and so its
    /// permalink).
    #[arg(long, env = "OAUTH2_LAB_KEEP_RUNS", default_value = "30d", value_parser = humantime::parse_duration)]
    pub keep_runs: std::time::Duration,
    /// Recorded runs the database keeps at most; past it, and past
    /// `--archive-max-mib`, the oldest go.
    #[arg(long, env = "OAUTH2_LAB_ARCHIVE_MAX_RUNS", default_value_t = 200_000)]
    pub archive_max_runs: u64,
    /// Bytes of recorded runs the database keeps at most, in MiB.
    #[arg(long, env = "OAUTH2_LAB_ARCHIVE_MAX_MIB", default_value_t = 2048)]
    pub archive_max_mib: u64,
    /// Whether the lab's client may call a learner's own provider on a
    /// private or loopback address [default: true when the lab listens on
    /// loopback, else false]. Link-local and cloud-metadata addresses are
    /// refused whatever this says.
    #[arg(long, env = "OAUTH2_LAB_OUTBOUND_PRIVATE")]
    pub outbound_private: Option<bool>,
}

impl Args {
    /// The settings these flags give, for a lab reached at `public_url` and,
    /// by its own parties, at `internal_url`.
    pub fn config(&self, public_url: &str, internal_url: &str, on_loopback: bool) -> Config {
        let mut config = Config::new(public_url, internal_url);
        config.outbound_private = self.outbound_private.unwrap_or(on_loopback);
        config.rate_per_minute = self.rate_per_minute;
        config.rate_burst = self.rate_burst;
        config.behind_proxy = self.behind_proxy;
        config.max_tokens = self.max_tokens;
        config.max_runs = self.max_runs;
        config.access_token_ttl = self.access_token_ttl;
        config.refresh_token_ttl = self.refresh_token_ttl;
        config.client_ttl = self.client_ttl;
        config.pending_ttl = self.pending_ttl;
        config.run_ttl = self.run_ttl;
        config.memory_ceiling = (self.memory_ceiling_mib > 0).then_some(self.memory_ceiling_mib * 1024 * 1024);
        config
    }

    /// The run archive the flags ask for, opened and brought up to date,
    /// with the runs a restart cut off marked interrupted; none for
    /// `--database memory`.
    pub async fn archive(&self) -> anyhow::Result<Option<crate::lab::archive::Archive>> {
        use crate::lab::archive::{Archive, Limits};
        if self.database == "memory" {
            return Ok(None);
        }
        if !["sqlite:", "postgres://", "postgresql://"].iter().any(|p| self.database.starts_with(p)) {
            anyhow::bail!("--database takes sqlite:<path>, postgres://… or memory, not {}", self.database);
        }
        let limits = Limits {
            keep: self.keep_runs,
            max_runs: self.archive_max_runs,
            max_bytes: self.archive_max_mib * 1024 * 1024,
        };
        let archive = Archive::open(&self.database, limits).await?;
        let cut = archive.mark_interrupted().await?;
        if cut > 0 {
            tracing::info!(runs = cut, "runs cut off by the last stop marked interrupted");
        }
        Ok(Some(archive))
    }
}
