//! The document a card side is shown in. Card HTML is untrusted (shared decks carry
//! scripts; SECURITY.md T19): the page puts it in `<iframe sandbox="allow-same-origin"
//! srcdoc=...>`. Without `allow-scripts` nothing in it runs, so a template's script can
//! neither read the session's cookie (it is HttpOnly besides) nor act on the account;
//! without `allow-forms`, `allow-popups` and `allow-top-navigation` it cannot post or
//! navigate the page. `allow-same-origin` lets the page's own script (not the card's)
//! read the type-in box and open hints inside it. The frame inherits the study page's
//! CSP, which admits the card's inline styles and this server's media only.

/// The srcdoc of one card side: the notetype's CSS and the side's HTML in Anki's
/// `<div id="qa">` inside `<body class="card">`, so the notetype's selectors apply (the
/// page's script adds Anki's `nightMode` classes under the dark theme).
pub fn document(css: &str, html: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/static/card.css\">\
         <style>{css}</style></head><body class=\"card\"><div id=\"qa\">{html}</div></body></html>",
        css = css.replace("</style", "<\\/style"),
    )
}

/// The study page's CSP: the frame inherits it. Inline styles are the cards' own (they
/// cannot be hashed ahead); scripts only from this server, and the sandbox runs none in
/// the frame; images and sounds from this server (and `data:` images, as Anki shows).
pub const STUDY_CSP: &str = "default-src 'self'; img-src 'self' data:; media-src 'self'; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

#[cfg(test)]
mod tests {
    #[test]
    fn a_card_cannot_close_the_style_element() {
        let doc = super::document("x{} </style><script>alert(1)</script>", "<b>Q</b>");
        assert!(!doc.contains("</style><script>"));
        assert!(doc.contains("<div id=\"qa\"><b>Q</b></div>"));
    }
}
