//! Where Graph (and the sign-in authority) lives, and the policy on which URLs the client
//! may talk to: `https` anywhere, plain `http` only to loopback (the simulated tenant),
//! and `@odata.nextLink`s only on the host the client was pointed at.
//!
//! Also the small percent-encoders for path segments and OData query values, so a UPN
//! with `#`, a SID or a name with a quote cannot change the shape of a request.

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::cloud::Cloud;

/// Graph API version; one `$batch` targets one version (graph-api.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlPolicyError {
    #[error("{what} {url:?} is not a URL ({reason})")]
    Unparseable {
        what: &'static str,
        url: String,
        reason: String,
    },
    #[error(
        "{what} {url:?} uses plain http to a host that is not loopback: http is allowed only \
         to 127.0.0.0/8, ::1 or localhost (the simulated tenant); use https"
    )]
    InsecureRemote { what: &'static str, url: String },
    #[error("{what} {url:?}: expected an https:// URL (or http:// on loopback)")]
    BadScheme { what: &'static str, url: String },
    #[error("{what} {url:?} must not carry a user name, password, query or fragment")]
    Extras { what: &'static str, url: String },
    #[error(
        "Graph sent a next-page link to another host ({host:?}, expected {expected:?}); \
         refusing to follow it"
    )]
    ForeignNextLink { host: String, expected: String },
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parse a service root (Graph root or sign-in authority) under the policy: https
/// anywhere, http only on loopback, no credentials, query or fragment.
pub fn check_service_url(what: &'static str, text: &str) -> Result<Url, UrlPolicyError> {
    let url = Url::parse(text.trim()).map_err(|e| UrlPolicyError::Unparseable {
        what,
        url: text.to_string(),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(UrlPolicyError::InsecureRemote {
                what,
                url: text.to_string(),
            });
        }
        _ => {
            return Err(UrlPolicyError::BadScheme {
                what,
                url: text.to_string(),
            });
        }
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || url.host().is_none()
    {
        return Err(UrlPolicyError::Extras {
            what,
            url: text.to_string(),
        });
    }
    Ok(url)
}

/// The Graph root the client talks to (no version segment, no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphRoot {
    /// e.g. `https://graph.microsoft.com` or `http://127.0.0.1:41234`.
    base: String,
    url: Url,
}

impl GraphRoot {
    /// The national cloud's Graph host.
    pub fn for_cloud(cloud: Cloud) -> GraphRoot {
        // The cloud table holds fixed https URLs; parsing them cannot fail.
        match GraphRoot::parse(cloud.graph_root()) {
            Ok(root) => root,
            Err(_) => unreachable!("cloud graph roots are valid https URLs"),
        }
    }

    /// `--graph-url`: refused unless https, or http on loopback.
    pub fn parse(text: &str) -> Result<GraphRoot, UrlPolicyError> {
        let url = check_service_url("--graph-url", text)?;
        let base = url.as_str().trim_end_matches('/').to_string();
        Ok(GraphRoot { base, url })
    }

    /// `--graph-url` when given, else the cloud's Graph.
    pub fn resolve(cloud: Cloud, graph_url: Option<&str>) -> Result<GraphRoot, UrlPolicyError> {
        match graph_url {
            Some(text) => GraphRoot::parse(text),
            None => Ok(GraphRoot::for_cloud(cloud)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The host (and a port other than the scheme's), as every summary shows it so the
    /// admin sees where the token goes.
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default().to_ascii_lowercase();
        match self.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// A loopback root is the simulated tenant (a real Graph is never on loopback).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.url)
    }

    /// The absolute URL of `path_and_query` (starting with `/`) under `version`.
    pub fn url(&self, version: ApiVersion, path_and_query: &str) -> String {
        format!("{}/{}{}", self.base, version.segment(), path_and_query)
    }

    /// `@odata.id` of a directory object, as `appliesTo/$ref` takes it; the host is this
    /// root's so national clouds reference their own Graph (graph-api.md §5).
    pub fn directory_object_ref(&self, version: ApiVersion, id: &str) -> String {
        self.url(
            version,
            &format!("/directoryObjects/{}", encode_segment(id)),
        )
    }

    /// A nextLink is followed verbatim, but only on this root's scheme, host and port.
    pub fn check_next_link(&self, link: &str) -> Result<Url, UrlPolicyError> {
        let url = Url::parse(link).map_err(|e| UrlPolicyError::Unparseable {
            what: "@odata.nextLink",
            url: link.to_string(),
            reason: e.to_string(),
        })?;
        let same = url.scheme() == self.url.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.url.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.url.port_or_known_default();
        if !same {
            return Err(UrlPolicyError::ForeignNextLink {
                host: format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default()),
                expected: self.base.clone(),
            });
        }
        Ok(url)
    }

    /// The part of an absolute URL under this root (`/v1.0/users?...`), for records.
    pub fn relative<'a>(&self, absolute: &'a str) -> &'a str {
        let path_prefix = self.url.path().trim_end_matches('/');
        match absolute.find("://") {
            Some(i) => {
                let rest = &absolute[i + 3..];
                let path = rest.find('/').map_or("/", |j| &rest[j..]);
                path.strip_prefix(path_prefix).unwrap_or(path)
            }
            None => absolute,
        }
    }
}

impl fmt::Display for GraphRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

fn encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One path segment (an object id or UPN): `/`, `?`, `#`, `%` and spaces are encoded.
pub fn encode_segment(text: &str) -> String {
    encode(text, b"@!$&'()*+,;=:")
}

/// A query value: everything that could end or split the value is encoded; OData's
/// quotes, parentheses and commas stay readable.
pub fn encode_query_value(text: &str) -> String {
    encode(text, b"@!$'()*,:/")
}

/// An OData string literal: single quotes doubled, then wrapped in quotes.
pub fn odata_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The path of a user by object id or UPN. A UPN starting with `$` must use the key
/// form `/users('$x@y')` (graph-api.md §3.1); `#` is percent-encoded either way.
pub fn user_path(id_or_upn: &str) -> String {
    if id_or_upn.starts_with('$') {
        format!(
            "/users({})",
            encode_segment(&odata_string(id_or_upn)).replace("%27", "'")
        )
    } else {
        format!("/users/{}", encode_segment(id_or_upn))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        assert!(GraphRoot::parse("https://graph.microsoft.com").is_ok());
        assert!(GraphRoot::parse("https://graph.example.org/").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.5.6.7",
            "http://[::1]:9000",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            let root = GraphRoot::parse(ok);
            assert!(root.is_ok(), "{ok}: {root:?}");
            assert!(root.is_ok_and(|r| r.is_loopback()), "{ok}");
        }
        for bad in [
            "http://graph.microsoft.com",
            "http://10.0.0.1",
            "http://128.0.0.1",
            "http://[::2]",
            "http://localhost.evil.com",
        ] {
            let err = GraphRoot::parse(bad);
            assert!(
                matches!(err, Err(UrlPolicyError::InsecureRemote { .. })),
                "{bad}: {err:?}"
            );
            let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains("loopback"), "{msg}");
        }
        assert!(matches!(
            GraphRoot::parse("ftp://127.0.0.1"),
            Err(UrlPolicyError::BadScheme { .. })
        ));
        assert!(matches!(
            GraphRoot::parse("graph.microsoft.com"),
            Err(UrlPolicyError::Unparseable { .. })
        ));
        assert!(matches!(
            GraphRoot::parse("https://user:pw@graph.microsoft.com"),
            Err(UrlPolicyError::Extras { .. })
        ));
        assert!(matches!(
            GraphRoot::parse("https://graph.microsoft.com/?x=1"),
            Err(UrlPolicyError::Extras { .. })
        ));
    }

    #[test]
    fn cloud_roots_and_urls() {
        let root = GraphRoot::for_cloud(Cloud::UsgovDod);
        assert_eq!(root.as_str(), "https://dod-graph.microsoft.us");
        assert_eq!(
            root.url(ApiVersion::Beta, "/users"),
            "https://dod-graph.microsoft.us/beta/users"
        );
        assert_eq!(
            root.directory_object_ref(ApiVersion::V1, "abc"),
            "https://dod-graph.microsoft.us/v1.0/directoryObjects/abc"
        );
        assert!(!root.is_loopback());
    }

    #[test]
    fn next_links_stay_on_the_host() {
        let root = GraphRoot::parse("http://127.0.0.1:4000").unwrap();
        assert!(
            root.check_next_link("http://127.0.0.1:4000/v1.0/users?$skiptoken=abc")
                .is_ok()
        );
        for foreign in [
            "http://127.0.0.1:4001/v1.0/users",
            "https://127.0.0.1:4000/v1.0/users",
            "http://evil.example/v1.0/users",
        ] {
            assert!(
                matches!(
                    root.check_next_link(foreign),
                    Err(UrlPolicyError::ForeignNextLink { .. })
                ),
                "{foreign}"
            );
        }
        let g = GraphRoot::for_cloud(Cloud::Global);
        assert!(
            g.check_next_link("https://graph.microsoft.com:443/v1.0/groups/x/members")
                .is_ok()
        );
        assert_eq!(
            g.relative("https://graph.microsoft.com/v1.0/users?$skiptoken=x"),
            "/v1.0/users?$skiptoken=x"
        );
    }

    #[test]
    fn encoding_keeps_requests_in_shape() {
        assert_eq!(user_path("ann@contoso.com"), "/users/ann@contoso.com");
        assert_eq!(
            user_path("ann_contoso.com#EXT#@fabrikam.com"),
            "/users/ann_contoso.com%23EXT%23@fabrikam.com"
        );
        assert_eq!(user_path("$x@y.com"), "/users('$x@y.com')");
        assert_eq!(user_path("a/b?c d"), "/users/a%2Fb%3Fc%20d");
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
        assert_eq!(
            encode_query_value("userPrincipalName eq 'a+b@x.com'"),
            "userPrincipalName%20eq%20'a%2Bb@x.com'"
        );
        assert_eq!(encode_query_value("a&b=c#d"), "a%26b%3Dc%23d");
        assert_eq!(encode_segment("ü"), "%C3%BC");
    }
}
