//! Converting between field values and rhai's `Dynamic`, per worker. The loader shares one
//! string per distinct value of a column and rules return the same few strings (tiers,
//! lifecycles, tags), so each worker keeps what it converted: fewer allocations, and none
//! freed on another thread.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::{Dynamic, ImmutableString};

use crate::date::Date;
use crate::model::Value;

/// Distinct values remembered per direction; beyond this, values are converted afresh.
const CAPACITY: usize = 4_096;

/// One worker's conversion caches.
#[derive(Default)]
pub(crate) struct Converter {
    /// Input strings and lists by the address of their shared allocation. Each entry keeps
    /// its value (a reference to that allocation) alive, so the address cannot be freed and
    /// reused by another string while it is cached: a router converting short-lived leads
    /// would otherwise read one lead's `kind` as another's.
    inputs: HashMap<usize, (Value, Dynamic)>,
    /// Output strings by content.
    outputs: HashMap<ImmutableString, Arc<str>>,
}

impl Converter {
    /// An input attribute as rules see it.
    pub(crate) fn input(&mut self, value: &Value) -> Dynamic {
        let address = match value {
            Value::Null => return Dynamic::UNIT,
            Value::Int(v) => return Dynamic::from_int(*v),
            Value::Float(v) => return Dynamic::from_float(*v),
            Value::Bool(v) => return Dynamic::from_bool(*v),
            Value::Date(v) => return Dynamic::from(*v),
            Value::Str(v) => Arc::as_ptr(v).cast::<u8>() as usize,
            Value::List(items) => Arc::as_ptr(items).cast::<u8>() as usize,
        };
        if let Some((_, cached)) = self.inputs.get(&address) {
            return cached.clone();
        }
        let converted = match value {
            Value::Str(v) => Dynamic::from(ImmutableString::from(&**v)),
            Value::List(items) => Dynamic::from_array(
                items
                    .iter()
                    .map(|s| Dynamic::from(ImmutableString::from(&**s)))
                    .collect(),
            ),
            _ => Dynamic::UNIT,
        };
        if self.inputs.len() < CAPACITY {
            self.inputs
                .insert(address, (value.clone(), converted.clone()));
        }
        converted
    }

    /// A rule's result as a field value, if it is one.
    pub(super) fn output(&mut self, result: &Dynamic) -> Option<Value> {
        if result.is_unit() {
            return Some(Value::Null);
        }
        if let Ok(v) = result.as_int() {
            return Some(Value::Int(v));
        }
        if let Ok(v) = result.as_float() {
            return v.is_finite().then_some(Value::Float(v));
        }
        if let Ok(v) = result.as_bool() {
            return Some(Value::Bool(v));
        }
        if let Some(v) = result.read_lock::<ImmutableString>() {
            return Some(Value::Str(self.text(&v)));
        }
        if let Some(v) = result.read_lock::<Date>() {
            return Some(Value::Date(*v));
        }
        if let Some(items) = result.read_lock::<rhai::Array>() {
            let strings: Option<Vec<Arc<str>>> = items
                .iter()
                .map(|item| item.read_lock::<ImmutableString>().map(|s| self.text(&s)))
                .collect();
            return strings.map(|s| Value::List(s.into()));
        }
        None
    }

    fn text(&mut self, text: &ImmutableString) -> Arc<str> {
        if let Some(shared) = self.outputs.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text.as_str());
        if self.outputs.len() < CAPACITY {
            self.outputs.insert(text.clone(), shared.clone());
        }
        shared
    }
}

/// The type of a rejected result, for the error message.
pub(super) fn describe(result: &Dynamic) -> String {
    match result.as_float() {
        Ok(v) if !v.is_finite() => "a non-finite float".to_owned(),
        _ if result.is_array() => "an array holding something other than strings".to_owned(),
        _ => format!(
            "a value of type `{}` where int, float, bool, string, date, an array of strings or () is expected",
            result.type_name()
        ),
    }
}
