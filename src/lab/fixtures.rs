//! The demo users and clients of `crate::demo`, turned into store records.

use super::Settings;
use crate::demo::{DEMO_CLIENTS, DEMO_USERS, SCOPES};
use crate::oauth::protocol::{AuthMethod, GrantType, ResponseType};
use crate::oauth::store::{Client, User};
use crate::oauth::util::sha256;

pub fn demo_users() -> Vec<User> {
    DEMO_USERS
        .iter()
        .enumerate()
        .map(|(i, (name, password, display, email))| User {
            id: (i + 1).to_string(),
            username: name.to_string(),
            display_name: display.to_string(),
            email: email.to_string(),
            password_hash: sha256(password.as_bytes()),
        })
        .collect()
}

pub fn demo_clients(settings: &Settings) -> Vec<Client> {
    DEMO_CLIENTS
        .iter()
        .map(|d| Client {
            client_id: d.client_id.to_string(),
            client_name: d.client_name.to_string(),
            secret_hash: d.secret.map(|s| sha256(s.as_bytes())),
            redirect_uris: if d.redirect_path.is_empty() { vec![] } else { vec![settings.url(d.redirect_path)] },
            grant_types: d.grant_types.iter().filter_map(|s| GrantType::parse(s)).collect(),
            response_types: d.response_types.iter().filter_map(|s| ResponseType::parse(s)).collect(),
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            auth_method: AuthMethod::parse(d.auth_method).unwrap_or(AuthMethod::ClientSecretBasic),
            issued_at: 0,
            // The apps that sign users in send them home when they sign out.
            post_logout_redirect_uris: if d.redirect_path.is_empty() { vec![] } else { vec![settings.url("/")] },
            client_uri: None,
        })
        .collect()
}
