//! Web sessions, cookies and the CSRF defences (SECURITY.md T8, T9).
//!
//! The session cookie holds 32 random bytes; the store keeps only their SHA-256. A session
//! ends after 30 idle minutes or 12 hours, at logout, and at any password change. Every
//! form post must carry a CSRF token and, when the browser says where it comes from
//! (`Origin`, else `Referer`), come from the configured public URL.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::digest;
use crate::state::WebState;
use crate::store::{User, WebSessionRow};

pub const SESSION_COOKIE: &str = "ff_session";
pub const CSRF_COOKIE: &str = "ff_csrf";
pub const IDLE_SECS: i64 = 30 * 60;
pub const ABSOLUTE_SECS: i64 = 12 * 60 * 60;

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether the site is served over HTTPS (its public URL says so).
pub fn is_https(state: &WebState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// The name a cookie of ours has on the wire. Under HTTPS it takes the `__Host-` prefix:
/// the browser then keeps it only if it is Secure, for the whole site and this host alone,
/// so a neighbouring subdomain cannot plant a session or a CSRF token of its choosing.
pub fn cookie_name(state: &WebState, name: &str) -> String {
    if is_https(state) {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

/// The value of our cookie `name` (by its wire name, [`cookie_name`]) in the request.
pub fn cookie(state: &WebState, headers: &HeaderMap, name: &str) -> Option<String> {
    let name = cookie_name(state, name);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// `Set-Cookie` for one of our cookies: HttpOnly, SameSite=Lax, Secure behind HTTPS.
pub fn set_cookie(state: &WebState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if is_https(state) { "; Secure" } else { "" };
    let age = max_age.map_or(String::new(), |a| format!("; Max-Age={a}"));
    let name = cookie_name(state, name);
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A redirect that also deletes the session cookie (logout, or a password change, which
/// has ended every session already).
pub fn redirect_signed_out(state: &WebState, to: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::response::Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, "", Some(0)),
    );
    response
}

/// A signed-in browser.
#[derive(Clone)]
pub struct SignedIn {
    pub user: User,
    pub session_digest: String,
    /// The token every form of this session carries (derived from the cookie's secret).
    pub csrf: String,
}

pub fn session_csrf(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("csrf:{secret}").as_bytes()))
}

/// The most of a User-Agent kept with a session.
const USER_AGENT_BYTES: usize = 512;

/// The request's User-Agent, cut to [`USER_AGENT_BYTES`] on a character boundary (empty
/// when it has none or it is not text).
pub fn user_agent(headers: &HeaderMap) -> String {
    let agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut end = agent.len().min(USER_AGENT_BYTES);
    while !agent.is_char_boundary(end) {
        end -= 1;
    }
    agent[..end].to_string()
}

/// Starts a session: a new id every time (no fixation), noting the browser it signed in
/// with. Returns the cookie value.
pub async fn start(
    state: &WebState,
    user_id: i64,
    user_agent: String,
) -> Result<String, crate::state::BlockingError> {
    let secret = random_token();
    let now = state.clock.now();
    let row = WebSessionRow {
        digest: digest(&secret),
        user_id,
        created_at: now,
        last_seen_at: now,
        expires_at: now + ABSOLUTE_SECS,
        user_agent,
    };
    state
        .with_store(move |s| s.create_web_session(&row))
        .await?;
    Ok(secret)
}

/// What the request's session cookie comes to.
pub enum Lookup {
    SignedIn(SignedIn),
    /// A cookie whose session is over: expired, signed out elsewhere, or ended by a
    /// password change.
    Ended,
    /// No session cookie at all.
    Anonymous,
    /// The account database did not answer: nothing is known about the session.
    Unavailable,
}

/// The signed-in user behind the request's cookie, if the session is alive.
pub async fn current(state: &WebState, headers: &HeaderMap) -> Option<SignedIn> {
    match lookup(state, headers).await {
        Lookup::SignedIn(signed_in) => Some(signed_in),
        Lookup::Ended | Lookup::Anonymous | Lookup::Unavailable => None,
    }
}

/// The signed-in user of a page that needs one, or the answer that sends the browser to
/// sign in and come back to `uri` afterwards (with a notice when its session had ended).
pub async fn require(
    state: &WebState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Result<SignedIn, axum::response::Response> {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    match lookup(state, headers).await {
        Lookup::SignedIn(signed_in) => Ok(signed_in),
        Lookup::Anonymous => {
            use axum::response::IntoResponse;
            Err(axum::response::Redirect::to(&super::return_to::login_url(back)).into_response())
        }
        Lookup::Ended => Err(session_ended(state, back)),
        // The cookie is kept: the session may well be alive once the database answers.
        Lookup::Unavailable => {
            use axum::response::IntoResponse;
            Err(axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// To `/login?next=back`, with the notice that the session ended, the dead cookie deleted.
pub fn session_ended(state: &WebState, back: &str) -> axum::response::Response {
    let mut response = super::flash::redirect(
        state,
        &super::return_to::login_url(back),
        super::flash::Notice::SessionEnded,
        None,
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, "", Some(0)),
    );
    response
}

/// Looks the request's session up.
pub async fn lookup(state: &WebState, headers: &HeaderMap) -> Lookup {
    let Some(secret) = cookie(state, headers, SESSION_COOKIE) else {
        return Lookup::Anonymous;
    };
    let session_digest = digest(&secret);
    let lookup = session_digest.clone();
    let row = match state.with_store(move |s| s.web_session(&lookup)).await {
        Ok(Some(row)) => row,
        Ok(None) => return Lookup::Ended,
        Err(_) => return Lookup::Unavailable,
    };
    let now = state.clock.now();
    if now >= row.expires_at || now - row.last_seen_at >= IDLE_SECS {
        let stale = session_digest.clone();
        let _ = state
            .with_store(move |s| s.delete_web_session(&stale))
            .await;
        return Lookup::Ended;
    }
    if now - row.last_seen_at >= 60 {
        let touch = session_digest.clone();
        let _ = state
            .with_store(move |s| s.touch_web_session(&touch, now))
            .await;
    }
    let user_id = row.user_id;
    let user = match state.with_store(move |s| s.user_by_id(user_id)).await {
        Ok(Some(user)) if !user.disabled => user,
        Ok(_) => return Lookup::Ended,
        Err(_) => return Lookup::Unavailable,
    };
    Lookup::SignedIn(SignedIn {
        user,
        session_digest,
        csrf: session_csrf(&secret),
    })
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// SECURITY: refuses a form post another site made the browser send. Browsers send
/// `Origin` on posts (and `Referer` otherwise); either must name our public URL. Our pages
/// set `Referrer-Policy: no-referrer`, under which a browser sends `Origin: null` even for
/// our own forms, so `null` counts as "not said": the CSRF token (from an HttpOnly,
/// SameSite=Lax cookie another site can neither read nor make the browser send on a
/// cross-site post) still has to match, as for scripts that send neither header.
pub fn same_origin(state: &WebState, headers: &HeaderMap) -> bool {
    let ours = origin_of(&state.config.public_url);
    let header_value = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(origin) = header_value(header::ORIGIN).filter(|o| *o != "null") {
        return origin == ours;
    }
    if let Some(referer) = header_value(header::REFERER) {
        return origin_of(referer) == ours;
    }
    true
}

/// Constant-time comparison of two tokens.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The CSRF token of an anonymous form: the `ff_csrf` cookie's value (double submit), or a
/// new one to set.
pub fn anonymous_csrf(state: &WebState, headers: &HeaderMap) -> (String, bool) {
    match cookie(state, headers, CSRF_COOKIE) {
        Some(existing) => (existing, false),
        None => (random_token(), true),
    }
}

/// The client's address as text (see [`crate::http::client_address`]).
pub fn client_ip(state: &WebState, peer: &std::net::SocketAddr, headers: &HeaderMap) -> String {
    crate::http::client_address(&state.config.trusted_proxies, peer, headers).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://a.example:8443/x/y"),
            "https://a.example:8443"
        );
        assert_eq!(origin_of("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }

    fn state_with_public_url(dir: &std::path::Path, public_url: &str) -> WebState {
        use axum::extract::FromRef;
        let mut config = crate::config::Config::for_data_dir(dir);
        config.public_url = public_url.to_string();
        let store = crate::store::open(None, dir).expect("store");
        WebState::from_ref(&std::sync::Arc::new(crate::state::AppState::new(
            config, store,
        )))
    }

    #[test]
    fn cookies_are_found_among_others() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_with_public_url(dir.path(), "http://127.0.0.1:8080");
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; ff_session=abc; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&state, &h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&state, &h, CSRF_COOKIE), None);
    }

    #[test]
    fn under_https_the_cookies_take_the_host_prefix_and_only_it_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = state_with_public_url(dir.path(), "https://anki.example");
        let set = set_cookie(&state, SESSION_COOKIE, "abc", None);
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("__Host-ff_session=abc; Path=/;"), "{set}");
        assert!(set.contains("; Secure") && !set.contains("Domain"), "{set}");
        // A cookie planted without the prefix (from a sibling subdomain) is not read.
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "ff_session=planted".parse().expect("header"),
        );
        assert_eq!(cookie(&state, &h, SESSION_COOKIE), None);
        h.insert(
            header::COOKIE,
            "__Host-ff_session=abc".parse().expect("header"),
        );
        assert_eq!(cookie(&state, &h, SESSION_COOKIE).as_deref(), Some("abc"));
    }
}
