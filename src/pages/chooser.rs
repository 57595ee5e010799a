//! The grant chooser (`/choose`): a few questions, and the grant RFC 9700
//! recommends, with its reasons and one click to run it.

use crate::run::Grant;
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Unanswered,
    Yes,
    No,
}

struct Question {
    id: &'static str,
    text: &'static str,
    hint: &'static str,
}

const QUESTIONS: [Question; 6] = [
    Question { id: "user", text: "Is a user involved?", hint: "Does the app act for a person, or only for itself?" },
    Question {
        id: "secret",
        text: "Can the client keep a secret?",
        hint: "Code on your server can; code shipped to browsers, phones or desktops cannot.",
    },
    Question {
        id: "first-party",
        text: "Is it a first-party app?",
        hint: "Made by the same organisation that runs the authorization server.",
    },
    Question {
        id: "browser",
        text: "Does it run only in a browser?",
        hint: "A single-page app with no server of its own.",
    },
    Question {
        id: "constrained",
        text: "Is the device short of a keyboard or a browser?",
        hint: "A TV, a console, a command-line tool on a server, an IoT device.",
    },
    Question {
        id: "sign-in",
        text: "Does the app sign users in?",
        hint: "It needs to know who the user is (\"Sign in with ...\"), not only to call an API for them.",
    },
];

pub struct Recommendation {
    pub title: &'static str,
    pub grant: Option<Grant>,
    pub reasons: Vec<&'static str>,
}

/// RFC 9700's advice (§2.1, §2.4, §2.5), RFC 8252 for native apps and
/// RFC 8628 for devices.
fn recommend(a: &[Answer; 6]) -> Option<Recommendation> {
    let [user, secret, first_party, browser, constrained, sign_in] = *a;
    if user == Answer::Unanswered {
        return None;
    }
    if user == Answer::No {
        let mut reasons = vec![
            "No user is involved, so the client asks for a token on its own behalf (RFC 6749 §4.4).",
            "No refresh token is needed: the service asks again when its token expires.",
        ];
        if secret == Answer::No {
            reasons.push("It must keep a credential, and a client that cannot keep a secret cannot keep a private key either: a key is a secret too. Run it on a server; there, prefer private_key_jwt or mutual TLS to a shared secret (RFC 9700 §2.5).");
        }
        return Some(Recommendation { title: "Client credentials", grant: Some(Grant::ClientCredentials), reasons });
    }
    if constrained == Answer::Yes {
        return Some(Recommendation {
            title: "Device authorization grant (RFC 8628)",
            grant: Some(Grant::DeviceCode),
            reasons: vec![
                "The device shows a short code; the user signs in on a phone or computer that has a browser (RFC 8628 §3).",
                "The device polls the token endpoint until the user approves, and never sees the password.",
                "Only where there is no browser to use: RFC 8628 §1 does not replace browser flows on capable devices. A desktop command-line tool opens the system browser and uses authorization code with PKCE and a loopback redirect (RFC 8252 §7.3).",
            ],
        });
    }
    let mut reasons = vec![
        "The user signs in at the authorization server, never in the app, and can see and limit what is granted.",
        "PKCE binds the code to the sign-in that asked for it, whose verifier only the app holds, so a stolen or injected code is useless (RFC 7636). It is a MUST for public clients, and RFC 9700 recommends it for confidential ones too, against code injection and CSRF (RFC 9700 §2.1.1, §4.5.3.1, §4.7.1).",
    ];
    if secret == Answer::Yes {
        reasons.push("The app also authenticates with its client secret when it redeems the code.");
    } else if secret == Answer::No || browser == Answer::Yes {
        reasons.push("As a public client it has no secret: PKCE is what protects its code.");
    }
    if secret == Answer::No && browser == Answer::No {
        reasons.push("A native app (phone or desktop) signs in through the system browser or an in-app browser tab, never an embedded web view, which would let the app read the user's password (RFC 8252 §8.12).");
        reasons.push("It takes the code back on a private-use URI scheme, a claimed https URL, or a loopback address on any port (RFC 8252 §7.1 to §7.3). This lab registers https and loopback redirect URIs only.");
    }
    if browser == Answer::Yes {
        reasons.push("Not the implicit grant: RFC 9700 §2.1.2 says SHOULD NOT, because a token in a URL can leak through redirect-URI flaws, Referer headers and browser history, can be injected, and cannot be bound to the client. The OAuth 2.1 draft removes it.");
    }
    if first_party == Answer::Yes {
        reasons.push("Not the password grant, even first-party: the app would see the password, and RFC 9700 §2.4 says it MUST NOT be used.");
    }
    if sign_in == Answer::Yes {
        reasons.insert(0, "To sign the user in, add OpenID Connect to the code grant: ask for the openid scope, and the token response carries an ID token that says who signed in, which the app checks before it believes it (OpenID Connect Core 1.0 §3.1, §3.1.3.7).");
        reasons.insert(1, "Do not sign users in with a bare OAuth access token: it says what the app may do, not who is there, and a token issued to another app would pass for a sign-in.");
        return Some(Recommendation {
            title: "OpenID Connect (code grant with PKCE)",
            grant: Some(Grant::OpenIdConnect),
            reasons,
        });
    }
    Some(Recommendation { title: "Authorization code with PKCE", grant: Some(Grant::AuthorizationCode), reasons })
}

