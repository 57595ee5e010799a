//! What the lab records is what crossed its socket: a raw TCP relay in the
//! test sits between a client and the lab and keeps every byte each way;
//! the recorded requests and responses, written out as HTTP/1.1, are those
//! bytes exactly, header names' case and order included.

use crate::common::*;
use crate::own_app::{own_app, record};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub(crate) type Kept = Arc<parking_lot::Mutex<Vec<u8>>>;

/// Copies `from` to `to`, keeping every byte, until `from` ends.
pub(crate) async fn pipe(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, kept: Kept) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            let _ = to.shutdown().await;
            return;
        }
        kept.lock().extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A relay for one connection to the lab at `to`: its address, and the
/// bytes it carries up (client to lab) and down.
async fn relay(to: String) -> (String, Kept, Kept) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (up, down): (Kept, Kept) = Default::default();
    let (u, d) = (up.clone(), down.clone());
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let server = TcpStream::connect(to).await.unwrap();
        let (cr, cw) = client.into_split();
        let (sr, sw) = server.into_split();
        tokio::join!(pipe(cr, sw, u), pipe(sr, cw, d));
    });
    (addr, up, down)
}

/// Reads one HTTP/1.1 response with a Content-Length body off `stream`.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut got = vec![];
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the connection closed mid-response");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// A recorded step's request and response, written out as HTTP/1.1 puts
/// them on the wire.
pub(crate) fn as_sent(step: &serde_json::Value) -> (String, String) {
    let (q, r) = (&step["exchange"]["request"], &step["exchange"]["response"]);
    let start = format!(
        "{} {} {}",
        q["method"].as_str().unwrap(),
        q["target"].as_str().unwrap(),
        q["version"].as_str().unwrap()
    );
    let status = format!("{} {} {}", r["version"].as_str().unwrap(), r["status"], r["reason"].as_str().unwrap());
    (written(start, &q["headers"], &q["body"]), written(status, &r["headers"], &r["body"]))
}

/// A recorded message written out as HTTP/1.1 puts it on the wire.
fn written(start: String, headers: &serde_json::Value, body: &serde_json::Value) -> String {
    let mut out = format!("{start}\r\n");
    for h in headers.as_array().unwrap() {
        out.push_str(&format!("{}: {}\r\n", h[0].as_str().unwrap(), h[1].as_str().unwrap()));
    }
    out.push_str("\r\n");
    out.push_str(body.as_str().unwrap());
    out
}

#[tokio::test]
async fn recorded_messages_are_the_bytes_on_the_wire_header_case_and_order_included() {
    let lab = start().await;
    let (run, setup) = own_app(&lab, "").await;
    let (id, secret) = (setup["client_id"].as_str().unwrap(), setup["client_secret"].as_str().unwrap());
    let (relay, up, down) = relay(lab.base.trim_start_matches("http://").to_string()).await;
    let mut client = TcpStream::connect(&relay).await.unwrap();

    // A token request with headers in an order and a case of its own, and
    // one name sent twice, apart.
    let body = "grant_type=client_credentials&scope=read";
    let token_request = format!(
        "POST /oauth/token HTTP/1.1\r\nX-Trace: one\r\nHost: {relay}\r\nAuthorization: {}\r\nCONTENT-TYPE: application/x-www-form-urlencoded\r\nx-trace: two\r\nContent-Length: {}\r\nUser-Agent: my-own-client/1.0\r\n\r\n{body}",
        basic(id, secret),
        body.len()
    );
    client.write_all(token_request.as_bytes()).await.unwrap();
    let token_response = read_response(&mut client).await;
    let (_, json) = token_response.split_once("\r\n\r\n").unwrap();
    let token: serde_json::Value = serde_json::from_str(json).unwrap();
    let access = token["access_token"].as_str().unwrap();
    // On the same connection, an API call.
    let api_request = format!(
        "GET /api/v1/apps/verify_credentials HTTP/1.1\r\naccept: application/json\r\nauthorization: Bearer {access}\r\nHOST: {relay}\r\n\r\n"
    );
    client.write_all(api_request.as_bytes()).await.unwrap();
    let api_response = read_response(&mut client).await;
    assert!(api_response.starts_with("HTTP/1.1 200 OK\r\n"), "{api_response}");
    drop(client);

    let rec = record(&lab, &run).await;
    let steps: Vec<&serde_json::Value> = rec["steps"].as_array().unwrap().iter().skip(1).collect();
    assert_eq!(steps.len(), 2, "the token request and the API call: {rec}");
    let (mut sent, mut answered) = (String::new(), String::new());
    for step in &steps {
        let (request, response) = as_sent(step);
        sent.push_str(&request);
        answered.push_str(&response);
    }
    let up = String::from_utf8(up.lock().clone()).unwrap();
    let down = String::from_utf8(down.lock().clone()).unwrap();
    assert_eq!(up, format!("{token_request}{api_request}"), "the relay carried what the client wrote");
    assert_eq!(sent, up, "the recorded requests are the bytes sent");
    assert_eq!(answered, down, "the recorded responses are the bytes answered");
}
