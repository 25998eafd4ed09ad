//! What the account page says about a device or a session, in words a person reads: a
//! device's app, version and system from the version string Anki sends, and dates.

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
}
