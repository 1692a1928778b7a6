//! The sandbox's limits, part of a compiled rulebook: some are checked when it is compiled
//! (source size, expression depth, text constants), the rest bound each evaluation (`eval`).

/// Bounds on what one rule evaluation may do. The defaults stop an endless loop within
/// milliseconds and keep memory per evaluation to a few megabytes; callers can change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per rule evaluation (one customer, one rule): one unit per operation, and for
    /// every read of a variable or a field as much again as the data it holds (16 per array
    /// or map item, 1 per 16 bytes of text), so that built-ins working through large values
    /// cannot run for long on one operation. Deterministic: it counts work, not time.
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_depth: usize,
    /// Expression nesting, checked when the rulebook is compiled.
    pub max_expr_depth: usize,
    /// Bytes in one string.
    pub max_string_size: usize,
    /// Items in one array.
    pub max_array_size: usize,
    /// Entries in one object map.
    pub max_map_size: usize,
    /// Variables alive at once.
    pub max_variables: usize,
    /// Levels of arrays and maps nested in each other in one value (each copy walks them all).
    pub max_value_depth: usize,
    /// Bytes of rulebook source, checked when it is compiled.
    pub max_source_size: usize,
    /// Bytes of one text constant in the source. Built-ins working through text cost time
    /// in its length, and a constant, unlike a variable, is read without paying fuel for it.
    pub max_text_constant: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_operations: 200_000,
            max_call_depth: 32,
            max_expr_depth: 64,
            max_string_size: 16 * 1024,
            max_array_size: 4_096,
            max_map_size: 1_024,
            max_variables: 256,
            max_value_depth: 32,
            max_source_size: 1024 * 1024,
            max_text_constant: 256,
        }
    }
}
