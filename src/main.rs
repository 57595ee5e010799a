//! The `oauth2-lab` binary: serves the lab with its embedded authorization
//! and resource servers.

/// mimalloc: fewer cycles per request than the system allocator for the
/// servers' many small, short-lived allocations (docs/PERFORMANCE.md).
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use axum::ServiceExt;
    use clap::Parser;
    use leptos::prelude::LeptosOptions;
    use oauth2_lab::lab::wire::{Listener, Peer};
    use oauth2_lab::web::{app_with_archive, cli::Args};
    use std::future::IntoFuture;
    use std::net::SocketAddr;
    use tracing_subscriber::EnvFilter;

    // The log is written by a thread of its own, in batches, so a request
    // only formats its line; colours only on a terminal.
    let (log, _flush_at_exit) = tracing_appender::non_blocking(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("oauth2_lab=info,tower_http=warn")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(log)
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
    // A long queue of connections not yet accepted: a class of thousands
    // opens its pages, and fetches a new run, within the same second.
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let local = socket.local_addr()?;
    options.site_addr = local;
    // Port 0 picks a free port: the URLs use the one the OS gave.
    let loopback = if local.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], local.port())) } else { local };
    let public_url = match &args.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => format!("http://{loopback}"),
    };
    let config = args.config(&public_url, &format!("http://{loopback}"), local.ip().is_loopback());
    let archive = args.archive().await?.map(std::sync::Arc::new);
    // The JWT signing key (the database's, else a new one) is ready before
    // the lab takes connections: a new RSA key takes up to half a second of
    // CPU, which would otherwise run beside the first requests.
    tokio::task::spawn_blocking(|| oauth2_lab::oauth::jwt::signer().is_some()).await?;
    let listener = socket.listen(4096)?;
    println!("OAuth2 Lab listening on {public_url}");
    tracing::info!(%local, issuer = %public_url, database = %args.database, "serving");
    let app = app_with_archive(config, options, archive);
    let serve =
        // Each connection keeps what it read, so that a recorded request
        // shows its headers as sent (`lab::wire`).
        axum::serve(Listener(listener), app.into_make_service_with_connect_info::<Peer>()).with_graceful_shutdown(async {
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
