//! One test or more per numbered line of docs/CONFORMANCE.md,
//! named `line_NN_...` after its number.

mod authorize;
mod discovery;
mod mastodon;
mod oidc;
mod resource;
mod revoke_introspect;
mod robustness;
mod token;
