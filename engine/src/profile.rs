//! Profiling (being written).
