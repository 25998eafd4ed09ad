//! Fuzz: Anki spreads review intervals over a range around the computed one, and learning
//! delays up to a quarter (at most five minutes) longer, with a random number that is a
//! function of the card: a `StdRng` (ChaCha12) seeded with `seed_from_u64(card id + reps)`,
//! reps as they were before the answer. The same generator drives the load balancer's
//! weighted choice, so a card gets the same result on every device.

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

/// The seed of a card about to be answered.
pub(super) fn seed(card_id: i64, reps: i64) -> u64 {
    (card_id as u64).wrapping_add(reps as u64)
}

pub(super) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Where in the fuzz range a review interval falls, in `0.0..1.0`.
pub(super) fn factor(seed: u64) -> f32 {
    rng(seed).gen_range(0.0f32..1.0)
}

/// Days of fuzz either way per interval: none under 2.5 days, then one day plus 15% of
/// the days from 2.5 to 7, 10% of those from 7 to 20 and 5% of those past 20.
fn delta(interval: f32) -> f32 {
    if interval < 2.5 {
        return 0.0;
    }
    const RANGES: [(f32, f32, f32); 3] =
        [(2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, f32::MAX, 0.05)];
    RANGES.iter().fold(1.0, |delta, &(start, end, share)| {
        delta + share * (interval.min(end) - start).max(0.0)
    })
}

/// The fuzz range of `interval` within `minimum..=maximum`, at least two days wide when
/// the bounds allow and the interval is over two days.
pub(super) fn bounds(interval: f32, minimum: u32, maximum: u32) -> (u32, u32) {
    let minimum = minimum.min(maximum);
    let interval = interval.clamp(minimum as f32, maximum as f32);
    let delta = delta(interval);
    let lower = ((interval - delta).round() as u32).clamp(minimum, maximum);
    let mut upper = ((interval + delta).round() as u32).clamp(minimum, maximum);
    if upper == lower && upper > 2 && upper < maximum {
        upper = lower + 1;
    }
    (lower, upper)
}

/// The fuzzed interval: the point `factor` of the way through the range.
pub(super) fn fuzzed_interval(factor: f32, interval: f32, minimum: u32, maximum: u32) -> u32 {
    let (lower, upper) = bounds(interval, minimum, maximum);
    (lower as f32 + factor * ((1 + upper - lower) as f32)).floor() as u32
}

/// A learning delay with its fuzz: uniform in `secs..secs + min(secs / 4, 300)`.
pub(super) fn learning_secs(seed: u64, secs: u32) -> u32 {
    let upper_exclusive = secs + ((secs as f32) * 0.25).min(300.0).floor() as u32;
    if secs >= upper_exclusive {
        return secs;
    }
    secs + below(&mut rng(seed), upper_exclusive - secs)
}

/// A uniform integer in `0..range` as `rand` 0.9's `random_range` draws it for `u32`
/// (Canon's method): the high half of a widening multiply, corrected by a second draw
/// when the low half is close enough to overflow.
fn below(rng: &mut StdRng, range: u32) -> u32 {
    let wide = u64::from(rng.next_u32()) * u64::from(range);
    let (mut result, low) = ((wide >> 32) as u32, wide as u32);
    if low > range.wrapping_neg() {
        let carry = (u64::from(rng.next_u32()) * u64::from(range)) >> 32;
        result += u32::from(low.checked_add(carry as u32).is_none());
    }
    result
}
