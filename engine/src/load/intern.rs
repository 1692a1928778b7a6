//! Sharing equal strings and lists of a column: a segment or branch column repeats a handful
//! of values a million times, and one allocation per distinct value saves most of the memory
//! and time of loading it. Columns with too many distinct values stop being shared.

use std::borrow::Borrow;
use std::hash::Hash;

use foldhash::{HashMap, HashMapExt};

use super::infer::Problem;
use super::json::Json;
use super::table::Cell;
use crate::model::{Value, ValueType};

/// Distinct values remembered per column before sharing is given up as not worth it.
const MAX_DISTINCT: usize = 1 << 16;

/// Converted values of one column, by the text they came from: borrowed cell text (`&str`)
/// when reading a file, the shared text of an in-memory column (`Arc<str>`) otherwise.
#[derive(Debug)]
pub(crate) struct Interner<K> {
    seen: HashMap<K, Value>,
    enabled: bool,
}

impl<K: Borrow<str> + Hash + Eq> Interner<K> {
    /// An interner for a column of `value_type`; only strings and lists are worth sharing.
    pub(crate) fn new(value_type: ValueType) -> Interner<K> {
        Interner {
            seen: HashMap::new(),
            enabled: matches!(value_type, ValueType::Str | ValueType::List),
        }
    }

    /// `convert()`, or a clone of the value an equal `text` converted to before.
    pub(crate) fn share(
        &mut self,
        text: K,
        convert: impl FnOnce() -> Result<Value, Problem>,
    ) -> Result<Value, Problem> {
        let key: &str = text.borrow();
        if !self.enabled || key.is_empty() {
            return convert();
        }
        if let Some(value) = self.seen.get(key) {
            return Ok(value.clone());
        }
        let value = convert()?;
        if self.seen.len() < MAX_DISTINCT {
            self.seen.insert(text, value.clone());
        } else {
            self.enabled = false;
            self.seen = HashMap::new();
        }
        Ok(value)
    }
}

impl<'t> Interner<&'t str> {
    /// `convert(cell)`, or a clone of the value an equal text cell converted to before.
    pub(crate) fn convert(
        &mut self,
        cell: Cell<'t>,
        convert: impl FnOnce(Cell<'t>) -> Result<Value, Problem>,
    ) -> Result<Value, Problem> {
        let text: &'t str = match cell {
            Cell::Text(text) => text,
            Cell::Json(Json::Str(text)) => text,
            Cell::Json(_) => return convert(cell),
        };
        self.share(text, || convert(cell))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::load::infer::from_text;

    fn text(
        interner: &mut Interner<&'static str>,
        cell: &'static str,
        value_type: ValueType,
    ) -> Value {
        interner
            .convert(Cell::Text(cell), |_| from_text(cell, value_type, ';'))
            .unwrap()
    }

    #[test]
    fn equal_strings_share_one_allocation() {
        let mut interner = Interner::new(ValueType::Str);
        let (Value::Str(a), Value::Str(b)) = (
            text(&mut interner, "HNW", ValueType::Str),
            text(&mut interner, "HNW", ValueType::Str),
        ) else {
            panic!("not strings")
        };
        assert!(Arc::ptr_eq(&a, &b));
        let mut interner = Interner::new(ValueType::List);
        let (Value::List(a), Value::List(b)) = (
            text(&mut interner, "a;b", ValueType::List),
            text(&mut interner, "a;b", ValueType::List),
        ) else {
            panic!("not lists")
        };
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn other_types_and_errors_are_not_remembered() {
        let mut interner = Interner::new(ValueType::Int);
        assert_eq!(text(&mut interner, "5", ValueType::Int), Value::Int(5));
        assert!(interner.seen.is_empty());
        let mut interner = Interner::new(ValueType::Str);
        let failed = interner.convert(Cell::Text("x"), |_| Err(Problem::Invalid));
        assert_eq!(failed, Err(Problem::Invalid));
        assert!(interner.seen.is_empty());
    }

    #[test]
    fn too_many_distinct_values_turn_sharing_off() {
        let cells: Vec<&'static str> = (0..=MAX_DISTINCT)
            .map(|i| &*Box::leak(i.to_string().into_boxed_str()))
            .collect();
        let mut interner = Interner::new(ValueType::Str);
        for cell in &cells {
            assert_eq!(
                text(&mut interner, cell, ValueType::Str),
                Value::Str(Arc::from(*cell))
            );
        }
        assert!(!interner.enabled);
        assert!(interner.seen.is_empty());
        assert_eq!(
            text(&mut interner, cells[0], ValueType::Str),
            Value::Str(Arc::from(cells[0]))
        );
    }
}
