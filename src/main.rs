//! The `oauth2-lab` binary: serves the lab with its embedded authorization
//! and resource servers.

/// mimalloc: fewer cycles per request than the system allocator for the
/// servers' many small, short-lived allocations (README, "Benchmarks").
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use clap::Parser;
    use leptos::prelude::LeptosOptions;
    use oauth2_lab::server::{app, config::Config};
    use std::future::IntoFuture;
    use std::net::SocketAddr;
    use tracing_subscriber::EnvFilter;

    /// OAuth2 Lab: a real OAuth 2.0 authorization server and resource
    /// server, and a lab to watch every grant.
    #[derive(Parser)]
    #[command(version, about)]
    struct Args {
        /// Address to listen on [default: LEPTOS_SITE_ADDR, else 127.0.0.1:3000].
        #[arg(long, env = "OAUTH2_LAB_ADDR")]
        addr: Option<SocketAddr>,
        /// Public base URL: the issuer in metadata and the base of redirect
        /// URIs [default: http://<addr>].
        #[arg(long, env = "OAUTH2_LAB_PUBLIC_URL")]
        public_url: Option<url::Url>,
        /// Sign-ins, registrations and new runs allowed per client address
        /// each minute, after a burst; 0 turns the limit off.
        #[arg(long, env = "OAUTH2_LAB_RATE_PER_MINUTE", default_value_t = 120)]
        rate_per_minute: u32,
        /// How many of those a client address may send at once.
        #[arg(long, env = "OAUTH2_LAB_RATE_BURST", default_value_t = 60)]
        rate_burst: u32,
        /// Take client addresses from X-Forwarded-For / Forwarded. Only
        /// behind a reverse proxy that sets them.
        #[arg(long, env = "OAUTH2_LAB_BEHIND_PROXY")]
        behind_proxy: bool,
        /// Resident memory, in MiB, above which requests that would create
        /// state get 503; 0 turns the ceiling off.
        #[arg(long, env = "OAUTH2_LAB_MEMORY_CEILING_MIB", default_value_t = 768)]
        memory_ceiling_mib: u64,
        /// Live access and refresh tokens held at most; past it the token
        /// endpoint answers 503 until some expire.
        #[arg(long, env = "OAUTH2_LAB_MAX_TOKENS", default_value_t = 100_000)]
        max_tokens: usize,
        /// Recorded runs held at most, all learners together.
        #[arg(long, env = "OAUTH2_LAB_MAX_RUNS", default_value_t = 5_000)]
        max_runs: usize,
        /// How long access tokens live, e.g. 1h or 30s.
        #[arg(long, env = "OAUTH2_LAB_ACCESS_TOKEN_TTL", default_value = "1h", value_parser = humantime::parse_duration)]
        access_token_ttl: std::time::Duration,
        /// How long refresh tokens live.
        #[arg(long, env = "OAUTH2_LAB_REFRESH_TOKEN_TTL", default_value = "1d", value_parser = humantime::parse_duration)]
        refresh_token_ttl: std::time::Duration,
        /// How long registered clients are kept.
        #[arg(long, env = "OAUTH2_LAB_CLIENT_TTL", default_value = "1d", value_parser = humantime::parse_duration)]
        client_ttl: std::time::Duration,
        /// How long a sign-in and consent page stays usable.
        #[arg(long, env = "OAUTH2_LAB_PENDING_TTL", default_value = "10m", value_parser = humantime::parse_duration)]
        pending_ttl: std::time::Duration,
        /// How long recorded runs are kept.
        #[arg(long, env = "OAUTH2_LAB_RUN_TTL", default_value = "1h", value_parser = humantime::parse_duration)]
        run_ttl: std::time::Duration,
    }

    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("oauth2_lab=info,tower_http=warn")),
        )
        .init();
    let args = Args::parse();

    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options = LeptosOptions::builder()
            .output_name("oauth2-lab")
            .site_root(options.site_root.clone())
            .site_addr(options.site_addr)
            .build();
    }
    let addr = args.addr.unwrap_or(options.site_addr);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    options.site_addr = local;
    // Port 0 picks a free port: the URLs use the one the OS gave.
    let loopback = if local.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], local.port())) } else { local };
    let public_url = match args.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{loopback}"),
    };
    let mut config = Config::new(&public_url, &format!("http://{loopback}"));
    config.rate_per_minute = args.rate_per_minute;
    config.rate_burst = args.rate_burst;
    config.behind_proxy = args.behind_proxy;
    config.max_tokens = args.max_tokens;
    config.max_runs = args.max_runs;
    config.access_token_ttl = args.access_token_ttl;
    config.refresh_token_ttl = args.refresh_token_ttl;
    config.client_ttl = args.client_ttl;
    config.pending_ttl = args.pending_ttl;
    config.run_ttl = args.run_ttl;
    config.memory_ceiling = (args.memory_ceiling_mib > 0).then_some(args.memory_ceiling_mib * 1024 * 1024);
    println!("OAuth2 Lab listening on {public_url}");
    tracing::info!(%local, issuer = %public_url, "serving");
    let serve = axum::serve(listener, app(config, options).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        });
    // The accept loop runs on a worker, not on the main thread, so a
    // one-worker runtime wakes no second thread per connection.
    tokio::spawn(serve.into_future()).await??;
    Ok(())
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser build has no binary; see lib.rs for hydration.
}
