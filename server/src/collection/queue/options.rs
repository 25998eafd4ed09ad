//! The options of the selected deck's preset that order the queue, and the bury options of
//! any deck's preset, as the v3 scheduler reads them from `deck_config.config`.

use crate::schema_bridge::pb::DeckConfigConfig;

/// How interday learning cards join the reviews, or new cards join the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mix {
    /// Spread evenly among them.
    #[default]
    Interspersed,
    After,
    Before,
}

impl Mix {
    fn from_stored(value: i32) -> Mix {
        match value {
            1 => Mix::After,
            2 => Mix::Before,
            _ => Mix::Interspersed,
        }
    }
}

/// The order reviews (and interday learning cards) are gathered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReviewOrder {
    #[default]
    Day,
    DayThenDeck,
    DeckThenDay,
    IntervalsAscending,
    IntervalsDescending,
    EaseAscending,
    EaseDescending,
    RetrievabilityAscending,
    RetrievabilityDescending,
    RelativeOverdueness,
    Random,
    Added,
    ReverseAdded,
}

impl ReviewOrder {
    fn from_stored(value: i32) -> ReviewOrder {
        match value {
            1 => ReviewOrder::DayThenDeck,
            2 => ReviewOrder::DeckThenDay,
            3 => ReviewOrder::IntervalsAscending,
            4 => ReviewOrder::IntervalsDescending,
            5 => ReviewOrder::EaseAscending,
            6 => ReviewOrder::EaseDescending,
            7 => ReviewOrder::RetrievabilityAscending,
            8 => ReviewOrder::Random,
            9 => ReviewOrder::Added,
            10 => ReviewOrder::ReverseAdded,
            11 => ReviewOrder::RetrievabilityDescending,
            12 => ReviewOrder::RelativeOverdueness,
            _ => ReviewOrder::Day,
        }
    }
}

/// Which new cards are taken first when the limits leave room for only some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewGather {
    /// Deck by deck in name order, each by position.
    #[default]
    Deck,
    /// Deck by deck in name order, notes in random order.
    DeckThenRandomNotes,
    LowestPosition,
    HighestPosition,
    RandomNotes,
    RandomCards,
}

impl NewGather {
    fn from_stored(value: i32) -> NewGather {
        match value {
            1 => NewGather::LowestPosition,
            2 => NewGather::HighestPosition,
            3 => NewGather::RandomNotes,
            4 => NewGather::RandomCards,
            5 => NewGather::DeckThenRandomNotes,
            _ => NewGather::Deck,
        }
    }
}

/// How the gathered new cards are then sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NewSort {
    /// By template, gather order within one.
    #[default]
    Template,
    /// Gather order.
    None,
    TemplateThenRandom,
    RandomNoteThenTemplate,
    RandomCard,
}

impl NewSort {
    fn from_stored(value: i32) -> NewSort {
        match value {
            1 => NewSort::None,
            2 => NewSort::TemplateThenRandom,
            3 => NewSort::RandomNoteThenTemplate,
            4 => NewSort::RandomCard,
            _ => NewSort::Template,
        }
    }
}

/// The ordering options, all taken from the selected deck's preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SortOptions {
    pub new_mix: Mix,
    pub interday_learning_mix: Mix,
    pub review_order: ReviewOrder,
    pub new_gather: NewGather,
    pub new_sort: NewSort,
}

impl SortOptions {
    pub fn from_config(config: &DeckConfigConfig) -> SortOptions {
        SortOptions {
            new_mix: Mix::from_stored(config.new_mix),
            interday_learning_mix: Mix::from_stored(config.interday_learning_mix),
            review_order: ReviewOrder::from_stored(config.review_order),
            new_gather: NewGather::from_stored(config.new_card_gather_priority),
            new_sort: NewSort::from_stored(config.new_card_sort_order),
        }
    }

    /// A filtered deck has no preset: its cards keep the order the deck gave them.
    pub fn for_filtered_deck() -> SortOptions {
        SortOptions {
            new_sort: NewSort::None,
            ..SortOptions::default()
        }
    }
}

/// Which siblings of a card a preset buries: when the card is answered, and, while the
/// queue is built, once the card has been taken (or seen) before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuryOptions {
    pub new: bool,
    pub reviews: bool,
    pub interday_learning: bool,
}

impl BuryOptions {
    pub fn from_config(config: &DeckConfigConfig) -> BuryOptions {
        BuryOptions {
            new: config.bury_new,
            reviews: config.bury_reviews,
            interday_learning: config.bury_interday_learning,
        }
    }

    pub fn any(&self) -> bool {
        self.new || self.reviews || self.interday_learning
    }

    /// Both sets of options at once: a note buries with every option any of its cards
    /// seen so far brought.
    pub fn union(self, other: BuryOptions) -> BuryOptions {
        BuryOptions {
            new: self.new || other.new,
            reviews: self.reviews || other.reviews,
            interday_learning: self.interday_learning || other.interday_learning,
        }
    }
}
