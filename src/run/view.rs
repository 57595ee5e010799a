//! A run as the pages show it: the sequence diagram and each step's
//! inspector, rendered to HTML on the server from the run's record (see
//! `pages::render`), with the few facts the pages act on beside them.
//!
//! Rendering on the server keeps the record's types, their JSON decoding
//! and the views of every part of a message out of the page's wasm. The
//! HTML is rendered from the recorded bytes, so the page shows only what
//! crossed the wire; the record itself is one link away (`/lab/runs/{id}`).

use super::{Grant, Mode, RunStatus};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: String,
    pub grant: Grant,
    pub mode: Mode,
    pub status: RunStatus,
    /// Where a guided run's browser pane starts.
    pub start_url: String,
    /// Each step's label, as the diagram draws it.
    pub labels: Vec<String>,
    /// The run's picture: lane names, the sequence diagram (an `<svg>`) and
    /// the same steps as a list, each step carrying `data-step="i"`.
    pub diagram: String,
    /// Each step's inspector, as HTML (empty when not asked for). Buttons
    /// that go to another step carry `data-go="j"`.
    pub inspector: Vec<String>,
    /// The inspector hides secrets (the "mask secrets" switch).
    pub masked: bool,
    /// In a misuse scenario: the step that tried the misuse, whether the
    /// defence held, and the recorded answer.
    pub verdict: Option<(usize, bool, String)>,
    /// The scenario's lab-only vulnerable switch was on for this run.
    pub vulnerable: bool,
}

/// What a learner's own program is configured with: the client the lab
/// registered for it, and where it finds the servers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSetup {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// The lab's base URL: the issuer, and the Mastodon API's base.
    pub base_url: String,
}

/// What the learner types on the page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderForm {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub userinfo_endpoint: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: String,
}

/// The provider as the lab's client knows it, with its client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSetup {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub client_id: String,
    /// Whether the lab holds a secret for it (never sent back to a page).
    pub confidential: bool,
    /// Registered by the lab (RFC 7591), or given by the learner.
    pub registered: bool,
    /// `client_secret_basic`, or `client_secret_post` where the provider
    /// offers only that.
    pub auth_method: String,
    pub scope: String,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    /// The origins the lab calls.
    pub origins: Vec<String>,
}

/// One of the back-channel steps the page offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderAction {
    ClientCredentials,
    Refresh,
    Revoke,
    Introspect,
    UserInfo,
}

impl RunView {
    pub fn steps(&self) -> usize {
        self.labels.len()
    }
}
