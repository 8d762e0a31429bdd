//! Who is calling, and may they: the access check in front of every API route.
//!
//! - A request proves who it is with `Authorization: Bearer <token>` (scripts) or the session
//!   cookie (the dashboard).
//! - Routes are public, for any signed-in user (agents and admins), or for admins.
//! - Cross-site request forgery: a request that changes something with a session cookie must
//!   carry the session's `X-CSRF-Token`, and a browser's `Origin` / `Sec-Fetch-Site` must say
//!   it comes from the dashboard itself.
//! - The client's address and scheme come from the socket, or from `X-Forwarded-For` and
//!   `X-Forwarded-Proto` only when the socket peer is a configured trusted proxy.

use super::state::AppState;
use super::ApiError;
use crate::auth::{secret, Client, Principal, Via};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in, set-up, registration, the OpenAPI document).
    Public,
    /// Any signed-in user or token: agents and admins.
    User,
    /// Admins only.
    Admin,
}

impl Access {
    /// As the OpenAPI document's `x-access` names it.
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::User => "user",
            Access::Admin => "admin",
        }
    }
}

/// The session cookie over plain HTTP (loopback, a LAN).
pub const COOKIE: &str = "cocolu_session";
/// The session cookie over HTTPS: the `__Host-` prefix makes browsers insist on `Secure`,
/// `Path=/` and no `Domain`, so no other site or subdomain can set it.
pub const SECURE_COOKIE: &str = "__Host-cocolu_session";
/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An address range of trusted reverse proxies, such as `127.0.0.1` or `10.0.0.0/8` (a bare
/// address is a range of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange(IpNet);

impl FromStr for IpRange {
    type Err = String;

    fn from_str(text: &str) -> Result<IpRange, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok(),
            None => Some(max),
        };
        prefix
            .and_then(|p| IpNet::new(network, p).ok())
            .map(IpRange)
            .ok_or_else(|| format!("`{text}`: the prefix must be 0 to {max}"))
    }
}

impl IpRange {
    /// Whether `address` is in the range (an IPv4 address written as IPv6, `::ffff:a.b.c.d`,
    /// counts as the IPv4 one).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&address)
    }
}

/// How requests are checked.
#[derive(Clone, Debug, Default)]
pub struct AccessConfig {
    /// Reverse proxies whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: Vec<IpRange>,
    /// Origins the dashboard is served from (`https://bot.example.com`); when empty, the
    /// request's own host is the only origin accepted.
    pub origins: Vec<String>,
    /// The token Prometheus sends for `/metrics` (admin API tokens work too).
    pub metrics_token: Option<String>,
}

