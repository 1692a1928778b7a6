//! Built-ins whose work grows with their arguments, charged for it in fuel before they do it.
//!
//! Reading a variable already pays for the data it holds (`fuel`), but a constant array or
//! text, or a value fresh from another call, is read for free, and one call of these can scan
//! thousands of items, each compared through rhai's `==` dispatch (`contains`, `index_of`,
//! `==`, `dedup`), or make them (`pad`, `split`, `to_chars`). They replace rhai's own versions
//! (functions registered on the engine are found before its packages') with the same results,
//! and charge [`fuel::PER_ITEM`] per item they compare or make.

use rhai::{Array, Dynamic, Engine, EvalAltResult, INT, ImmutableString, NativeCallContext};

use super::fuel;

type Outcome<T> = Result<T, Box<EvalAltResult>>;

/// Replaces rhai's scanning and growing built-ins with metered ones.
pub(super) fn register(engine: &mut Engine) {
    engine
        .register_fn("contains", contains)
        .register_fn("index_of", index_of)
        .register_fn("index_of", index_of_from)
        .register_fn("==", arrays_equal)
        .register_fn("!=", arrays_differ)
        .register_fn("dedup", dedup)
        .register_fn("pad", pad_array)
        .register_fn("pad", pad_with_char)
        .register_fn("pad", pad_with_text)
        .register_fn("to_chars", to_chars)
        .register_fn("split", split_whitespace)
        .register_fn("split", split_text)
        .register_fn("split", split_text_into)
        .register_fn("split", split_char)
        .register_fn("split", split_char_into)
        .register_fn("split_rev", split_rev_text)
        .register_fn("split_rev", split_rev_text_into)
        .register_fn("split_rev", split_rev_char)
        .register_fn("split_rev", split_rev_char_into);
}

/// The pieces of a text as an array, charged by their number: making them costs a copy each,
/// and a constant text of thousands of characters costs nothing to read.
fn pieces<'a>(parts: impl Iterator<Item = &'a str>) -> Outcome<Array> {
    let array: Array = parts
        .map(|part| ImmutableString::from(part).into())
        .collect();
    charge_items(array.len())?;
    Ok(array)
}

/// How many pieces `segments` asks for; `None` for one piece, the whole text.
fn segments(segments: INT) -> Option<usize> {
    (segments > 1).then(|| usize::try_from(segments).unwrap_or(usize::MAX))
}

fn to_chars(text: &str) -> Outcome<Array> {
    let array: Array = text.chars().map(Dynamic::from).collect();
    charge_items(array.len())?;
    Ok(array)
}

fn split_whitespace(text: &mut ImmutableString) -> Outcome<Array> {
    if text.is_empty() {
        return Ok(vec![text.clone().into()]);
    }
    pieces(text.split_whitespace())
}

fn split_text(text: &mut ImmutableString, delimiter: &str) -> Outcome<Array> {
    pieces(text.split(delimiter))
}

fn split_text_into(text: &mut ImmutableString, delimiter: &str, count: INT) -> Outcome<Array> {
    match segments(count) {
        Some(n) => pieces(text.splitn(n, delimiter)),
        None => Ok(vec![text.clone().into()]),
    }
}

fn split_char(text: &mut ImmutableString, delimiter: char) -> Outcome<Array> {
    pieces(text.split(delimiter))
}

fn split_char_into(text: &mut ImmutableString, delimiter: char, count: INT) -> Outcome<Array> {
    match segments(count) {
        Some(n) => pieces(text.splitn(n, delimiter)),
        None => Ok(vec![text.clone().into()]),
    }
}

fn split_rev_text(text: &mut ImmutableString, delimiter: &str) -> Outcome<Array> {
    pieces(text.rsplit(delimiter))
}

fn split_rev_text_into(text: &mut ImmutableString, delimiter: &str, count: INT) -> Outcome<Array> {
    match segments(count) {
        Some(n) => pieces(text.rsplitn(n, delimiter)),
        None => Ok(vec![text.clone().into()]),
    }
}

fn split_rev_char(text: &mut ImmutableString, delimiter: char) -> Outcome<Array> {
    pieces(text.rsplit(delimiter))
}

fn split_rev_char_into(text: &mut ImmutableString, delimiter: char, count: INT) -> Outcome<Array> {
    match segments(count) {
        Some(n) => pieces(text.rsplitn(n, delimiter)),
        None => Ok(vec![text.clone().into()]),
    }
}

fn contains(cx: NativeCallContext, array: &mut Array, value: Dynamic) -> Outcome<bool> {
    Ok(position(&cx, array, &value, 0)?.is_some())
}

fn index_of(cx: NativeCallContext, array: &mut Array, value: Dynamic) -> Outcome<INT> {
    index(position(&cx, array, &value, 0)?)
}

