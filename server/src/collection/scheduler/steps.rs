//! Learning and relearning steps: the delay each button gives a card on a step, and the
//! steps left after it. Steps are minutes in the preset and seconds here; `left` counts
//! the steps still to go (the last step is `left == 1`).

const DAY: u32 = 86_400;

#[derive(Debug, Clone, Copy)]
pub(super) struct Steps<'a> {
    minutes: &'a [f32],
}

impl<'a> Steps<'a> {
    pub fn new(minutes: &'a [f32]) -> Self {
        Steps { minutes }
    }

    /// The step a card with `remaining` steps left is on, kept within the steps (a preset
    /// whose steps changed since leaves cards with counts that no longer fit).
    fn index(&self, remaining: u32) -> usize {
        let total = self.minutes.len();
        total
            .saturating_sub((remaining % 1000) as usize)
            .min(total.saturating_sub(1))
    }

    fn secs(&self, index: usize) -> Option<u32> {
        // Anki truncates fractional seconds (0.5 min is 30 s).
        self.minutes.get(index).map(|m| (m * 60.0) as u32)
    }

    /// Again: back to the first step.
    pub fn again_secs(&self) -> Option<u32> {
        self.secs(0)
    }

    /// Hard: the current step again; on the first step, between it and the next (or half
    /// as long again, at most a day more, when there is no next).
    pub fn hard_secs(&self, remaining: u32) -> Option<u32> {
        let index = self.index(remaining);
        let current = self.secs(index).or_else(|| self.secs(0))?;
        if index != 0 {
            return Some(current);
        }
        let secs = match self.secs(1) {
            Some(next) => current.saturating_add(next) / 2,
            None => (current.saturating_mul(3) / 2).min(current.saturating_add(DAY)),
        };
        Some(round_to_days_past_a_day(secs))
    }

    /// Good: the next step, if there is one.
    pub fn good_secs(&self, remaining: u32) -> Option<u32> {
        self.secs(self.index(remaining) + 1)
    }

    /// The delay of the step a card is on (what it was last given).
    pub fn current_secs(&self, remaining: u32) -> u32 {
        self.secs(self.index(remaining)).unwrap_or(0)
    }

    pub fn remaining_after_good(&self, remaining: u32) -> u32 {
        self.minutes.len().saturating_sub(self.index(remaining) + 1) as u32
    }

    pub fn remaining_after_again(&self) -> u32 {
        self.minutes.len() as u32
    }
}

/// A delay over a day becomes whole days, so it is the same whatever the time of day.
fn round_to_days_past_a_day(secs: u32) -> u32 {
    if secs > DAY {
        ((secs as f32 / DAY as f32).round() as u32).saturating_mul(DAY)
    } else {
        secs
    }
}
