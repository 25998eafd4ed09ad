//! Mixing two lists into one: one after the other, or spread evenly, the way the v3
//! scheduler spreads interday learning among reviews and new cards among the rest.

use super::options::Mix;

/// `base` and `other` combined by `mix` (`Before` puts `other` first).
pub fn mix<T>(base: Vec<T>, other: Vec<T>, mix: Mix) -> Vec<T> {
    match mix {
        Mix::After => base.into_iter().chain(other).collect(),
        Mix::Before => other.into_iter().chain(base).collect(),
        Mix::Interspersed => intersperse(base, other),
    }
}

/// Spreads the shorter list evenly through the longer: an item of `other` comes next
/// when its place on `base`'s scale, (index + 1) * (|base| + 1) / (|other| + 1), is
/// strictly before the next `base` item's (index + 1). Computed in `f32`, as Anki does,
/// so ties land the same way.
pub fn intersperse<T>(base: Vec<T>, other: Vec<T>) -> Vec<T> {
    let ratio = (base.len() + 1) as f32 / (other.len() + 1) as f32;
    let mut out = Vec::with_capacity(base.len() + other.len());
    let mut base = base.into_iter().peekable();
    let mut other = other.into_iter().peekable();
    let (mut base_index, mut other_index) = (0usize, 0usize);
    loop {
        let take_other = match (base.peek(), other.peek()) {
            (Some(_), Some(_)) => ((other_index + 1) as f32 * ratio) < (base_index + 1) as f32,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return out,
        };
        if take_other {
            out.extend(other.next());
            other_index += 1;
        } else {
            out.extend(base.next());
            base_index += 1;
        }
    }
}
