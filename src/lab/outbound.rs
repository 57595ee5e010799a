//! The lab's client toward a server it did not write (a learner's own
//! provider): every exchange goes over a connection of its own, whose bytes
//! are kept as its socket wrote and read them (inside TLS for `https`), so
//! the record is the exchange byte for byte.
//!
//! What it may reach is bounded: only the provider's own origins (the
//! issuer's, and those its metadata or the learner name for its
//! endpoints); never a link-local or cloud-metadata address; a private or
//! loopback address only when the operator allows it
//! (`--outbound-private`); every call within `TIMEOUT`, every response
//! within `MAX_RESPONSE`.

use crate::run::{Exchange, RequestRecord, ResponseRecord};
use axum::body::Bytes;
use axum::http;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The most one call may take, connecting, TLS and the whole response
/// included: well within the lab's own request timeout, so the page that
/// asked gets the reason.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest response body read; a longer one fails the call.
pub const MAX_RESPONSE: usize = 1024 * 1024;
/// The largest request body sent.
pub const MAX_REQUEST: usize = 64 * 1024;
/// Origins one provider may have.
pub const MAX_ORIGINS: usize = 8;
/// Header lines parsed at most.
const MAX_HEADERS: usize = 100;
const AGENT: &str = "oauth2-lab (own provider)";

/// Why an address is refused, or `None` when the lab may connect to it.
/// Link-local and cloud-metadata addresses always are; private, loopback
/// and shared (carrier-grade NAT) ones unless `allow_private`.
pub fn refused(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refused_v4(v4, allow_private),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refused_v4(v4, allow_private),
            None => refused_v6(v6, allow_private),
        },
    }
}

fn refused_v4(ip: Ipv4Addr, allow_private: bool) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() || ip == Ipv4Addr::new(100, 100, 100, 200) {
        return Some("a link-local or cloud-metadata address, which the lab never calls");
    }
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || ip.is_documentation() || a == 0 {
        return Some("not an address a server has");
    }
    let private = ip.is_private() || ip.is_loopback() || (a == 100 && (64..128).contains(&b));
    (private && !allow_private).then_some("a private or loopback address, which this lab is set to refuse")
}

fn refused_v6(ip: Ipv6Addr, allow_private: bool) -> Option<&'static str> {
    let first = ip.segments()[0];
    let metadata = ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    if (first & 0xffc0) == 0xfe80 || metadata {
        return Some("a link-local or cloud-metadata address, which the lab never calls");
    }
    if ip.is_unspecified() || ip.is_multicast() {
        return Some("not an address a server has");
    }
    let private = ip.is_loopback() || (first & 0xfe00) == 0xfc00;
    (private && !allow_private).then_some("a private or loopback address, which this lab is set to refuse")
}

