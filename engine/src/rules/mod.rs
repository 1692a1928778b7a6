//! Rules (being written).
