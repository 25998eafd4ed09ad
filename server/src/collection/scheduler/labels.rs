//! The intervals shown on the answer buttons, as Anki's English strings ("<10m", "1d",
//! "1.2mo"), without the Unicode isolation marks Anki puts around the number.

use super::state::NextStates;

const MINUTE: f32 = 60.0;
const HOUR: f32 = 60.0 * MINUTE;
const DAY: f32 = 24.0 * HOUR;
const MONTH: f32 = 30.417 * DAY;
const YEAR: f32 = 365.0 * DAY;

/// The four labels at `now`: a wait that reaches past the next day start is shown in
/// days; one under the learn-ahead limit gets a "<".
pub fn labels(
    states: &NextStates,
    now: i64,
    next_day_at: i64,
    learn_ahead_secs: i64,
) -> [String; 4] {
    let until_rollover = (next_day_at - now).clamp(0, i64::from(u32::MAX)) as u32;
    let collapse = learn_ahead_secs.clamp(0, i64::from(u32::MAX)) as u32;
    [states.again, states.hard, states.good, states.easy].map(|state| {
        let secs = state.wait().in_days_past_rollover(until_rollover).as_secs();
        button_label(secs, collapse)
    })
}

fn button_label(secs: u32, collapse_secs: u32) -> String {
    if secs == 0 {
        return "(end)".to_owned();
    }
    let label = span(secs as f32);
    if secs < collapse_secs {
        format!("<{label}")
    } else {
        label
    }
}

/// The span in its largest fitting unit: seconds, minutes and days whole, hours, months
/// and years to one decimal.
fn span(secs: f32) -> String {
    let (amount, whole, unit) = if secs < MINUTE {
        (secs, true, "s")
    } else if secs < HOUR {
        (secs / MINUTE, true, "m")
    } else if secs < DAY {
        (secs / HOUR, false, "h")
    } else if secs < MONTH {
        (secs / DAY, true, "d")
    } else if secs < YEAR {
        (secs / MONTH, false, "mo")
    } else {
        (secs / YEAR, false, "y")
    };
    let amount = if whole {
        amount.round()
    } else {
        (amount * 10.0).round() / 10.0
    };
    // f32's shortest representation: 1.2, not 1.2000000476837158.
    format!("{amount}{unit}")
}
