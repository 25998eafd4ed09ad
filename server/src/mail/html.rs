//! The HTML part of a mail, derived from its plain text so both parts say the same thing.
//!
//! Paragraphs (split by a blank line) become `<p>`, other line breaks `<br>`, and a line
//! that is nothing but an `http(s)` URL becomes a link whose text is the whole URL.
//! Everything is escaped; there are no images, styles or anything else fetched from a host.

/// The whole HTML document for a mail with this subject and plain-text body.
pub fn html_part(subject: &str, text: &str) -> String {
    let mut html = String::with_capacity(text.len() * 2 + 200);
    html.push_str("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>");
    html.push_str(&escape(subject));
    html.push_str("</title>\n</head>\n<body>\n");
    for paragraph in text.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = paragraph.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let rendered: Vec<String> = lines.iter().map(|line| render_line(line)).collect();
        html.push_str("<p>");
        html.push_str(&rendered.join("<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn render_line(line: &str) -> String {
    let trimmed = line.trim();
    if is_link(trimmed) {
        let url = escape(trimmed);
        format!("<a href=\"{url}\">{url}</a>")
    } else {
        escape(line)
    }
}

/// A whole line that is one web address (no spaces, nothing around it).
fn is_link(line: &str) -> bool {
    (line.starts_with("https://") || line.starts_with("http://"))
        && !line.contains(char::is_whitespace)
}

/// Escapes text for HTML content and double-quoted attributes alike.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_url_line_becomes_a_link_with_the_full_url_as_its_text() {
        let url = "https://flashcards.example/password-reset?token=abc-_DEF&x=1";
        let html = html_part("Subject", &format!("Hello,\n\nOpen:\n\n{url}\n\nBye.\n"));
        let escaped = "https://flashcards.example/password-reset?token=abc-_DEF&amp;x=1";
        assert!(
            html.contains(&format!("<p><a href=\"{escaped}\">{escaped}</a></p>")),
            "{html}"
        );
        assert!(html.contains("<p>Hello,</p>") && html.contains("<p>Bye.</p>"));
    }

    #[test]
    fn text_is_escaped_and_nothing_is_fetched_from_elsewhere() {
        let html = html_part(
            "a <b> & \"c\"",
            "Hello <script>x</script>,\nsee http://x y\n",
        );
        assert!(html.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(html.contains("Hello &lt;script&gt;x&lt;/script&gt;,<br>\nsee http://x y"));
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<link"));
        assert!(
            !html.contains("<a "),
            "a URL within a sentence stays text: {html}"
        );
    }
}