#[component]
pub fn ChooserPage() -> impl IntoView {
    view! { <Chooser/> }
}

/// The questions and the recommendation: an island, small enough to live
/// in the main wasm module (see `src/lib.rs`).
#[island]
fn Chooser() -> impl IntoView {
    super::hydrated();
    let answers = RwSignal::new([Answer::Unanswered; 6]);
    view! {
        <main class="page chooser">
            <nav class="crumbs" aria-label="Breadcrumb"><a href="/">"OAuth2 Lab"</a>" / "<span>"Which grant?"</span></nav>
            <h1>"Which grant should I use?"</h1>
            <p class="lead">"Answer what you know; the recommendation follows RFC 9700, Best Current Practice for OAuth 2.0 Security."</p>
            <form class="questions" on:submit=|e| e.prevent_default()>
                {QUESTIONS
                    .iter()
                    .enumerate()
                    .map(|(i, q)| {
                        let set = move |a| answers.update(|v| v[i] = a);
                        view! {
                            <fieldset class="question">
                                <legend>{q.text}</legend>
                                <p class="hint">{q.hint}</p>
                                // Controlled: a page restored by the back button shows the
                                // answers the page holds, not what the browser remembers.
                                <label><input type="radio" name=q.id value="yes" prop:checked=move || answers.get()[i] == Answer::Yes
                                    on:change=move |_| set(Answer::Yes)/>" Yes"</label>
                                <label><input type="radio" name=q.id value="no" prop:checked=move || answers.get()[i] == Answer::No
                                    on:change=move |_| set(Answer::No)/>" No"</label>
                            </fieldset>
                        }
                    })
                    .collect_view()}
            </form>
            <section class="recommendation" aria-live="polite" data-testid="recommendation">
                {move || match recommend(&answers.get()) {
                    None => view! { <p>"Start with the first question."</p> }.into_any(),
                    Some(r) => view! {
                        <h2>"Use: "<span data-testid="recommended">{r.title}</span></h2>
                        <ul>{r.reasons.into_iter().map(|why| view! { <li>{why}</li> }).collect_view()}</ul>
                        {r.grant.or(Some(Grant::AuthorizationCode)).map(|g| view! {
                            <p><a class="button primary" data-testid="run-recommended" href=format!("/grants/{}?autorun=1", g.slug())>
                                {format!("Run it now: {}", g.title())}
                            </a></p>
                        })}
                        <p class="hint">"Implicit and resource owner password are in the lab only to learn from."</p>
                    }.into_any(),
                }}
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::Answer::*;
    use super::*;

    #[test]
    fn follows_rfc_9700() {
        let pick = |a: [Answer; 6]| recommend(&a).map(|r| (r.title, r.grant));
        assert!(pick([Unanswered; 6]).is_none());
        assert_eq!(pick([No, Yes, No, No, No, No]), Some(("Client credentials", Some(Grant::ClientCredentials))));
        assert_eq!(pick([Yes, No, No, Yes, No, No]).unwrap().1, Some(Grant::AuthorizationCode), "SPA: code + PKCE");
        assert_eq!(
            pick([Yes, Yes, Yes, No, No, No]).unwrap().1,
            Some(Grant::AuthorizationCode),
            "first party: still code"
        );
        assert_eq!(
            pick([Yes, No, No, No, Yes, No]),
            Some(("Device authorization grant (RFC 8628)", Some(Grant::DeviceCode)))
        );
        assert_eq!(pick([Yes, Yes, No, No, No, Yes]).unwrap().1, Some(Grant::OpenIdConnect), "sign-in: OpenID Connect");
        assert_eq!(pick([No, Yes, No, No, No, Yes]).unwrap().1, Some(Grant::ClientCredentials), "no user, no sign-in");
        let spa = recommend(&[Yes, No, No, Yes, No, No]).unwrap();
        assert!(spa.reasons.iter().any(|r| r.contains("implicit")));
        assert!(!spa.reasons.iter().any(|r| r.contains("RFC 8252 §8.12")), "a browser app is not a native app");
        let native = recommend(&[Yes, No, No, No, No, No]).unwrap();
        assert!(native.reasons.iter().any(|r| r.contains("RFC 8252 §8.12")), "native: no embedded browsers");
    }
}
