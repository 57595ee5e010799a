//! What each connection's socket read, so that a recorded request keeps
//! its header names' case and their order exactly as sent: hyper hands
//! the handlers a `HeaderMap`, which lowercases names and groups repeated
//! ones. `Listener` accepts TCP connections whose reads are also kept in
//! the connection's `Wire` (the last `KEPT` bytes only); the capture layer
//! takes a request's head from there (`Wire::head_of`) and parses it with
//! `httparse`.

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use parking_lot::Mutex;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The most of a connection's recent reads that is kept: more than the
/// head and body of any request the capture layer reads whole.
const KEPT: usize = 128 * 1024;
/// Header lines parsed at most, as hyper's own default.
const MAX_HEADERS: usize = 100;

/// The bytes a connection has read and no request has taken yet.
#[derive(Default)]
pub struct Wire {
    read: Mutex<Vec<u8>>,
}

impl Wire {
    fn keep(&self, bytes: &[u8]) {
        let mut read = self.read.lock();
        if bytes.len() >= KEPT {
            read.clear();
            read.extend_from_slice(&bytes[bytes.len() - KEPT..]);
            return;
        }
        // Past the bound, the older half goes at once: a busy connection
        // moves its kept bytes once per KEPT / 2 bytes read, not per read.
        if read.len() + bytes.len() > KEPT {
            let keep_from = read.len() + bytes.len() - KEPT / 2;
            let all = read.len();
            read.drain(..keep_from.min(all));
        }
        read.extend_from_slice(bytes);
    }

    /// The header lines, as sent, of the request whose request line is
    /// `method target HTTP/1.x` and whose body is `body`, when it is the
    /// last request the connection read; what came before it, and the
    /// request itself, are let go. `None` when the bytes do not show that
    /// request (another protocol, or bytes no longer kept).
    pub fn head_of(&self, method: &str, target: &str, body: &[u8]) -> Option<Vec<(String, String)>> {
        let mut read = self.read.lock();
        let line = format!("{method} {target} HTTP/1.");
        let start = find_last(&read, line.as_bytes())?;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head) = request.parse(&read[start..]).ok()? else { return None };
        let sent = request
            .headers
            .iter()
            .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
            .collect::<Vec<_>>();
        // A body sent as it is read (Content-Length) follows the head; a
        // chunked one does not match, and only the head is let go.
        let end = start + head;
        let taken = if read[end..].starts_with(body) { end + body.len() } else { end };
        read.drain(..taken);
        Some(sent)
    }
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    (0..=haystack.len().checked_sub(needle.len())?).rev().find(|&i| haystack[i..].starts_with(needle))
}

/// A connection: its peer's address and what it has read.
#[derive(Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    pub wire: Arc<Wire>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

impl Connected<IncomingStream<'_, Listener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose connections keep what they read.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = Tapped;
    type Addr = Peer;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.0).await;
        let wire = Arc::new(Wire::default());
        (Tapped { stream, wire: wire.clone() }, Peer { addr, wire })
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(Peer { addr: self.0.local_addr()?, wire: Arc::default() })
    }
}

/// A TCP stream whose reads are kept in its `Wire`.
pub struct Tapped {
    stream: TcpStream,
    wire: Arc<Wire>,
}

impl AsyncRead for Tapped {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            self.wire.keep(&buf.filled()[before..]);
        }
        polled
    }
}

impl AsyncWrite for Tapped {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requests_head_comes_back_as_sent_and_is_let_go() {
        let wire = Wire::default();
        wire.keep(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /oauth/token HTTP/1.1\r\nHost: x\r\nX-One: 1\r\n");
        wire.keep(b"content-type: a\r\nx-one: 2\r\nContent-Length: 3\r\n\r\nabc");
        let head = wire.head_of("POST", "/oauth/token", b"abc").unwrap();
        let names: Vec<&str> = head.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["Host", "X-One", "content-type", "x-one", "Content-Length"]);
        assert!(wire.read.lock().is_empty(), "the request and what came before are let go");
        assert_eq!(wire.head_of("GET", "/a", b""), None, "taken once");
    }

    #[test]
    fn only_the_last_bytes_are_kept() {
        let wire = Wire::default();
        wire.keep(&vec![b'x'; KEPT + 10]);
        wire.keep(b"yz");
        let read = wire.read.lock();
        assert!(read.len() <= KEPT && read.len() >= KEPT / 2, "{}", read.len());
        assert!(read.ends_with(b"xyz"));
    }
}
