//! Rendering a card's question and answer HTML as Anki renders them (`card.render_output()`:
//! the oracle whose vectors `server/tests/fixtures/render/` holds), from its notetype's
//! template, its note's fields and its deck.
//!
//! The output is Anki's text except for three deliberate, documented differences:
//! - media: `[sound:NAME]` becomes an `<audio controls>` element and local `src`s point at
//!   `/media/NAME` (see `media.rs`); Anki leaves sound tags to its player and resolves
//!   sources against the media folder.
//! - the type-answer box: where Anki's reviewer puts its input, the question has
//!   [`TYPE_ANSWER_INPUT`] (one id, `typeans`, without Anki's inline script and font
//!   style: card HTML runs without scripts here). On the answer every placeholder, the one
//!   `{{FrontSide}}` brings along included, becomes [`compare_answer`]'s HTML for what was
//!   typed ([`RenderedCard::answer_with_typed`]), without the reviewer's font wrapper. As
//!   in the reviewer, the first placeholder decides the field; when that field does not
//!   exist or is empty, the placeholders are removed from both sides.
//! - not rendered: LaTeX images, image occlusion and text-to-speech playback (the `tts`
//!   filter's directive is left in the text).
//!
//! Template errors and blank fronts render as the messages Anki shows, not as errors.

mod blake3;
mod cloze;
mod entities;
mod evaluate;
mod filters;
mod furigana;
mod html;
mod load;
mod media;
mod messages;
mod sequence_match;
mod template;
mod type_answer;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use load::{load_and_render, load_card, RenderError};
pub use media::{media_url, MEDIA_PREFIX};
pub use type_answer::compare_answer;

use evaluate::{FieldMap, TemplateError};

/// What the question shows where the answer is to be typed.
pub const TYPE_ANSWER_INPUT: &str = "<input type=\"text\" id=\"typeans\" autocomplete=\"off\" \
     autocorrect=\"off\" autocapitalize=\"off\" spellcheck=\"false\">";

/// A notetype is either normal (one template per card) or cloze (one template, one card
/// per cloze number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotetypeKind {
    Normal,
    Cloze,
}

/// Everything rendering one card needs.
#[derive(Debug, Clone)]
pub struct CardContext {
    pub card_id: i64,
    /// The card's ordinal: its template's index, or its cloze number less one.
    pub ord: u16,
    /// The card's flag value as stored (`{{CardFlag}}` shows `flag<N>`).
    pub flags: u8,
    pub kind: NotetypeKind,
    pub notetype_name: String,
    pub css: String,
    /// The card's template (the first one for a cloze notetype).
    pub template_name: String,
    pub question_format: String,
    pub answer_format: String,
    /// The note's fields in the notetype's order: name and stored HTML.
    pub fields: Vec<(String, String)>,
    pub tags: Vec<String>,
    /// The full name (`A::B`) of the card's home deck (its original deck while it is in a
    /// filtered one).
    pub deck_name: String,
}

/// A rendered card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCard {
    pub question: String,
    /// The answer as shown when nothing was typed (see [`RenderedCard::answer_with_typed`]).
    pub answer: String,
    /// The notetype's css (empty when a template could not be rendered, as in Anki).
    pub css: String,
    type_answer: Option<TypeAnswer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeAnswer {
    /// The answer split at the type-answer placeholders.
    answer_parts: Vec<String>,
    expected: String,
    combining: bool,
}

impl RenderedCard {
    /// True when the question asks for a typed answer.
    pub fn expects_typed_answer(&self) -> bool {
        self.type_answer.is_some()
    }

    /// The answer with `typed` compared against the expected answer where the template
    /// asks for it; the plain answer for a card without a typed answer.
    pub fn answer_with_typed(&self, typed: &str) -> String {
        match &self.type_answer {
            Some(t) => t
                .answer_parts
                .join(&compare_answer(&t.expected, typed, t.combining)),
            None => self.answer.clone(),
        }
    }
}

