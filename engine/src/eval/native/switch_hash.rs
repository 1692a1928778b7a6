//! The hash rhai keys a `switch`'s cases with.
//!
//! rhai keeps only the hash of each case value, computed by hashing the value as a `Dynamic`
//! with its default hasher (ahash, with the same keys for every hasher of a process). The
//! native step hashes the same way, and checks once per process on a probe `switch` that the
//! hashes agree: should a rhai upgrade change its hashing, switches simply stay on rhai.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use rhai::{Dynamic, Engine};

use crate::rules::ir;

/// The hash rhai gives `value` as a switch case, for the kinds of value the native path
/// handles (text, integers, booleans, `()`); `None` for anything else.
pub(super) fn of(value: &Dynamic) -> Option<u64> {
    if !(value.is_string() || value.is_int() || value.is_bool() || value.is_unit()) {
        return None;
    }
    let mut hasher = ahash::AHasher::default();
    value.hash(&mut hasher);
    Some(hasher.finish())
}

/// Whether [`of`] gives the hashes rhai keys cases with, checked on a probe once.
pub(super) fn agrees_with_rhai() -> bool {
    static AGREES: OnceLock<bool> = OnceLock::new();
    *AGREES.get_or_init(|| {
        let probe = "fn f(x) { switch x { \"probe\" => 1, 42 => 2, true => 3, () => 4 } }";
        let Ok(ast) = Engine::new_raw().compile(probe) else {
            return false;
        };
        let expected: Vec<Dynamic> = vec!["probe".into(), 42_i64.into(), true.into(), ().into()];
        // The probe's cases as the rules' IR keeps them, hashes and all.
        let program = ir::Program::lower(&ast);
        let Some(ir::Stmt::Switch(switch)) = program
            .functions
            .first()
            .and_then(|function| function.body.first())
        else {
            return false;
        };
        switch.cases.len() == expected.len()
            && expected.iter().all(|value| {
                of(value).is_some_and(|hash| switch.cases.iter().any(|(case, _)| *case == hash))
            })
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_native_switch_hashes_cases_as_rhai_does() {
        assert!(super::agrees_with_rhai());
    }
}
