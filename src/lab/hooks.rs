//! Where the lab reaches into the servers: the answers to their `Hooks`,
//! read from the run whose app a client is. Every intervention of the lab
//! in the authorization and resource servers is here.

use super::runs::Runs;
use crate::oauth::util::now_secs;
use crate::oauth::{AccessTokenFormat, Defence, Hooks};
use crate::run::scenario::Scenario;

/// The one defence a misuse scenario's vulnerable switch turns off, if any.
pub fn defence_of(scenario: Scenario) -> Option<Defence> {
    match scenario {
        Scenario::RedirectUri => Some(Defence::ExactRedirectUri),
        Scenario::StolenCode => Some(Defence::PkceVerifier),
        Scenario::CodeReplay => Some(Defence::SingleUseCode),
        Scenario::RefreshReuse => Some(Defence::RefreshRotation),
        Scenario::TokenInUrl => Some(Defence::HeaderOnlyBearer),
        Scenario::SecretInUrl => Some(Defence::PostOnlyTokenRequest),
        // The app's own check (state), or no defence to switch off.
        Scenario::CsrfState | Scenario::ExpiredToken | Scenario::InsufficientScope | Scenario::RevokedToken => None,
        // The app's own checks of the ID token, or no defence to switch off.
        Scenario::IdTokenReplay
        | Scenario::IdTokenAudience
        | Scenario::IdTokenAsAccessToken
        | Scenario::IdTokenTampered
        | Scenario::IdTokenAlgNone => None,
    }
}

impl Hooks for Runs {
    /// The real clock, or a misuse run's fast lab clock.
    fn now(&self, client_id: &str) -> u64 {
        now_secs() + self.clock_skew(client_id)
    }

    /// Off only for the app of a run whose scenario is about `defence`,
    /// while its vulnerable switch is on and the scenario plays.
    fn defence_off(&self, client_id: &str, defence: Defence) -> bool {
        self.scenario_armed(client_id).and_then(defence_of) == Some(defence)
    }

    /// JWT for the apps of runs that asked for JWT access tokens.
    fn access_token_format(&self, client_id: &str) -> AccessTokenFormat {
        if self.wants_jwt(client_id) {
            AccessTokenFormat::Jwt
        } else {
            AccessTokenFormat::Opaque
        }
    }
}