/// The client as far as the request tells: address and whether it came over HTTPS.
#[derive(Clone, Debug)]
pub struct Caller {
    pub client: Client,
    pub https: bool,
    pub principal: Option<Principal>,
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client's address and scheme, believing forwarded headers only from trusted proxies.
pub fn client_of(
    config: &AccessConfig,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> (Client, bool) {
    let trusted = |ip: IpAddr| config.trusted_proxies.iter().any(|r| r.contains(ip));
    let mut ip = peer;
    let mut https = false;
    if peer.is_some_and(trusted) {
        // The rightmost address that is not a trusted proxy is the client.
        if let Some(forwarded) = header_str(headers, "x-forwarded-for") {
            for hop in forwarded.rsplit(',') {
                let Ok(hop) = hop.trim().parse::<IpAddr>() else {
                    break;
                };
                ip = Some(hop);
                if !trusted(hop) {
                    break;
                }
            }
        }
        https = header_str(headers, "x-forwarded-proto")
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    }
    let client = Client {
        ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
        user_agent: header_str(headers, header::USER_AGENT)
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
    };
    (client, https)
}

/// The value of a cookie in the `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// The signed-in user or token behind a request, if any.
pub fn principal_of(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    if headers.contains_key(header::AUTHORIZATION) {
        return state.auth.authenticate_token(bearer(headers)?);
    }
    session_of(state, headers)
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION)?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The signed-in person behind the session cookie, if any (pages are for people: no tokens).
pub fn session_of(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    [SECURE_COOKIE, COOKIE]
        .iter()
        .filter_map(|name| cookie(headers, name))
        .find_map(|id| state.auth.authenticate_session(id))
}

/// The credential a request came with, as a live connection keeps it to check it again: the
/// token or the session id alone, a few bytes, not the request's headers.
pub enum Credential {
    Token(Box<str>),
    Session(Box<str>),
}

impl Credential {
    /// The credential in `headers` that `auth` accepts now, if any.
    pub fn of(auth: &crate::auth::Auth, headers: &HeaderMap) -> Option<Credential> {
        if headers.contains_key(header::AUTHORIZATION) {
            return bearer(headers).map(|token| Credential::Token(token.into()));
        }
        [SECURE_COOKIE, COOKIE]
            .iter()
            .filter_map(|name| cookie(headers, name))
            .find(|id| auth.recheck_session(id).is_some())
            .map(|id| Credential::Session(id.into()))
    }

    /// Who it stands for now, without counting as use of the session (a dashboard left
    /// open must still time out).
    pub fn recheck(&self, auth: &crate::auth::Auth) -> Option<Principal> {
        match self {
            Credential::Token(token) => auth.authenticate_token(token),
            Credential::Session(id) => auth.recheck_session(id),
        }
    }
}

fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses a browser request sent from another site.
pub fn check_origin(config: &AccessConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    let refused = |why: &str| {
        Err(ApiError::Forbidden {
            code: "csrf",
            message: format!("Refused: {why}. Use the dashboard itself, or an API token."),
        })
    };
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return refused("the request came from another site");
        }
    }
    if let Some(origin) = header_str(headers, header::ORIGIN) {
        let allowed = if config.origins.is_empty() {
            let host = header_str(headers, header::HOST).unwrap_or("");
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
        } else {
            config
                .origins
                .iter()
                .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
        };
        if !allowed {
            return refused("the request's Origin is not this dashboard");
        }
    }
    Ok(())
}

/// The access check in front of every API route (see [`super::openapi::Api::op`]).
pub async fn guard(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let headers = request.headers();
    let (client, https) = client_of(&state.access, peer, headers);
    let principal = principal_of(&state, headers);
    let refusal = match (access, &principal) {
        (Access::Public, _) => None,
        (_, None) => Some(ApiError::Unauthorized(
            "Sign in first (or send an API token as `Authorization: Bearer`).".into(),
        )),
        (Access::Admin, Some(p)) if !p.is_admin() => Some(ApiError::Forbidden {
            code: "forbidden",
            message: "Only administrators can do this.".into(),
        }),
        _ => None,
    };
    if let Some(refusal) = refusal {
        return refusal.into_response();
    }
    if changes_something(request.method()) {
        if let Err(refusal) = check_origin(&state.access, headers) {
            return refusal.into_response();
        }
        if let Some(Principal {
            via: Via::Session { csrf, .. },
            ..
        }) = &principal
        {
            let sent = header_str(headers, CSRF_HEADER).unwrap_or("");
            if !secret::same(sent, csrf) {
                return ApiError::Forbidden {
                    code: "csrf",
                    message: "This request needs the `X-CSRF-Token` header of the session \
                              (from /api/auth/me); reload the dashboard."
                        .into(),
                }
                .into_response();
            }
        }
    }
    request.extensions_mut().insert(Caller {
        client,
        https,
        principal,
    });
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("the access check did not run".into()))
    }
}

/// The signed-in user or token of a route that requires one.
pub struct Signed(pub Principal, pub Client);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Signed, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        match caller.principal {
            Some(principal) => Ok(Signed(principal, caller.client)),
            None => Err(ApiError::Unauthorized("Sign in first.".into())),
        }
    }
}

