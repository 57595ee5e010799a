//! The lab's demo users and pre-registered clients, shared by the server
//! (which registers them) and the pages (which list them), so what the
//! home page shows is what the server holds. Their secrets are public on
//! purpose: this is a lab.

/// The resource server's scopes: what a token may do at the API.
pub const API_SCOPES: [&str; 2] = ["read", "write"];

/// OpenID Connect's (Core 1.0 §3.1.2.1, §5.4): `openid` asks for an ID
/// token, `profile` and `email` for those claims at UserInfo.
pub const OIDC_SCOPES: [&str; 3] = ["openid", "profile", "email"];

/// Every scope the authorization server knows.
pub const SCOPES: [&str; 5] = ["read", "write", "openid", "profile", "email"];

/// (username, password, display name, email)
pub const DEMO_USERS: [(&str, &str, &str, &str); 3] = [
    ("alice", "wonderland", "Alice Liddell", "alice@example.com"),
    ("bob", "builder", "Bob the Builder", "bob@example.com"),
    ("mallory", "attacker", "Mallory, the attacker in the misuse scenarios", "mallory@example.net"),
];

/// A demo client as the README lists it.
pub struct DemoClient {
    pub client_id: &'static str,
    pub client_name: &'static str,
    pub kind: &'static str,
    pub secret: Option<&'static str>,
    /// Path on the lab's public URL; empty for a client with no redirect.
    pub redirect_path: &'static str,
    pub grant_types: &'static [&'static str],
    pub response_types: &'static [&'static str],
    /// `token_endpoint_auth_method` (RFC 7591 §2).
    pub auth_method: &'static str,
}

pub const DEMO_CLIENTS: [DemoClient; 4] = [
    DemoClient {
        client_id: "web-app",
        client_name: "Lab web app",
        kind: "confidential web app (server-side)",
        secret: Some("web-app-secret"),
        redirect_path: "/lab/callback",
        grant_types: &["authorization_code", "refresh_token"],
        response_types: &["code"],
        auth_method: "client_secret_basic",
    },
    DemoClient {
        client_id: "spa",
        client_name: "Lab single-page app",
        kind: "public single-page app (browser only)",
        secret: None,
        redirect_path: "/lab/spa/callback",
        grant_types: &["authorization_code", "implicit", "refresh_token"],
        response_types: &["code", "token"],
        auth_method: "none",
    },
    DemoClient {
        client_id: "service",
        client_name: "Lab service",
        kind: "machine-to-machine service (no user)",
        secret: Some("service-secret"),
        redirect_path: "",
        grant_types: &["client_credentials"],
        response_types: &[],
        auth_method: "client_secret_basic",
    },
    DemoClient {
        client_id: "first-party",
        client_name: "Lab first-party app",
        kind: "first-party app with the password grant, kept to show why not",
        secret: Some("first-party-secret"),
        redirect_path: "",
        grant_types: &["password", "refresh_token"],
        response_types: &[],
        auth_method: "client_secret_post",
    },
];
