//! Scope names (RFC 6749 §3.3): the lab's own `read` and `write`, OpenID
//! Connect's, and Mastodon's, which a Mastodon client asks for by name:
//! `follow` and `push`, and the granular `read:statuses` kind, each
//! covered by its parent (docs.joinmastodon.org, "OAuth scopes").

use crate::demo::SCOPES;

/// The granular scopes under `read`.
pub const MASTODON_READ: [&str; 11] = [
    "accounts",
    "blocks",
    "bookmarks",
    "favourites",
    "filters",
    "follows",
    "lists",
    "mutes",
    "notifications",
    "search",
    "statuses",
];
/// The granular scopes under `write`.
pub const MASTODON_WRITE: [&str; 13] = [
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "statuses",
];
/// What Mastodon's deprecated `follow` scope stands for.
const FOLLOW: [&str; 6] = ["read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"];

/// Whether the server knows `scope`.
pub fn is_known(scope: &str) -> bool {
    SCOPES.contains(&scope) || matches!(scope, "follow" | "push") || granular(scope).is_some()
}

/// `read:statuses` as (`read`, `statuses`), for a known granular scope.
fn granular(scope: &str) -> Option<(&str, &str)> {
    let (parent, what) = scope.split_once(':')?;
    let known = match parent {
        "read" => MASTODON_READ.contains(&what),
        "write" => MASTODON_WRITE.contains(&what),
        _ => false,
    };
    known.then_some((parent, what))
}

/// Whether scopes `granted` cover `needed`: it is granted, or its parent is
/// (`read` covers `read:statuses`), or `follow` is and stands for it.
pub fn covers(granted: &[String], needed: &str) -> bool {
    let has = |s: &str| granted.iter().any(|g| g == s);
    has(needed)
        || granular(needed).is_some_and(|(parent, _)| has(parent))
        || (has("follow") && FOLLOW.contains(&needed))
}

/// What a scope lets the app do, in the consent page's words.
pub fn meaning(scope: &str) -> String {
    let fixed = match scope {
        "read" => "read your account, your statuses and your home timeline",
        "write" => "post and delete statuses in your name",
        "openid" => "sign you in to the app: it learns who you are, from an ID token (OpenID Connect)",
        "profile" => "see your name and username",
        "email" => "see your email address",
        "follow" => "see and change whom you follow, block and mute (Mastodon's older name for these six scopes)",
        "push" => "receive Web Push notifications for you",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    match granular(scope) {
        Some(("read", what)) => format!("read your {what}"),
        Some((_, what)) => format!("change your {what}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_cover_their_granular_scopes_and_nothing_else() {
        let g = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(covers(&g(&["read"]), "read:statuses"));
        assert!(covers(&g(&["write:statuses"]), "write:statuses"));
        assert!(!covers(&g(&["read"]), "write:statuses"));
        assert!(!covers(&g(&["read:accounts"]), "read"));
        assert!(covers(&g(&["follow"]), "write:follows"));
        assert!(!covers(&g(&["follow"]), "write:statuses"));
        assert!(is_known("read:notifications") && is_known("push") && !is_known("read:nothing") && !is_known("admin"));
        assert_eq!(meaning("read:statuses"), "read your statuses");
    }
}