fn index_of_from(
    cx: NativeCallContext,
    array: &mut Array,
    value: Dynamic,
    start: INT,
) -> Outcome<INT> {
    let from = start_of(array.len(), start);
    index(position(&cx, array, &value, from)?)
}

fn arrays_differ(cx: NativeCallContext, a: &mut Array, b: Array) -> Outcome<bool> {
    arrays_equal(cx, a, b).map(|equal| !equal)
}

fn pad_with_char(
    cx: NativeCallContext,
    text: &mut ImmutableString,
    len: INT,
    padding: char,
) -> Outcome<()> {
    pad_text(&cx, text, len, &padding.to_string())
}

fn pad_with_text(
    cx: NativeCallContext,
    text: &mut ImmutableString,
    len: INT,
    padding: &str,
) -> Outcome<()> {
    pad_text(&cx, text, len, padding)
}

/// Charges for comparing `items` items.
fn charge_items(items: usize) -> Outcome<()> {
    fuel::charge_before((items as u64).saturating_mul(fuel::PER_ITEM))
}

/// Whether `item` equals `value` by the script's `==`; values of different types without an
/// `==` between them are unequal, as in rhai's own array functions. Only `value` is copied
/// (the call needs it mutable); the array's item is handed over as it is.
fn equal(cx: &NativeCallContext, item: &mut Dynamic, value: &Dynamic) -> Outcome<bool> {
    let mut value = value.clone();
    match cx.call_native_fn_raw("==", true, &mut [item, &mut value]) {
        Ok(result) => Ok(result.as_bool().unwrap_or(false)),
        Err(error) => match *error {
            EvalAltResult::ErrorFunctionNotFound(ref signature, ..)
                if signature.starts_with("==") && item.type_id() != value.type_id() =>
            {
                Ok(false)
            }
            _ => Err(error),
        },
    }
}

/// The first index from `from` whose item equals `value`.
fn position(
    cx: &NativeCallContext,
    array: &mut Array,
    value: &Dynamic,
    from: usize,
) -> Outcome<Option<usize>> {
    charge_items(array.len().saturating_sub(from))?;
    for (i, item) in array.iter_mut().enumerate().skip(from) {
        if equal(cx, item, value)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn index(position: Option<usize>) -> Outcome<INT> {
    Ok(position.map_or(-1, |i| INT::try_from(i).unwrap_or(INT::MAX)))
}

/// Where a search starting at `start` begins: negative counts from the end.
fn start_of(len: usize, start: INT) -> usize {
    if start < 0 {
        let back = usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX);
        len.saturating_sub(back)
    } else {
        usize::try_from(start).unwrap_or(usize::MAX).min(len)
    }
}

fn arrays_equal(cx: NativeCallContext, a: &mut Array, b: Array) -> Outcome<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    charge_items(a.len())?;
    for (x, y) in a.iter_mut().zip(&b) {
        if !equal(&cx, x, y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Removes consecutive repeats, keeping the first of each run.
fn dedup(cx: NativeCallContext, array: &mut Array) -> Outcome<()> {
    charge_items(array.len())?;
    let mut kept: Array = Vec::with_capacity(array.len());
    for item in array.drain(..) {
        let repeat = match kept.last_mut() {
            Some(last) => equal(&cx, last, &item)?,
            None => false,
        };
        if !repeat {
            kept.push(item);
        }
    }
    *array = kept;
    Ok(())
}

/// Pads `array` to `len` items with copies of `item`, paying for every copy first.
fn pad_array(cx: NativeCallContext, array: &mut Array, len: INT, item: Dynamic) -> Outcome<()> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(());
    };
    let added = len.saturating_sub(array.len());
    if added == 0 {
        return Ok(());
    }
    let each = fuel::PER_ITEM.saturating_add(fuel::read_cost(&item)?);
    fuel::charge_before((added as u64).saturating_mul(each))?;
    let max = cx.engine().max_array_size();
    if max > 0 && len > max {
        return Err(too_large("Size of array"));
    }
    array.resize(len, item);
    Ok(())
}

/// Pads `text` to `len` characters with repeats of `padding`, the last one cut short.
fn pad_text(
    cx: &NativeCallContext,
    text: &mut ImmutableString,
    len: INT,
    padding: &str,
) -> Outcome<()> {
    let Ok(len) = usize::try_from(len) else {
        return Ok(());
    };
    let max = cx.engine().max_string_size();
    if max > 0 && len > max {
        return Err(too_large("Length of string"));
    }
    let have = text.chars().count();
    if len <= have || padding.is_empty() {
        return Ok(());
    }
    let added = len - have;
    fuel::charge_before(added as u64 / fuel::BYTES_PER_UNIT)?;
    let grown = text.make_mut();
    grown.extend(padding.chars().cycle().take(added));
    if max > 0 && grown.len() > max {
        return Err(too_large("Length of string"));
    }
    Ok(())
}

fn too_large(what: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorDataTooLarge(what.to_owned(), rhai::Position::NONE).into()
}
