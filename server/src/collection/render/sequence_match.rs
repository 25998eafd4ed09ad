//! The edit script between a typed answer and the expected one, computed as Anki computes
//! it (Ratcliff/Obershelp longest-matching-block recursion, the algorithm of Python's
//! `difflib.SequenceMatcher`), so the same characters are marked right and wrong.
//!
//! One quirk is kept on purpose: for an expected answer of 200 characters or more, Anki's
//! matcher indexes only the characters that occur more than `len / 100 + 1` times (Python's
//! "autojunk" heuristic inverted); matches still grow across the others.

use std::collections::HashMap;

/// How a stretch of the typed answer relates to a stretch of the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Equal,
    /// Only in the typed answer.
    Delete,
    /// Only in the expected answer.
    Insert,
    Replace,
}

/// One step: `typed[typed_range]` against `expected[expected_range]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Step {
    pub op: Op,
    pub typed: std::ops::Range<usize>,
    pub expected: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Block {
    typed: usize,
    expected: usize,
    size: usize,
}

/// The steps turning `typed` into `expected`, in order.
pub(super) fn steps(typed: &[char], expected: &[char]) -> Vec<Step> {
    let mut steps = Vec::new();
    let (mut i, mut j) = (0, 0);
    for block in matching_blocks(typed, expected) {
        let op = match (i < block.typed, j < block.expected) {
            (true, true) => Some(Op::Replace),
            (true, false) => Some(Op::Delete),
            (false, true) => Some(Op::Insert),
            (false, false) => None,
        };
        if let Some(op) = op {
            steps.push(Step {
                op,
                typed: i..block.typed,
                expected: j..block.expected,
            });
        }
        i = block.typed + block.size;
        j = block.expected + block.size;
        if block.size > 0 {
            steps.push(Step {
                op: Op::Equal,
                typed: block.typed..i,
                expected: block.expected..j,
            });
        }
    }
    steps
}

/// The matching blocks in order, adjacent ones merged, ending with an empty block at the
/// two ends.
fn matching_blocks(typed: &[char], expected: &[char]) -> Vec<Block> {
    let index = positions(expected);
    let mut found = Vec::new();
    let mut pending = vec![(0, typed.len(), 0, expected.len())];
    while let Some((t0, t1, e0, e1)) = pending.pop() {
        let block = longest_match(typed, expected, &index, (t0, t1), (e0, e1));
        if block.size == 0 {
            continue;
        }
        if t0 < block.typed && e0 < block.expected {
            pending.push((t0, block.typed, e0, block.expected));
        }
        if block.typed + block.size < t1 && block.expected + block.size < e1 {
            pending.push((
                block.typed + block.size,
                t1,
                block.expected + block.size,
                e1,
            ));
        }
        found.push(block);
    }
    found.sort();
    let mut merged: Vec<Block> = Vec::new();
    for block in found {
        match merged.last_mut() {
            Some(last)
                if last.typed + last.size == block.typed
                    && last.expected + last.size == block.expected =>
            {
                last.size += block.size;
            }
            _ => merged.push(block),
        }
    }
    merged.push(Block {
        typed: typed.len(),
        expected: expected.len(),
        size: 0,
    });
    merged
}

/// Where each character of the expected answer occurs (see the module comment for which
/// characters a long answer indexes).
fn positions(expected: &[char]) -> HashMap<char, Vec<usize>> {
    let mut index: HashMap<char, Vec<usize>> = HashMap::new();
    for (j, &c) in expected.iter().enumerate() {
        index.entry(c).or_default().push(j);
    }
    if expected.len() >= 200 {
        let frequent = expected.len() / 100 + 1;
        index.retain(|_, at| at.len() > frequent);
    }
    index
}

/// The longest block of equal characters within the two ranges (earliest in `typed`,
/// then in `expected`, on ties), grown over characters the index leaves out.
fn longest_match(
    typed: &[char],
    expected: &[char],
    index: &HashMap<char, Vec<usize>>,
    (t0, t1): (usize, usize),
    (e0, e1): (usize, usize),
) -> Block {
    let (mut best_t, mut best_e, mut best_size) = (t0, e0, 0);
    // Length of the match ending at expected[j] for the previous typed character.
    let mut ending: HashMap<usize, usize> = HashMap::new();
    for (i, c) in typed.iter().enumerate().take(t1).skip(t0) {
        let mut next = HashMap::new();
        for &j in index.get(c).map(Vec::as_slice).unwrap_or_default() {
            if j < e0 {
                continue;
            }
            if j >= e1 {
                break;
            }
            let size = j
                .checked_sub(1)
                .and_then(|p| ending.get(&p))
                .copied()
                .unwrap_or(0)
                + 1;
            next.insert(j, size);
            if size > best_size {
                best_t = i + 1 - size;
                best_e = j + 1 - size;
                best_size = size;
            }
        }
        ending = next;
    }
    while best_t > t0 && best_e > e0 && typed[best_t - 1] == expected[best_e - 1] {
        best_t -= 1;
        best_e -= 1;
        best_size += 1;
    }
    while best_t + best_size < t1
        && best_e + best_size < e1
        && typed[best_t + best_size] == expected[best_e + best_size]
    {
        best_size += 1;
    }
    Block {
        typed: best_t,
        expected: best_e,
        size: best_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn steps_cover_both_strings() {
        let ops: Vec<Op> = steps(&chars("1123"), &chars("123"))
            .iter()
            .map(|s| s.op)
            .collect();
        assert_eq!(ops, vec![Op::Delete, Op::Equal]);
        let ops: Vec<Op> = steps(&chars("1"), &chars("12"))
            .iter()
            .map(|s| s.op)
            .collect();
        assert_eq!(ops, vec![Op::Equal, Op::Insert]);
        assert!(steps(&[], &[]).is_empty());
    }
}
