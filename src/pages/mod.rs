//! One module per page, and the parts of the grant page.

pub mod app;
pub mod chooser;
pub mod classroom;
pub mod compare;
pub mod grant;
pub mod home;
pub mod misuse;
pub mod own_app;
pub mod own_provider;
pub mod player;
#[cfg(feature = "ssr")]
pub mod render;
pub mod runview;
pub mod stepping;

use leptos::prelude::*;

/// Tells browser tests (and the curious) that the page's interactive part
/// has hydrated: each island calls this once it is live.
pub fn hydrated() {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// A parameter of the page's query string, the same on the server (from the
/// router) and in an island in the browser (from the address bar), where
/// there is no router.
pub fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get(name))
    }
    #[cfg(not(feature = "ssr"))]
    {
        classroom::param(&window().location().search().unwrap_or_default(), name)
    }
}
