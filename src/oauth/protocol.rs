//! The protocol's named values, each with its RFC string in this one
//! place: grant types, response types, client authentication methods and
//! token types. Everything else in the server works with the enums.

use std::fmt;

/// Writes `as_str` and `parse` for an enum of wire strings.
macro_rules! wire_strings {
    ($name:ident { $($variant:ident => $text:expr),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value a request or a registration names, if it is one.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a {}: {s}", stringify!($name))))
            }
        }
    };
}

/// `grant_type` (RFC 6749 §4, RFC 8628 §3.4) and the registration's
/// `grant_types` (RFC 7591 §2), where `implicit` also appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantType {
    AuthorizationCode,
    Implicit,
    Password,
    ClientCredentials,
    RefreshToken,
    DeviceCode,
}

wire_strings!(GrantType {
    AuthorizationCode => "authorization_code",
    Implicit => "implicit",
    Password => "password",
    ClientCredentials => "client_credentials",
    RefreshToken => "refresh_token",
    DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
});

/// `response_type` (RFC 6749 §3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseType {
    Code,
    Token,
}

wire_strings!(ResponseType {
    Code => "code",
    Token => "token",
});

/// `token_endpoint_auth_method` (RFC 7591 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: it sends only its `client_id`.
    None,
}

wire_strings!(AuthMethod {
    ClientSecretBasic => "client_secret_basic",
    ClientSecretPost => "client_secret_post",
    None => "none",
});

/// `token_type` in a token response (RFC 6749 §7.1, RFC 6750 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenType {
    Bearer,
}

wire_strings!(TokenType {
    Bearer => "Bearer",
});

/// `token_type_hint` (RFC 7009 §2.1), also what introspection calls a
/// refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

wire_strings!(TokenTypeHint {
    AccessToken => "access_token",
    RefreshToken => "refresh_token",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_parses_back_from_its_string() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(*g));
        }
        for r in ResponseType::ALL {
            assert_eq!(ResponseType::parse(r.as_str()), Some(*r));
        }
        for m in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(m.as_str()), Some(*m));
        }
        assert_eq!(GrantType::parse("Implicit"), None);
    }
}
