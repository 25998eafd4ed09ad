//! What turns a computed review interval into the one given: the interval modifier, the
//! load balancer or the fuzz, and the minimum and maximum.

use super::fuzz;
use super::load_balancer::ReviewLoad;
use super::preset::Preset;

/// Everything an answer's intervals depend on besides the card.
pub(super) struct Intervals<'a> {
    pub preset: &'a Preset,
    pub seed: u64,
    pub fuzz_factor: f32,
    pub load: Option<&'a ReviewLoad>,
    /// The note whose other cards the load balancer keeps away from.
    pub sibling_of: Option<i64>,
}

impl Intervals<'_> {
    /// An interval for passing a review: times the interval modifier, within
    /// `minimum..=maximum`, balanced or fuzzed when `fuzz`, rounded otherwise.
    pub fn passing(&self, interval: f32, minimum: u32, fuzz: bool) -> u32 {
        let interval = interval * self.preset.interval_multiplier;
        let (minimum, maximum) = self.preset.interval_bounds(minimum);
        if fuzz {
            self.with_fuzz(interval, minimum, maximum)
        } else {
            (interval.round() as u32).clamp(minimum, maximum)
        }
    }

    /// The balanced interval where the load balancer applies, else the fuzzed one.
    pub fn with_fuzz(&self, interval: f32, minimum: u32, maximum: u32) -> u32 {
        self.load
            .and_then(|load| {
                load.find_interval(interval, minimum, maximum, self.seed, self.sibling_of)
            })
            .unwrap_or_else(|| fuzz::fuzzed_interval(self.fuzz_factor, interval, minimum, maximum))
    }
}
