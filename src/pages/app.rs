//! The Leptos app: the HTML shell and the routes of the lab's pages.

use crate::pages::chooser::ChooserPage;
use crate::pages::classroom::FollowPage;
use crate::pages::compare::ComparePage;
use crate::pages::grant::GrantPage;
use crate::pages::home::HomePage;
use crate::pages::misuse::{MisuseIndex, MisusePage};
use crate::pages::own_app::OwnAppPage;
use crate::pages::own_provider::OwnProviderPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

/// The lab's style sheet, inlined into every page's head by `shell`.
/// cargo-leptos still builds it to `/pkg/oauth2-lab.css` for the
/// server-rendered consent and device pages.
const STYLE: &str = include_str!("../../style/main.css");

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <meta name="description" content="Learn, teach and compare OAuth 2.0 grants against a real authorization server."/>
                // The style sheet is inlined (about 3 KB gzipped): the first
                // paint then waits for no request, and not for the page's
                // wasm, whose preloads would otherwise share the bandwidth
                // with a linked sheet (Lighthouse's LCP on a slow network).
                <style inner_html=STYLE></style>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="OAuth2 Lab"/>
        <Router>
            <Routes fallback=|| view! { <main class="page"><h1>"Page not found"</h1><p><a href="/">"Back to the lab"</a></p></main> }>
                <Route path=StaticSegment("") view=HomePage/>
                <Route path=StaticSegment("choose") view=ChooserPage/>
                <Route path=StaticSegment("compare") view=ComparePage/>
                <Route path=(StaticSegment("follow"), ParamSegment("id")) view=FollowPage/>
                <Route path=(StaticSegment("grants"), ParamSegment("grant")) view=GrantPage/>
                <Route path=StaticSegment("misuse") view=MisuseIndex/>
                <Route path=StaticSegment("own-app") view=OwnAppPage/>
                <Route path=StaticSegment("own-provider") view=OwnProviderPage/>
                <Route path=(StaticSegment("misuse"), ParamSegment("scenario")) view=MisusePage/>
            </Routes>
        </Router>
    }
}