/// Renders `card` as Anki does. Never fails: a broken template renders as Anki's message.
pub fn render_card(card: &CardContext) -> RenderedCard {
    let tags = card.tags.join(" ");
    let subdeck = card.deck_name.rsplit("::").next().unwrap_or_default();
    let flag = format!("flag{}", card.flags);
    let card_id = card.card_id.to_string();
    let cloze_marker = format!("c{}", u32::from(card.ord) + 1);
    let specials = [
        ("Tags", tags.as_str()),
        ("Type", card.notetype_name.as_str()),
        ("Deck", card.deck_name.as_str()),
        ("Subdeck", subdeck),
        ("CardFlag", flag.as_str()),
        ("Card", card.template_name.as_str()),
        ("CardID", card_id.as_str()),
        (cloze_marker.as_str(), "1"),
    ];
    let notes = card.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let fields = FieldMap::new(notes.chain(specials));

    match render_sides(card, &fields) {
        Ok((question, answer)) => finish(card, question, answer),
        Err((error, question_side)) => {
            let message = messages::template_error(&error, question_side);
            RenderedCard {
                question: message.clone(),
                answer: message,
                css: String::new(),
                type_answer: None,
            }
        }
    }
}

/// Both sides before media and type-answer handling; on failure, the error and whether
/// it was the question's template.
fn render_sides(
    card: &CardContext,
    fields: &FieldMap,
) -> Result<(String, String), (TemplateError, bool)> {
    let front = |e| (e, true);
    let nodes = template::parse(&card.question_format)
        .map_err(TemplateError::Syntax)
        .map_err(front)?;
    let mut question = evaluate::render(&nodes, fields, card.ord, None).map_err(front)?;

    let blank = match card.kind {
        NotetypeKind::Cloze => {
            let mut numbers = BTreeSet::new();
            for value in fields.values() {
                cloze::numbers_in(value, &mut numbers);
            }
            let number = u32::from(card.ord) + 1;
            (!numbers.contains(&card.ord.saturating_add(1)))
                .then(|| messages::missing_cloze(number))
        }
        NotetypeKind::Normal => evaluate::renders_blank(&nodes, fields).then(messages::blank_front),
    };
    if let Some(message) = blank {
        question.push_str(&message);
        return Ok((question, message));
    }

    let back = |e| (e, false);
    let nodes = template::parse(&card.answer_format)
        .map_err(TemplateError::Syntax)
        .map_err(back)?;
    let answer = evaluate::render(&nodes, fields, card.ord, Some(&question)).map_err(back)?;
    Ok((question, answer))
}

/// Media references and the type-answer placeholders, as the module comment describes.
fn finish(card: &CardContext, question: String, answer: String) -> RenderedCard {
    let expected = type_answer::PLACEHOLDER
        .captures(&question)
        .and_then(|caps| {
            let spec = type_answer::spec(caps.get(1)?.as_str());
            let (_, value) = card.fields.iter().find(|(name, _)| name == spec.field)?;
            let expected = if spec.cloze {
                cloze::for_typing(value, card.ord.saturating_add(1))
            } else {
                value.clone()
            };
            (!expected.is_empty()).then_some((expected, spec.combining))
        });
    let placeholder = &*type_answer::PLACEHOLDER;
    let (question, type_answer) = match expected {
        Some((expected, combining)) => {
            let question = placeholder.replace_all(&question, TYPE_ANSWER_INPUT);
            let answer_parts = placeholder
                .split(&media::rewrite(&answer))
                .map(str::to_owned)
                .collect();
            let typed = TypeAnswer {
                answer_parts,
                expected,
                combining,
            };
            (question.into_owned(), Some(typed))
        }
        None => (placeholder.replace_all(&question, "").into_owned(), None),
    };
    let answer = match &type_answer {
        Some(_) => String::new(),
        None => media::rewrite(&placeholder.replace_all(&answer, "")),
    };
    let mut rendered = RenderedCard {
        question: media::rewrite(&question),
        answer,
        css: card.css.clone(),
        type_answer,
    };
    if rendered.type_answer.is_some() {
        rendered.answer = rendered.answer_with_typed("");
    }
    rendered
}
