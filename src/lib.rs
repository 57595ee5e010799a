#![recursion_limit = "256"]
//! OAuth2 Lab: learn, teach and compare OAuth 2.0 grants against a real
//! authorization server and resource server that run inside this app.

pub mod demo;
#[cfg(feature = "ssr")]
pub mod lab;
#[cfg(feature = "ssr")]
pub mod oauth;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod resource;
pub mod run;
#[cfg(feature = "ssr")]
pub mod web;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panic messages in development; the release build leaves
    // the hook (and the formatting it pulls in) out of the wasm.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Islands: the pages are rendered on the server, and only their
    // interactive parts (`#[island]`) hydrate. The three labs (grant,
    // scenario, comparison) are lazy, each in wasm chunks of its own; the
    // small islands (chooser, demo clients, follower) are in this module,
    // so that the labs share few chunks: each chunk is a wasm module the
    // browser fetches, compiles and instantiates. Each island marks the
    // page interactive (`pages::hydrated`).
    leptos::mount::hydrate_islands();
}