/// A URL's origin as the lab compares them: scheme, host, port.
pub fn origin_of(url: &url::Url) -> Option<String> {
    let scheme = url.scheme();
    if !matches!(scheme, "http" | "https") || url.host_str().is_none() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// A client bound to one provider's origins.
#[derive(Clone, Debug)]
pub struct Outbound {
    origins: Vec<String>,
    allow_private: bool,
}

/// A response, and the exchange as the socket carried it.
pub struct Sent {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
    pub exchange: Exchange,
}

impl Outbound {
    pub fn new(allow_private: bool) -> Self {
        Self { origins: vec![], allow_private }
    }

    /// Lets calls go to `url`'s origin too: an error for a URL that is not
    /// http or https, or past `MAX_ORIGINS`.
    pub fn allow(&mut self, url: &str) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
        let origin = origin_of(&parsed).ok_or_else(|| format!("{url} is not an http or https URL"))?;
        if !self.origins.contains(&origin) {
            if self.origins.len() >= MAX_ORIGINS {
                return Err(format!("A provider may have at most {MAX_ORIGINS} origins."));
            }
            self.origins.push(origin);
        }
        Ok(())
    }

    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// Sends `request` (an absolute URL) on a connection of its own and
    /// reads the whole response: the error says why in a sentence.
    pub async fn send(&self, request: http::Request<Vec<u8>>) -> Result<Sent, String> {
        match tokio::time::timeout(TIMEOUT, self.send_now(request)).await {
            Ok(sent) => sent,
            Err(_) => Err(format!("No answer within {} seconds.", TIMEOUT.as_secs())),
        }
    }

    async fn send_now(&self, request: http::Request<Vec<u8>>) -> Result<Sent, String> {
        let url = url::Url::parse(&request.uri().to_string()).map_err(|e| format!("not a URL: {e}"))?;
        let origin = origin_of(&url).ok_or("only http and https URLs are called")?;
        if !self.origins.contains(&origin) {
            return Err(format!("{origin} is not one of this provider's origins, so the lab does not call it."));
        }
        if request.body().len() > MAX_REQUEST {
            return Err("The request body is too large.".into());
        }
        let port = url.port_or_known_default().ok_or("no port")?;
        let addr = self.resolve(&url, port).await?;
        let tcp = TcpStream::connect(addr).await.map_err(|e| format!("Could not connect to {addr}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_string();
        let request = on_the_wire(request, &url)?;
        let started_ms =
            SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        let tap = Arc::new(Tap::default());
        let (parts, body) = if url.scheme() == "https" {
            let name = rustls_name(&host)?;
            let tls = tls().connect(name, tcp).await.map_err(|e| format!("TLS with {host} failed: {e}"))?;
            exchange(Tapped { inner: tls, tap: tap.clone() }, request).await?
        } else {
            exchange(Tapped { inner: tcp, tap: tap.clone() }, request).await?
        };
        let exchange = tap.exchange(&body, started_ms).ok_or("The exchange could not be read back.")?;
        Ok(Sent { status: parts.status.as_u16(), headers: parts.headers, body, exchange })
    }

    /// The first address `url`'s host has that the lab may call.
    async fn resolve(&self, url: &url::Url, port: u16) -> Result<SocketAddr, String> {
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| format!("{name} could not be resolved: {e}"))?
                .collect(),
            None => vec![],
        };
        let mut why = "it has no address";
        for addr in &addrs {
            match refused(addr.ip(), self.allow_private) {
                None => return Ok(*addr),
                Some(reason) => why = reason,
            }
        }
        Err(format!("The lab does not call {}: {why}.", url.host_str().unwrap_or_default()))
    }
}

/// The request as it goes out: origin-form target, and the header lines
/// hyper would otherwise add itself (Host, User-Agent, Content-Length), so
/// what the tap reads back is the whole request.
fn on_the_wire(request: http::Request<Vec<u8>>, url: &url::Url) -> Result<http::Request<Full<Bytes>>, String> {
    let (mut parts, body) = request.into_parts();
    let mut target = url.path().to_string();
    if let Some(q) = url.query() {
        target = format!("{target}?{q}");
    }
    parts.uri = target.parse().map_err(|_| "not a request target".to_string())?;
    parts.version = http::Version::HTTP_11;
    let mut headers = http::HeaderMap::new();
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    headers.insert(http::header::HOST, host.parse().map_err(|_| "not a host")?);
    headers.insert(http::header::USER_AGENT, http::HeaderValue::from_static(AGENT));
    for (name, value) in parts.headers.iter() {
        if name != http::header::HOST && name != http::header::USER_AGENT {
            headers.append(name, value.clone());
        }
    }
    if !body.is_empty() || parts.method == http::Method::POST {
        headers.insert(http::header::CONTENT_LENGTH, body.len().into());
    }
    headers.insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
    parts.headers = headers;
    Ok(http::Request::from_parts(parts, Full::new(Bytes::from(body))))
}

/// One request and its whole response over `io`.
async fn exchange<S>(io: S, request: http::Request<Full<Bytes>>) -> Result<(http::response::Parts, Vec<u8>), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| format!("HTTP/1.1 failed: {e}"))?;
    let conn = tokio::spawn(conn);
    let res = sender.send_request(request).await.map_err(|e| format!("The request failed: {e}"))?;
    let (parts, body) = res.into_parts();
    let body = Limited::new(body, MAX_RESPONSE)
        .collect()
        .await
        .map_err(|e| format!("The response could not be read within {MAX_RESPONSE} bytes: {e}"))?
        .to_bytes();
    drop(sender);
    conn.abort();
    Ok((parts, body.to_vec()))
}

