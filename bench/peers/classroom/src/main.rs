//! The classroom benchmark's load generator (`bench/classroom.sh`).
//!
//!   classroom --lab http://127.0.0.1:P[,http://127.0.0.1:Q] [--followers N] [--moves K]
//!
//! Opens a class on the first lab, starts a run and shows it, then opens N
//! followers spread over the labs given. Each follower holds the class's
//! event stream, and fetches the view of each new run it is shown (gzip,
//! with the ETag it has), as the follow page does, on a connection of its
//! own: a browser whose idle connections have closed, the worse case, and
//! the one this machine's limit of 20,000 open files allows for 10,000. Then the presenter moves K steps
//! and starts a new run, and this prints, as JSON: for each step the time
//! from the presenter's move until the last follower has it; for the new
//! run the time until the last follower has fetched its view; and the
//! followers' counts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

struct Lab {
    host: String,
}

impl Lab {
    fn parse(url: &str) -> Lab {
        Lab { host: url.trim_start_matches("http://").trim_end_matches('/').to_string() }
    }
}

/// One HTTP/1.1 exchange on `conn`: the status, headers (lower-cased
/// names) and body, read by Content-Length or chunked.
async fn exchange(conn: &mut TcpStream, request: &[u8]) -> std::io::Result<(u16, HashMap<String, String>, Vec<u8>)> {
    conn.write_all(request).await?;
    let mut buf = Vec::with_capacity(8192);
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        read_more(conn, &mut buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf.split_off(head_end + 4);
    if let Some(len) = headers.get("content-length").and_then(|l| l.parse::<usize>().ok()) {
        while body.len() < len {
            read_more(conn, &mut body).await?;
        }
        body.truncate(len);
    } else if headers.get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        let mut out = vec![];
        loop {
            let line_end = loop {
                if let Some(i) = find(&body, b"\r\n") {
                    break i;
                }
                read_more(conn, &mut body).await?;
            };
            let size = usize::from_str_radix(String::from_utf8_lossy(&body[..line_end]).trim(), 16).unwrap_or(0);
            while body.len() < line_end + 2 + size + 2 {
                read_more(conn, &mut body).await?;
            }
            out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
            body.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
        body = out;
    }
    Ok((status, headers, body))
}

async fn read_more(conn: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 16384];
    let n = conn.read(&mut chunk).await?;
    if n == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn post_form(lab: &Lab, path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        lab.host,
        body.len()
    )
    .into_bytes()
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the followers have received: per view (the permalink), how many
/// have it, and when the last one got it.
#[derive(Default)]
struct Tally {
    got: Mutex<HashMap<String, (usize, Instant)>>,
    fetched: Mutex<HashMap<String, (usize, Instant)>>,
    not_modified: AtomicUsize,
    failures: AtomicUsize,
}

async fn mark(map: &Mutex<HashMap<String, (usize, Instant)>>, key: &str) {
    let mut m = map.lock().await;
    let e = m.entry(key.to_string()).or_insert((0, Instant::now()));
    e.0 += 1;
    e.1 = Instant::now();
}

fn param<'a>(view: &'a str, name: &str) -> Option<&'a str> {
    view.split_once('?')?.1.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

