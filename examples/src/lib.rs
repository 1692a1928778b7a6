//! Example bank (being written).