fn rustls_name(host: &str) -> Result<tokio_rustls::rustls::pki_types::ServerName<'static>, String> {
    tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| format!("{host}: {e}"))
}

/// TLS with the Mozilla roots (webpki-roots), HTTP/1.1 only.
fn tls() -> &'static tokio_rustls::TlsConnector {
    static TLS: OnceLock<tokio_rustls::TlsConnector> = OnceLock::new();
    TLS.get_or_init(|| {
        use tokio_rustls::rustls;
        let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let mut config =
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        tokio_rustls::TlsConnector::from(Arc::new(config))
    })
}

/// What one connection wrote and read, up to a bound each.
#[derive(Default)]
struct Tap {
    written: Mutex<Vec<u8>>,
    read: Mutex<Vec<u8>>,
}

const TAP_BOUND: usize = MAX_REQUEST + MAX_RESPONSE + 64 * 1024;

impl Tap {
    fn keep(into: &Mutex<Vec<u8>>, bytes: &[u8]) {
        let mut kept = into.lock();
        let room = TAP_BOUND.saturating_sub(kept.len());
        kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The exchange as the connection carried it: the request whole, the
    /// response's head as read and its body as decoded (`body`: without
    /// chunked framing).
    fn exchange(&self, body: &[u8], started_ms: u64) -> Option<Exchange> {
        let written = self.written.lock();
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head) = req.parse(&written).ok()? else { return None };
        let request = RequestRecord {
            method: req.method?.to_string(),
            target: req.path?.to_string(),
            version: format!("HTTP/1.{}", req.version?),
            headers: lines(req.headers),
            body: String::from_utf8_lossy(&written[head..]).into_owned(),
        };
        let read = self.read.lock();
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut res = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(_) = res.parse(&read).ok()? else { return None };
        let response = ResponseRecord {
            status: res.code?,
            reason: res.reason.unwrap_or_default().to_string(),
            version: format!("HTTP/1.{}", res.version?),
            headers: lines(res.headers),
            body: String::from_utf8_lossy(body).into_owned(),
        };
        Some(Exchange { request, response, started_ms })
    }
}

fn lines(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers.iter().map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned())).collect()
}

/// A stream whose writes and reads are kept in its `Tap`.
struct Tapped<S> {
    inner: S,
    tap: Arc<Tap>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            Tap::keep(&self.tap.read, &buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tapped<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &polled {
            Tap::keep(&self.tap.written, &buf[..*n]);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_always_refused() {
        for ip in
            ["169.254.169.254", "169.254.1.1", "fe80::1", "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254"]
        {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(refused(ip, true).is_some(), "{ip}");
            assert!(refused(ip, false).is_some(), "{ip}");
        }
    }

    #[test]
    fn private_and_loopback_addresses_follow_the_flag() {
        for ip in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1", "fd12::1", "::ffff:127.0.0.1"]
        {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(refused(ip, true).is_none(), "{ip} with private allowed");
            assert!(refused(ip, false).is_some(), "{ip} with private refused");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(refused(ip.parse().unwrap(), false).is_none(), "{ip}");
        }
        assert!(refused("0.0.0.0".parse().unwrap(), true).is_some());
    }

    #[tokio::test]
    async fn only_the_providers_own_origins_are_called() {
        let mut out = Outbound::new(true);
        out.allow("http://127.0.0.1:1/issuer").unwrap();
        let other = http::Request::get("http://127.0.0.1:2/").body(vec![]).unwrap();
        let why = out.send(other).await.err().unwrap();
        assert!(why.contains("not one of this provider's origins"), "{why}");
        assert!(out.allow("ftp://example.org/").is_err());
        let mut refusing = Outbound::new(false);
        refusing.allow("http://127.0.0.1:9/").unwrap();
        let why = refusing.send(http::Request::get("http://127.0.0.1:9/").body(vec![]).unwrap()).await.err().unwrap();
        assert!(why.contains("private or loopback"), "{why}");
    }
}
