//! The media files a collection's notes use: the sources of their image, sound and video
//! elements and their `[sound:]` tags, as local file names (remote URLs, data URLs and
//! names the media folder could not hold are left out). A restore brings these back from
//! the media trash; a snapshot's download packs them.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use r2d2_sqlite::rusqlite::{self, Connection};
use regex::Regex;

use super::media_names;

/// `src` of an image, sound or video element, quoted either way or bare.
static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<(?:img|audio|video|source)\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#,
    )
    .expect("a valid pattern")
});
static SOUND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[sound:([^\]]+)\]").expect("a valid pattern"));

/// The local media files the note fields refer to.
pub fn referenced(fields: &[String]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for text in fields {
        let sources = SOURCE
            .captures_iter(text)
            .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)));
        let sounds = SOUND.captures_iter(text).filter_map(|c| c.get(1));
        for m in sources.chain(sounds) {
            let name = m.as_str().trim().replace("&amp;", "&");
            let remote = name.contains("://") || name.starts_with("data:");
            if !remote && media_names::validate(&name).is_ok() {
                names.insert(name);
            }
        }
    }
    names
}

/// The local media files the notes of the open collection refer to.
pub fn referenced_by_notes(conn: &Connection) -> rusqlite::Result<BTreeSet<String>> {
    let fields: Vec<String> = conn
        .prepare("SELECT flds FROM notes")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(referenced(&fields))
}

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn images_sounds_and_videos_of_the_fields_are_found() {
        let fields = vec![
            "<img src=\"a b.png\"> and <IMG class=x SRC='c&amp;d.jpg'>\u{1f}[sound:e.mp3]"
                .to_string(),
            "<img src=bare.gif alt=y><video src=\"v.mp4\"></video>".to_string(),
            "<img src=\"https://example.com/x.png\"><img src=\"data:image/png;base64,AA\">"
                .to_string(),
            "<img src=\"../escape.png\">".to_string(),
        ];
        let found: Vec<String> = referenced(&fields).into_iter().collect();
        assert_eq!(found, ["a b.png", "bare.gif", "c&d.jpg", "e.mp3", "v.mp4"]);
    }
}
