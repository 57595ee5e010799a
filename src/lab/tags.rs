//! The lab's marks on the wire: the header that files a request under its
//! run, and the user agents of the lab's own parties, which the capture
//! layer reads to say who sent a request.

/// The header the lab's client (and the implicit grant's browser script)
/// puts on its requests so the lab can file them under the run.
pub const RUN_HEADER: &str = "x-lab-run";
/// The run's key beside it, which only the lab's own parties hold: with
/// it, or from the run's own learner's browser, a request may write into
/// the run. It is never recorded.
pub const KEY_HEADER: &str = "x-lab-run-key";
/// The cookie that binds an app's `state` to the browser that began the
/// login (RFC 6749 §10.12, RFC 9700 §4.7.1): the demo web app's and each
/// run's app's.
pub const APP_BROWSER_COOKIE: &str = "oauth2_lab_app";
/// The cookie that tells a learner's browser from the others.
pub const LEARNER_COOKIE: &str = "oauth2_lab_learner";
/// The lab's browser, playing alice.
pub const BROWSER_AGENT: &str = "oauth2-lab-user-agent/0.1 (the lab's browser, playing alice)";
/// The run's app, the `oauth2` crate.
pub const CLIENT_AGENT: &str = "oauth2-lab-client/0.1 (Rust oauth2 crate)";
