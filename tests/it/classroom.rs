//! Classroom over HTTP: a class opens with a presenter key, only that key
//! moves it, and followers get each view as a server-sent event.

use crate::common::*;
use reqwest::StatusCode;

/// Reads the event stream until `n` more `view` events have arrived.
async fn views(res: &mut reqwest::Response, n: usize) -> Vec<String> {
    let mut text = String::new();
    let mut out = vec![];
    while out.len() < n {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event in time; so far: {text:?}"));
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("the stream stays open")));
        out = text
            .split("\n\n")
            .filter(|e| e.contains("event: view"))
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ").or(l.strip_prefix("data:"))))
            .map(str::to_string)
            .collect();
    }
    out
}

#[tokio::test]
async fn a_class_follows_its_presenter_and_only_its_presenter() {
    let lab = start().await;
    let opened = lab.server_fn("open_class", "", None).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    let (id, key): (String, String) = serde_json::from_str(&opened.text).unwrap();
    assert!(id.starts_with("class_") && key.starts_with("key_"));

    let mut stream = lab.http.get(lab.url(&format!("/lab/classes/{id}/events"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    // Nothing is shown yet, so nothing is sent until the presenter moves.
    let at = |view: &str, key: &str| form(&[("id", &id), ("key", key), ("view", view)]);
    let moved = lab.server_fn("move_class", &at("/grants/implicit?run=run_x&step=2", &key), None).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(views(&mut stream, 1).await, vec!["/grants/implicit?run=run_x&step=2".to_string()]);

    // A student cannot move the class, nor point it off the lab.
    let forged = lab.server_fn("move_class", &at("/grants/implicit?step=3", "key_guess"), None).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    let elsewhere = lab.server_fn("move_class", &at("https://evil.example/", &key), None).await;
    assert_eq!(elsewhere.status, StatusCode::BAD_REQUEST, "{}", elsewhere.text);
    let moved = lab.server_fn("move_class", &at("/compare?grants=implicit,password", &key), None).await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(views(&mut stream, 1).await, vec!["/compare?grants=implicit,password".to_string()]);

    // A late follower gets the current view first.
    let mut late = lab.http.get(lab.url(&format!("/lab/classes/{id}/events"))).send().await.unwrap();
    assert_eq!(views(&mut late, 1).await, vec!["/compare?grants=implicit,password".to_string()]);

    // The presenter's views are numbered; one that arrives after a newer
    // one (requests overtake each other) is dropped.
    let numbered = |view: &str, seq: &str| form(&[("id", &id), ("key", &key), ("view", view), ("seq", seq)]);
    lab.server_fn("move_class", &numbered("/grants/password?step=5", "5"), None).await;
    lab.server_fn("move_class", &numbered("/grants/password?step=4", "4"), None).await;
    let mut later = lab.http.get(lab.url(&format!("/lab/classes/{id}/events"))).send().await.unwrap();
    assert_eq!(views(&mut later, 1).await, vec!["/grants/password?step=5".to_string()]);

    assert_eq!(lab.get("/lab/classes/class_nope/events").await.status, StatusCode::NOT_FOUND);

    // The follow link as a QR code, for the projector: the class's public
    // follow URL, and only for a class that exists.
    let qr = lab.get(&format!("/lab/classes/{id}/qr.svg")).await;
    assert_eq!(qr.status, StatusCode::OK);
    assert_eq!(qr.header("content-type"), "image/svg+xml");
    let expected = oauth2_lab::lab::classroom::follow_qr_svg(&lab.url(&format!("/follow/{id}"))).unwrap();
    assert_eq!(qr.text, expected);
    assert!(qr.text.contains("<svg"));
    assert_eq!(lab.get("/lab/classes/class_nope/qr.svg").await.status, StatusCode::NOT_FOUND);
}

/// The `id:` lines of the stream read so far, until `n` view events.
async fn view_ids(res: &mut reqwest::Response, n: usize) -> Vec<(String, String)> {
    let mut text = String::new();
    loop {
        let events: Vec<(String, String)> = text
            .split("\n\n")
            .filter(|e| e.contains("event: view"))
            .filter_map(|e| {
                let field = |name: &str| e.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string());
                Some((field("id:")?, field("data:")?))
            })
            .collect();
        if events.len() >= n {
            return events;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no event in time; so far: {text:?}"));
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("the stream stays open")));
    }
}

#[tokio::test]
async fn a_follower_that_reconnects_with_last_event_id_gets_the_current_step_at_once() {
    let lab = start().await;
    let opened = lab.server_fn("open_class", "", None).await;
    let (id, key): (String, String) = serde_json::from_str(&opened.text).unwrap();
    let at = |view: &str| form(&[("id", &id), ("key", &key), ("view", view)]);
    let events = lab.url(&format!("/lab/classes/{id}/events"));
    lab.server_fn("move_class", &at("/grants/password?run=run_x&step=1"), None).await;
    let mut stream = lab.http.get(&events).send().await.unwrap();
    let first = view_ids(&mut stream, 1).await;
    assert_eq!(first[0].1, "/grants/password?run=run_x&step=1");
    // The phone drops off; the presenter moves on twice meanwhile.
    drop(stream);
    lab.server_fn("move_class", &at("/grants/password?run=run_x&step=2"), None).await;
    lab.server_fn("move_class", &at("/grants/password?run=run_x&step=3"), None).await;
    let mut back = lab.http.get(&events).header("Last-Event-ID", &first[0].0).send().await.unwrap();
    let resumed = view_ids(&mut back, 1).await;
    assert_eq!(resumed[0].1, "/grants/password?run=run_x&step=3", "the current step, not the missed ones");
    let (was, now) = (first[0].0.parse::<u64>().unwrap(), resumed[0].0.parse::<u64>().unwrap());
    assert!(now > was, "event ids grow with each view: {was} then {now}");
}