async fn follower(lab: Arc<Lab>, class: Arc<String>, tally: Arc<Tally>, ready: Arc<AtomicUsize>) {
    let run = async {
        let mut events = TcpStream::connect(&lab.host).await?;
        events.set_nodelay(true)?;
        let ask = format!(
            "GET /lab/classes/{class}/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            lab.host
        );
        events.write_all(ask.as_bytes()).await?;
        let mut buf = Vec::with_capacity(4096);
        let mut counted = false;
        let mut shown_run = String::new();
        let mut etags: HashMap<String, String> = HashMap::new();
        loop {
            read_more(&mut events, &mut buf).await?;
            if !counted && find(&buf, b"\r\n\r\n").is_some() {
                counted = true;
                ready.fetch_add(1, Ordering::Relaxed);
            }
            // SSE events end with a blank line; each arrives in a chunk of
            // its own, so chunk-size lines are lines of no interest here.
            while let Some(end) = find(&buf, b"\n\n") {
                let block = String::from_utf8_lossy(&buf[..end]).to_string();
                buf.drain(..end + 2);
                let Some(view) = block.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
                mark(&tally.got, view).await;
                let Some(run) = param(view, "run") else { continue };
                if run == shown_run {
                    continue;
                }
                shown_run = run.to_string();
                // A new run: the page fetches its view.
                let mut ask = format!(
                    "GET /lab/runs/{run}/view?mask=false&bare=false HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: gzip, deflate, br\r\n",
                    lab.host
                );
                if let Some(etag) = etags.get(run) {
                    ask.push_str(&format!("If-None-Match: {etag}\r\n"));
                }
                ask.push_str("\r\n");
                ask.push_str("Connection: close\r\n");
                let mut fetch = TcpStream::connect(&lab.host).await?;
                fetch.set_nodelay(true)?;
                let (status, headers, _) = exchange(&mut fetch, ask.as_bytes()).await?;
                match status {
                    200 => {
                        if let Some(e) = headers.get("etag") {
                            etags.insert(run.to_string(), e.clone());
                        }
                    }
                    304 => {
                        tally.not_modified.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        tally.failures.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
                mark(&tally.fetched, run).await;
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    };
    if run.await.is_err() {
        tally.failures.fetch_add(1, Ordering::Relaxed);
    }
}

async fn wait_for(map: &Mutex<HashMap<String, (usize, Instant)>>, key: &str, n: usize, limit: Duration) -> Option<Instant> {
    let until = Instant::now() + limit;
    loop {
        if let Some((count, last)) = map.lock().await.get(key).copied() {
            if count >= n {
                return Some(last);
            }
        }
        if Instant::now() > until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn start_run(lab: &Lab) -> String {
    let mut conn = TcpStream::connect(&lab.host).await.expect("the lab listens");
    let (status, _, body) = exchange(
        &mut conn,
        &post_form(lab, "/lab/fn/start_run", "grant=AuthorizationCode&mode=Autoplay&lifecycle=true"),
    )
    .await
    .expect("start_run answers");
    assert_eq!(status, 200, "start_run: {}", String::from_utf8_lossy(&body));
    let view: serde_json::Value = serde_json::from_slice(&body).expect("a run view");
    view["id"].as_str().expect("the run's id").to_string()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let labs: Vec<Arc<Lab>> = arg("--lab")
        .expect("--lab http://127.0.0.1:PORT[,…]")
        .split(',')
        .map(|u| Arc::new(Lab::parse(u)))
        .collect();
    let n: usize = arg("--followers").and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let moves: usize = arg("--moves").and_then(|v| v.parse().ok()).unwrap_or(10);
    let presenter = labs[0].clone();

    let mut conn = TcpStream::connect(&presenter.host).await.expect("the lab listens");
    let (status, _, body) =
        exchange(&mut conn, &post_form(&presenter, "/lab/fn/open_class", "")).await.expect("open_class answers");
    assert_eq!(status, 200, "open_class: {}", String::from_utf8_lossy(&body));
    let class: Vec<String> = serde_json::from_slice(&body).expect("a class id and key");
    let (id, key) = (Arc::new(class[0].clone()), class[1].clone());
    let mut seq = 0u64;
    let mut show = |view: String| {
        seq += 1;
        post_form(&presenter, "/lab/fn/move_class", &format!("id={id}&key={key}&view={}&seq={seq}", encode(&view)))
    };

    let first_run = start_run(&presenter).await;
    let view = format!("/grants/authorization-code?run={first_run}&step=1");
    let (status, _, _) = exchange(&mut conn, &show(view.clone())).await.expect("move_class answers");
    assert_eq!(status, 200);

    let tally = Arc::new(Tally::default());
    let ready = Arc::new(AtomicUsize::new(0));
    let opened = Instant::now();
    for i in 0..n {
        tokio::spawn(follower(labs[i % labs.len()].clone(), id.clone(), tally.clone(), ready.clone()));
        if i % 500 == 499 {
            // A class arrives over a few seconds, not in one instant.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let all_fetched = wait_for(&tally.fetched, &first_run, n, Duration::from_secs(120)).await;
    let connected = ready.load(Ordering::Relaxed);
    let open_s = opened.elapsed().as_secs_f64();
    eprintln!("classroom: {connected} of {n} followers connected in {open_s:.1} s; all have the first run: {}", all_fetched.is_some());
    // Time for the servers to settle, and for the script to read their RSS.
    println!("{{\"phase\":\"open\",\"followers\":{n},\"connected\":{connected},\"seconds\":{open_s:.2}}}");
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut steps = vec![];
    for k in 0..moves {
        let view = format!("/grants/authorization-code?run={first_run}&step={}", k + 2);
        let request = show(view.clone());
        let sent = Instant::now();
        let (status, _, _) = exchange(&mut conn, &request).await.expect("move_class answers");
        assert_eq!(status, 200);
        let ms = wait_for(&tally.got, &view, n, Duration::from_secs(60))
            .await
            .map(|last| last.saturating_duration_since(sent).as_secs_f64() * 1000.0);
        steps.push(ms);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // A new run: the presenter starts it (its own time), then shows it, and
    // every follower fetches its view.
    let started = Instant::now();
    let second_run = start_run(&presenter).await;
    let start_ms = started.elapsed().as_secs_f64() * 1000.0;
    let view = format!("/grants/authorization-code?run={second_run}&step=1");
    let request = show(view.clone());
    let sent = Instant::now();
    let (status, _, _) = exchange(&mut conn, &request).await.expect("move_class answers");
    assert_eq!(status, 200);
    let event_ms = wait_for(&tally.got, &view, n, Duration::from_secs(120))
        .await
        .map(|last| last.saturating_duration_since(sent).as_secs_f64() * 1000.0);
    let run_ms = wait_for(&tally.fetched, &second_run, n, Duration::from_secs(120))
        .await
        .map(|last| last.saturating_duration_since(sent).as_secs_f64() * 1000.0);

    // Back to the first run: the followers have its view and get a 304.
    let view = format!("/grants/authorization-code?run={first_run}&step=3");
    let request = show(view.clone());
    let sent = Instant::now();
    let (status, _, _) = exchange(&mut conn, &request).await.expect("move_class answers");
    assert_eq!(status, 200);
    let back_ms = wait_for(&tally.fetched, &first_run, 2 * n, Duration::from_secs(120))
        .await
        .map(|last| last.saturating_duration_since(sent).as_secs_f64() * 1000.0);

    let out = serde_json::json!({
        "phase": "done",
        "followers": n,
        "labs": labs.len(),
        "connected": ready.load(Ordering::Relaxed),
        "step_ms": steps,
        "start_run_ms": start_ms,
        "new_run_event_ms": event_ms,
        "new_run_ms": run_ms,
        "back_to_cached_run_ms": back_ms,
        "not_modified": tally.not_modified.load(Ordering::Relaxed),
        "failures": tally.failures.load(Ordering::Relaxed),
    });
    println!("{out}");
}
