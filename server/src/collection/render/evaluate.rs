//! Evaluating parsed template nodes against a card's fields: sections shown or hidden by
//! whether their field is empty, replacements run through their filters, `{{FrontSide}}`
//! (filters ignored, as in Anki) and the errors Anki reports for unknown fields.

use std::collections::{HashMap, HashSet};

use super::filters::{self, Side};
use super::html::field_is_empty;
use super::template::{Node, SyntaxError};

/// The values a template can refer to: the note's fields, then the special fields (Tags,
/// Deck, …) and the card's `cN` marker where no note field has that name.
pub(super) struct FieldMap<'a> {
    values: HashMap<&'a str, &'a str>,
    nonempty: HashSet<&'a str>,
}

impl<'a> FieldMap<'a> {
    /// Builds the map from `(name, value)` pairs; an earlier pair wins over a later one.
    pub fn new(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut values = HashMap::new();
        for (name, value) in pairs {
            values.entry(name).or_insert(value);
        }
        let nonempty = values
            .iter()
            .filter(|(_, value)| !field_is_empty(value))
            .map(|(name, _)| *name)
            .collect();
        FieldMap { values, nonempty }
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.values.get(name).copied()
    }

    pub fn values(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.values.values().copied()
    }
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TemplateError {
    Syntax(SyntaxError),
    /// `{{filters:field}}` names no field; `written` is the tag as written, minus braces.
    FieldNotFound {
        written: String,
        field: String,
    },
    /// `{{#field}}` / `{{^field}}` names no field; `sigil` is `#` or `^`.
    SectionNotFound {
        sigil: char,
        field: String,
    },
}

/// Renders `nodes`. `front_side` is `None` on the question and the rendered question on
/// the answer; it also decides which side the cloze filters render.
pub(super) fn render(
    nodes: &[Node],
    fields: &FieldMap,
    card_ord: u16,
    front_side: Option<&str>,
) -> Result<String, TemplateError> {
    let side = Side {
        card_ord,
        question: front_side.is_none(),
    };
    let mut out = String::new();
    render_into(&mut out, nodes, fields, side, front_side)?;
    Ok(out)
}

fn render_into(
    out: &mut String,
    nodes: &[Node],
    fields: &FieldMap,
    side: Side,
    front_side: Option<&str>,
) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) | Node::Comment(text) => out.push_str(text),
            Node::Replacement { field, .. } if field == "FrontSide" => {
                out.push_str(front_side.unwrap_or_default());
            }
            // `{{filter:}}`: Anki passes an empty text to add-on filters; none is built in.
            Node::Replacement { field, filters } if field.is_empty() && !filters.is_empty() => {}
            Node::Replacement { field, filters } => match fields.get(field) {
                Some(value) => out.push_str(&filters::apply(value, filters, field, side)),
                None => {
                    let mut written: Vec<&str> = filters.iter().rev().map(String::as_str).collect();
                    written.push(field);
                    return Err(TemplateError::FieldNotFound {
                        written: written.join(":"),
                        field: field.clone(),
                    });
                }
            },
            Node::Section {
                field,
                negated,
                children,
            } => {
                let shown = section_shown(fields, field, *negated)?;
                // A hidden section is still rendered so its errors are reported.
                let mut hidden = String::new();
                let target = if shown { &mut *out } else { &mut hidden };
                render_into(target, children, fields, side, front_side)?;
            }
        }
    }
    Ok(())
}

fn section_shown(fields: &FieldMap, field: &str, negated: bool) -> Result<bool, TemplateError> {
    if fields.nonempty.contains(field) {
        Ok(!negated)
    } else if fields.values.contains_key(field) || is_cloze_marker(field) {
        Ok(negated)
    } else {
        Err(TemplateError::SectionNotFound {
            sigil: if negated { '^' } else { '#' },
            field: field.to_owned(),
        })
    }
}

/// `c` followed by a number: the cloze markers, which never make a section an error.
fn is_cloze_marker(name: &str) -> bool {
    name.strip_prefix('c')
        .is_some_and(|n| n.parse::<u32>().is_ok())
}

/// True when the question template shows no non-empty field: Anki then shows its
/// "front of this card is blank" message instead. Negated sections count when their field
/// is empty; `{{FrontSide}}` and unknown names never count.
pub(super) fn renders_blank(nodes: &[Node], fields: &FieldMap) -> bool {
    nodes.iter().all(|node| match node {
        Node::Text(_) | Node::Comment(_) => true,
        Node::Replacement { field, .. } => !fields.nonempty.contains(field.as_str()),
        Node::Section {
            field,
            negated,
            children,
        } => {
            let shown = fields.nonempty.contains(field.as_str()) != *negated;
            !shown || renders_blank(children, fields)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::template::parse;
    use super::*;

    fn fields() -> FieldMap<'static> {
        FieldMap::new([("F", "front"), ("B", "back"), ("E", " <br> ")])
    }

    fn render_text(template: &str) -> Result<String, TemplateError> {
        render(&parse(template).expect("parses"), &fields(), 0, None)
    }

    #[test]
    fn sections_follow_emptiness() {
        assert_eq!(
            render_text("{{#E}}A{{/E}}{{^E}}B{{/E}}{{#F}}{{F}}{{/F}}").expect("parses"),
            "Bfront"
        );
        assert_eq!(
            render_text("{{^E}}1{{#F}}2{{#B}}{{F}}{{/B}}{{/F}}{{/E}}").expect("parses"),
            "12front"
        );
        assert_eq!(render_text("{{#c3}}x{{/c3}}").expect("parses"), "");
    }

    #[test]
    fn unknown_names_are_errors_even_in_hidden_sections() {
        assert_eq!(
            render_text("{{#E}}{{text:hint:X}}{{/E}}").expect_err("an error"),
            TemplateError::FieldNotFound {
                written: "text:hint:X".into(),
                field: "X".into()
            }
        );
        assert_eq!(
            render_text("{{^X}}{{/X}}").expect_err("an error"),
            TemplateError::SectionNotFound {
                sigil: '^',
                field: "X".into()
            }
        );
    }

    #[test]
    fn blank_fronts_are_detected() {
        let blank = |t: &str| renders_blank(&parse(t).expect("parses"), &fields());
        assert!(blank("{{E}} text {{#F}}{{E}}{{/F}}"));
        assert!(!blank("{{^E}}{{F}}{{/E}}"));
        assert!(blank("{{^F}}{{B}}{{/F}}"));
    }
}
