//! Parsing a card template into nodes, with Anki's lexical rules: `{{…}}` tags (the
//! content up to the first `}}`, leading `{` dropped, trimmed), `#` / `^` / `/` opening
//! and closing sections, `filter:filter:Field` replacements, HTML comments kept verbatim
//! and never evaluated, an unterminated `{{` or `<!--` left as text, and the legacy
//! `{{=<% %>=}}` directive switching the delimiters to `<%` `%>`.

/// One parsed piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    Text(String),
    /// An HTML comment with its delimiters, copied to the output as is.
    Comment(String),
    /// `{{f2:f1:Field}}`: `filters` in the order they apply (`f1` first).
    Replacement {
        field: String,
        filters: Vec<String>,
    },
    /// `{{#Field}}…{{/Field}}`, or with `negated` `{{^Field}}…{{/Field}}`.
    Section {
        field: String,
        negated: bool,
        children: Vec<Node>,
    },
}

/// What is wrong with a template's sections; the message Anki shows is built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SyntaxError {
    /// `{{#F}}` (or `{{^F}}`) never closed.
    NotClosed(String),
    /// `{{/closed}}` while `open` is the innermost open section, or no section is open.
    WrongClose {
        closed: String,
        open: Option<String>,
    },
}

const ALT_DIRECTIVE: &str = "{{=<% %>=}}";
const COMMENT_START: &str = "<!--";
const COMMENT_END: &str = "-->";

enum Token<'a> {
    Text(&'a str),
    Comment(&'a str),
    Tag(&'a str),
}

/// Parses a whole template.
pub(super) fn parse(template: &str) -> Result<Vec<Node>, SyntaxError> {
    let (mut rest, open, close) = match template.trim_start().strip_prefix(ALT_DIRECTIVE) {
        Some(after) => (after, "<%", "%>"),
        None => (template, "{{", "}}"),
    };
    let mut tokens = Vec::new();
    while let Some((token, after)) = next_token(rest, open, close) {
        tokens.push(token);
        rest = after;
    }
    let mut iter = tokens.into_iter();
    parse_until(&mut iter, None)
}

/// The next token: a tag or a comment where one starts and is terminated, else the text
/// up to the first position where one does.
fn next_token<'a>(input: &'a str, open: &str, close: &str) -> Option<(Token<'a>, &'a str)> {
    if input.is_empty() {
        return None;
    }
    for (i, _) in input.char_indices() {
        let here = &input[i..];
        let found = delimited(here, open, close)
            .map(|(inner, after)| (Token::Tag(inner), after))
            .or_else(|| {
                delimited(here, COMMENT_START, COMMENT_END)
                    .map(|(inner, after)| (Token::Comment(inner), after))
            });
        if let Some(token) = found {
            return Some(if i == 0 {
                token
            } else {
                (Token::Text(&input[..i]), here)
            });
        }
    }
    Some((Token::Text(input), ""))
}

fn delimited<'a>(s: &'a str, start: &str, end: &str) -> Option<(&'a str, &'a str)> {
    let body = s.strip_prefix(start)?;
    let stop = body.find(end)?;
    Some((&body[..stop], &body[stop + end.len()..]))
}

fn parse_until<'a>(
    tokens: &mut impl Iterator<Item = Token<'a>>,
    open_section: Option<&str>,
) -> Result<Vec<Node>, SyntaxError> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        let tag = match token {
            Token::Text(text) => {
                nodes.push(Node::Text(text.to_owned()));
                continue;
            }
            Token::Comment(text) => {
                nodes.push(Node::Comment(format!("{COMMENT_START}{text}{COMMENT_END}")));
                continue;
            }
            Token::Tag(tag) => tag.trim_start_matches('{').trim(),
        };
        // A one-character tag is always a field name, even `#` or `/`.
        let mut chars = tag.chars();
        let sigil = chars.next().filter(|_| tag.len() >= 2);
        let name = chars.as_str().trim_start();
        match sigil {
            Some(c @ ('#' | '^')) => nodes.push(Node::Section {
                field: name.to_owned(),
                negated: c == '^',
                children: parse_until(tokens, Some(name))?,
            }),
            Some('/') => {
                return match open_section {
                    Some(open) if open == name => Ok(nodes),
                    open => Err(SyntaxError::WrongClose {
                        closed: name.to_owned(),
                        open: open.map(str::to_owned),
                    }),
                };
            }
            _ => nodes.push(replacement(tag)),
        }
    }
    match open_section {
        Some(open) => Err(SyntaxError::NotClosed(open.to_owned())),
        None => Ok(nodes),
    }
}

/// `a:b:Field`: the field is what follows the last colon, the filters apply right to left.
fn replacement(tag: &str) -> Node {
    let mut parts = tag.rsplit(':');
    let field = parts.next().unwrap_or_default().to_owned();
    Node::Replacement {
        field,
        filters: parts.map(str::to_owned).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Node {
        Node::Text(s.to_owned())
    }

    fn field(name: &str, filters: &[&str]) -> Node {
        Node::Replacement {
            field: name.to_owned(),
            filters: filters.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn tags_sections_and_filters_parse() {
        assert_eq!(
            parse("foo {{bar}} {{#baz}} {{ a:b:c }} {{/baz}}").expect("parses"),
            vec![
                text("foo "),
                field("bar", &[]),
                text(" "),
                Node::Section {
                    field: "baz".into(),
                    negated: false,
                    children: vec![text(" "), field("c", &["b", "a"]), text(" ")],
                }
            ]
        );
        assert_eq!(
            parse("{{{F}}}").expect("parses"),
            vec![field("F", &[]), text("}")]
        );
        assert_eq!(parse("a {{ b").expect("parses"), vec![text("a {{ b")]);
        assert_eq!(parse("{{/}}").expect("parses"), vec![field("/", &[])]);
    }

    #[test]
    fn unbalanced_sections_are_errors() {
        assert_eq!(
            parse("{{#a}}").expect_err("an error"),
            SyntaxError::NotClosed("a".into())
        );
        assert_eq!(
            parse("{{#a}}{{/b}}").expect_err("an error"),
            SyntaxError::WrongClose {
                closed: "b".into(),
                open: Some("a".into())
            }
        );
        assert!(parse("{{/b}}").is_err());
    }

    #[test]
    fn comments_and_the_legacy_directive() {
        assert_eq!(
            parse("<!--{{a}}-->{{b}}").expect("parses"),
            vec![Node::Comment("<!--{{a}}-->".into()), field("b", &[])]
        );
        assert_eq!(
            parse(" {{=<% %>=}}<%a%>{{b}}").expect("parses"),
            vec![field("a", &[]), text("{{b}}")]
        );
    }
}
