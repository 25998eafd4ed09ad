//! The languages the server speaks, in its pages and its mail, and how a request chooses
//! one (`Accept-Language`). Outside `web/` so that accounts (adminctl included) can say in
//! which language a notice is written.

use axum::http::HeaderMap;

/// A language of the pages and the mail; English when nothing better is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A moment as a person reads it, in UTC: "1 December 2026, 18:10 UTC" or
    /// "1. Dezember 2026, 18:10 UTC". Mail goes out long after and far from the request, so
    /// the time zone is always named; the server keeps no per-user zone.
    pub fn readable_time(self, unix_secs: i64) -> String {
        let (year, month, day) = civil_from_days(unix_secs.div_euclid(86_400));
        let secs_of_day = unix_secs.rem_euclid(86_400);
        let (hour, minute) = (secs_of_day / 3600, secs_of_day % 3600 / 60);
        let month_name = match self {
            Lang::En => MONTHS_EN,
            Lang::De => MONTHS_DE,
        }[month - 1];
        match self {
            Lang::En => format!("{day} {month_name} {year}, {hour:02}:{minute:02} UTC"),
            Lang::De => format!("{day}. {month_name} {year}, {hour:02}:{minute:02} UTC"),
        }
    }

    /// The first supported language in `Accept-Language` order of quality.
    pub fn negotiate(headers: &HeaderMap) -> Lang {
        let Some(value) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::En;
        };
        let mut ranked: Vec<(f32, &str)> = value
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, tag) in ranked {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            match primary.as_str() {
                "en" => return Lang::En,
                "de" => return Lang::De,
                _ => {}
            }
        }
        Lang::En
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// Year, month (1-12, as an index base) and day of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, usize, i64) {
    let (year, month, day) = crate::clock::civil_date(days);
    // 1..=12 by construction.
    (year, usize::try_from(month).unwrap_or(1), day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept-language",
            "fr-FR,de;q=0.8,en;q=0.5".parse().expect("header"),
        );
        assert_eq!(Lang::negotiate(&h), Lang::De);
        h.insert("accept-language", "en-GB,de;q=0.9".parse().expect("header"));
        assert_eq!(Lang::negotiate(&h), Lang::En);
        assert_eq!(Lang::negotiate(&HeaderMap::new()), Lang::En);
    }

    #[test]
    fn times_read_as_dates_with_the_zone_in_both_languages() {
        assert_eq!(
            Lang::En.readable_time(1_796_148_614),
            "1 December 2026, 18:10 UTC"
        );
        assert_eq!(
            Lang::De.readable_time(1_796_148_614),
            "1. Dezember 2026, 18:10 UTC"
        );
        assert_eq!(Lang::En.readable_time(0), "1 January 1970, 00:00 UTC");
        // A leap day, the last minute of a year, and a German umlaut month.
        assert_eq!(
            Lang::En.readable_time(951_782_400),
            "29 February 2000, 00:00 UTC"
        );
        assert_eq!(
            Lang::En.readable_time(1_798_761_599),
            "31 December 2026, 23:59 UTC"
        );
        assert_eq!(
            Lang::De.readable_time(1_772_409_600),
            "2. März 2026, 00:00 UTC"
        );
    }
}