/// `Set-Cookie` for a new session (or, with `None`, one that removes it).
pub fn session_cookie(value: Option<&str>, https: bool, max_age: Duration) -> HeaderValue {
    let name = if https { SECURE_COOKIE } else { COOKIE };
    let seconds = if value.is_some() {
        i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)
    } else {
        0
    };
    let cookie = Cookie::build((name, value.unwrap_or_default()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(seconds))
        .secure(https)
        .build();
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn ranges_contain_what_they_should() {
        let range: IpRange = "10.1.0.0/16".parse().expect("range");
        assert!(range.contains("10.1.200.3".parse().expect("ip")));
        assert!(!range.contains("10.2.0.1".parse().expect("ip")));
        let one: IpRange = "127.0.0.1".parse().expect("one");
        assert!(one.contains("::ffff:127.0.0.1".parse().expect("mapped")));
        assert!("::1"
            .parse::<IpRange>()
            .expect("v6")
            .contains("::1".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<IpRange>().is_err());
        assert!("nginx".parse::<IpRange>().is_err());
        let all: IpRange = "0.0.0.0/0".parse().expect("all");
        assert!(all.contains("8.8.8.8".parse().expect("ip")));
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let config = AccessConfig {
            trusted_proxies: vec!["127.0.0.1".parse().expect("range")],
            ..AccessConfig::default()
        };
        let forwarded = headers(&[
            ("x-forwarded-for", "203.0.113.9, 198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        let (client, https) =
            client_of(&config, Some("127.0.0.1".parse().expect("ip")), &forwarded);
        assert_eq!((client.ip.as_str(), https), ("198.51.100.7", true));
        let (client, https) =
            client_of(&config, Some("192.0.2.1".parse().expect("ip")), &forwarded);
        assert_eq!((client.ip.as_str(), https), ("192.0.2.1", false), "spoofed");
    }

    #[test]
    fn cross_site_requests_are_refused() {
        let config = AccessConfig::default();
        let same = headers(&[
            ("host", "bot.example.com"),
            ("origin", "https://bot.example.com"),
        ]);
        assert!(check_origin(&config, &same).is_ok());
        let other = headers(&[
            ("host", "bot.example.com"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_origin(&config, &other).is_err());
        let fetch = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(check_origin(&config, &fetch).is_err());
        assert!(
            check_origin(&config, &headers(&[])).is_ok(),
            "scripts send neither"
        );
        let configured = AccessConfig {
            origins: vec!["https://bot.example.com".into()],
            ..AccessConfig::default()
        };
        let behind_proxy = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://bot.example.com"),
        ]);
        assert!(check_origin(&configured, &behind_proxy).is_ok());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let map = headers(&[("cookie", "lang=es; cocolu_session=abc; x=1")]);
        assert_eq!(cookie(&map, COOKIE), Some("abc"));
        assert_eq!(cookie(&map, SECURE_COOKIE), None);
        let secure = session_cookie(Some("abc"), true, Duration::from_secs(60));
        let secure = Cookie::parse(secure.to_str().expect("text")).expect("a Set-Cookie");
        assert_eq!(secure.name_value(), ("__Host-cocolu_session", "abc"));
        assert_eq!(secure.path(), Some("/"));
        assert_eq!(secure.http_only(), Some(true));
        assert_eq!(secure.same_site(), Some(SameSite::Lax));
        assert_eq!(secure.secure(), Some(true));
        assert_eq!(secure.max_age().map(|d| d.whole_seconds()), Some(60));
        let gone = session_cookie(None, false, Duration::from_secs(60));
        let gone = Cookie::parse(gone.to_str().expect("text")).expect("a Set-Cookie");
        assert_eq!(gone.name_value(), ("cocolu_session", ""));
        assert_eq!(gone.max_age().map(|d| d.whole_seconds()), Some(0));
        assert_eq!(gone.secure(), None, "not over plain HTTP");
    }
}
