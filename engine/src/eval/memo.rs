//! Remembering a derived field by the values it reads. Rules are pure (no clock, no state, no
//! randomness), so customers that agree on everything a field reads get the same value: a
//! `segment` reading `kind` and `tier` runs a handful of times instead of once per customer.
//! Fields whose inputs rarely repeat (an exact amount) stop being remembered after a trial.

use std::collections::HashMap;

use rhai::{Array, Dynamic, ImmutableString};

use super::sandbox::Slots;
use crate::date::Date;
use crate::model::Value;
use crate::rules::FieldRule;

/// Lookups after which a field is kept only if at least half of them were hits.
const TRIAL: u32 = 1024;
/// Distinct keys remembered per field and worker.
const CAPACITY: usize = 1 << 14;

/// A value a rule read, in a form that can be hashed and compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    Unit,
    Int(i64),
    /// Bits of the float: equal bits, equal value and equal behaviour in the rule.
    Float(u64),
    Bool(bool),
    Str(ImmutableString),
    Date(Date),
    Array(Vec<Key>),
}

impl Key {
    fn of(value: &Dynamic) -> Option<Key> {
        if value.is_unit() {
            return Some(Key::Unit);
        }
        if let Ok(v) = value.as_int() {
            return Some(Key::Int(v));
        }
        if let Ok(v) = value.as_float() {
            return Some(Key::Float(v.to_bits()));
        }
        if let Ok(v) = value.as_bool() {
            return Some(Key::Bool(v));
        }
        if let Some(v) = value.read_lock::<ImmutableString>() {
            return Some(Key::Str(v.clone()));
        }
        if let Some(v) = value.read_lock::<Date>() {
            return Some(Key::Date(*v));
        }
        if let Some(items) = value.read_lock::<Array>() {
            return items
                .iter()
                .map(Key::of)
                .collect::<Option<_>>()
                .map(Key::Array);
        }
        None
    }
}

/// One field's remembered results in one worker.
#[derive(Debug)]
pub(super) struct Memo {
    /// The record slots the field reads; `None` if it cannot be remembered (it reads the id,
    /// the current manager, or reads dynamically).
    slots: Option<Vec<usize>>,
    seen: HashMap<Vec<Key>, (Dynamic, Value)>,
    lookups: u32,
    hits: u32,
}

impl Memo {
    /// A memo for `rule`, whose reads are found in `slots`.
    pub(super) fn new(rule: &FieldRule, slots: &Slots) -> Memo {
        let read_slots = if rule.reads_dynamically {
            None
        } else {
            rule.reads
                .iter()
                .map(|name| slots.by_name.get(name).copied())
                .collect()
        };
        Memo {
            slots: read_slots,
            seen: HashMap::new(),
            lookups: 0,
            hits: 0,
        }
    }

    /// The key of a record whose slots hold `values`, if this field is still remembered and
    /// every value it reads can be a key.
    pub(super) fn key(&self, values: &[Dynamic]) -> Option<Vec<Key>> {
        self.slots
            .as_ref()?
            .iter()
            .map(|&slot| values.get(slot).and_then(Key::of))
            .collect()
    }

    /// The remembered result for `key`.
    pub(super) fn get(&mut self, key: &[Key]) -> Option<(Dynamic, Value)> {
        self.lookups = self.lookups.saturating_add(1);
        let found = self.seen.get(key).cloned();
        if found.is_some() {
            self.hits += 1;
        } else if self.lookups >= TRIAL && self.hits * 2 < self.lookups {
            // Not worth it for this field: stop building keys.
            self.slots = None;
            self.seen = HashMap::new();
        }
        found
    }

    /// Remembers the result for `key`.
    pub(super) fn insert(&mut self, key: Vec<Key>, result: (Dynamic, Value)) {
        if self.slots.is_some() && self.seen.len() < CAPACITY {
            self.seen.insert(key, result);
        }
    }
}
