//! What the account page says about a device or a session, in words a person reads: a
//! device's app, version and system from the version string Anki sends, a browser's name
//! and system from its User-Agent, and dates.

use super::i18n::Texts;

/// A date for people: `2026-11-22 06:40 UTC`.
pub fn when(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = crate::clock::civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// A device's name from the version string Anki sends when it signs in
/// (`26.09.3,29bb700b,linux`: version, build, platform): "Anki 26.09.3 on Linux". The
/// app is named by platform (AnkiDroid and AnkiMobile send the version of the Anki core
/// they embed). Anything else is shown as sent, shortened.
pub fn device_label(t: Texts, client_version: &str) -> String {
    let parts: Vec<&str> = client_version.split(',').map(str::trim).collect();
    let known = match parts.as_slice() {
        [version, _build, platform]
            if !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            platform_name(platform).map(|(app, os)| (app, *version, os))
        }
        _ => None,
    };
    match known {
        Some((app, version, os)) => t
            .get("auth.account.deviceOn")
            .replace("{app}", app)
            .replace("{version}", version)
            .replace("{os}", os),
        None if client_version.trim().is_empty() => "Anki".to_string(),
        None => client_version
            .chars()
            .filter(|c| !c.is_control())
            .take(60)
            .collect(),
    }
}

/// The app and operating system behind a platform word of Anki's version string.
fn platform_name(platform: &str) -> Option<(&'static str, &'static str)> {
    Some(match platform.to_ascii_lowercase().as_str() {
        "linux" => ("Anki", "Linux"),
        "win" | "windows" => ("Anki", "Windows"),
        "mac" | "macos" => ("Anki", "macOS"),
        "android" => ("AnkiDroid", "Android"),
        "ios" => ("AnkiMobile", "iOS"),
        _ => return None,
    })
}

/// A browser session's name from the User-Agent it signed in with: "Firefox on Linux",
/// "Browser" when nothing is known.
pub fn browser_label(t: Texts, user_agent: &str) -> String {
    let browser = browser_name(user_agent);
    match (browser, system_name(user_agent)) {
        (Some(browser), Some(os)) => t
            .get("auth.account.browserOn")
            .replace("{browser}", browser)
            .replace("{os}", os),
        (Some(browser), None) => browser.to_string(),
        (None, _) => t.get("auth.account.browserSession").to_string(),
    }
}

/// The browser of a User-Agent. Order matters: Edge, Opera and Samsung Internet also say
/// "Chrome", Chrome also says "Safari".
fn browser_name(user_agent: &str) -> Option<&'static str> {
    const BROWSERS: [(&str, &str); 10] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
    ];
    BROWSERS
        .iter()
        .find(|(token, _)| user_agent.contains(token))
        .map(|(_, name)| *name)
}

/// The operating system of a User-Agent. iPhones and iPads also say "Mac OS X", Android
/// also says "Linux".
fn system_name(user_agent: &str) -> Option<&'static str> {
    const SYSTEMS: [(&str, &str); 8] = [
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Macintosh", "macOS"),
        ("Linux", "Linux"),
    ];
    SYSTEMS
        .iter()
        .find(|(token, _)| user_agent.contains(token))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    #[test]
    fn anki_version_strings_read_as_app_version_and_system() {
        let en = Texts { lang: Lang::En };
        assert_eq!(
            device_label(en, "26.09.3,29bb700b,linux"),
            "Anki 26.09.3 on Linux"
        );
        assert_eq!(device_label(en, "25.02,abc,win"), "Anki 25.02 on Windows");
        assert_eq!(device_label(en, "25.02,abc,mac"), "Anki 25.02 on macOS");
        assert_eq!(
            device_label(en, "2.20.1,x,android"),
            "AnkiDroid 2.20.1 on Android"
        );
        assert_eq!(device_label(en, "25.02,x,ios"), "AnkiMobile 25.02 on iOS");
        let de = Texts { lang: Lang::De };
        assert_eq!(
            device_label(de, "26.09.3,29bb700b,linux"),
            "Anki 26.09.3 auf Linux"
        );
    }

    #[test]
    fn other_strings_are_shown_as_sent_without_control_characters_and_shortened() {
        let t = Texts { lang: Lang::En };
        assert_eq!(device_label(t, ""), "Anki");
        assert_eq!(device_label(t, "my script\n"), "my script");
        assert_eq!(device_label(t, "26.09.3,x,plan9"), "26.09.3,x,plan9");
        assert_eq!(device_label(t, &"x".repeat(200)).len(), 60);
    }

    #[test]
    fn dates_are_utc_minutes() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_796_148_614), "2026-12-01 18:10 UTC");
    }

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let en = Texts { lang: Lang::En };
        for (agent, label) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like \
                 Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            ("curl/8.5.0", "Browser"),
            ("", "Browser"),
        ] {
            assert_eq!(browser_label(en, agent), label, "{agent}");
        }
        let de = Texts { lang: Lang::De };
        assert_eq!(
            browser_label(
                de,
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
            ),
            "Firefox auf Linux"
        );
    }
}
