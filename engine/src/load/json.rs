//! JSON input: a top-level array of objects, or JSON Lines (one object per line). Keys keep
//! their order of first appearance, which serde_json's own map would not.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::table::{JsonRow, Rows, Table};
use crate::error::{InputError, Location};

/// A JSON value with object keys in input order and duplicates kept, so they can be reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`, or a key the record does not have.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer outside `i64`, as its digits (with its sign): never turned into a float, so
    /// a column of integers with one too large is an error, as in CSV, not a float column.
    BigInt(Box<str>),
    /// Any other number (always finite: serde_json rejects what is not).
    Float(f64),
    /// A string, shared so a string attribute can keep it without copying.
    Str(Arc<str>),
    /// An array.
    Array(Box<[Json]>),
    /// An object, keys in input order.
    Object(Box<[(Box<str>, Json)]>),
}

/// Strings of one column seen so far, so a value repeated down a column (a segment, a date, a
/// manager) is one allocation; given up when a column has too many distinct values.
#[derive(Debug, Default)]
struct Strings {
    seen: HashSet<Arc<str>>,
    full: bool,
}

/// Distinct strings remembered per column.
const MAX_DISTINCT_STRINGS: usize = 1 << 16;

impl Strings {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.seen.get(text) {
            return Arc::clone(shared);
        }
        let text: Arc<str> = Arc::from(text);
        if !self.full {
            if self.seen.len() < MAX_DISTINCT_STRINGS {
                self.seen.insert(Arc::clone(&text));
            } else {
                self.full = true;
                self.seen = HashSet::new();
            }
        }
        text
    }
}

/// The numbers serde_json reads as floats of magnitude 2^63 or more, in input order: the
/// integer literals among them (too large for 64 bits; serde_json, without arbitrary
/// precision, makes them floats) with their digits, the float literals (`1e19`) as `None`.
/// Found by a pass over the text the first time the parser meets such a number (in most
/// inputs, never), and taken in turn as it meets them.
#[derive(Debug, Default)]
struct LargeNumbers<'t> {
    text: &'t [u8],
    found: Option<Vec<Option<Box<str>>>>,
    next: usize,
}

/// 2^63: below it, serde_json reads every integer literal as `i64` or `u64`.
const TWO_TO_THE_63: f64 = 9_223_372_036_854_775_808.0;

impl<'t> LargeNumbers<'t> {
    /// The large numbers of `text` (JSON, or JSON Lines), found when first needed.
    fn of(text: &'t [u8]) -> LargeNumbers<'t> {
        LargeNumbers {
            text,
            found: None,
            next: 0,
        }
    }

    /// The large numbers of `text`, in order.
    fn scan(text: &[u8]) -> Vec<Option<Box<str>>> {
        let mut found = Vec::new();
        let mut i = 0;
        while let Some(&byte) = text.get(i) {
            match byte {
                b'"' => {
                    i += 1;
                    while let Some(&byte) = text.get(i) {
                        i += if byte == b'\\' { 2 } else { 1 };
                        if byte == b'"' {
                            break;
                        }
                    }
                }
                b'-' | b'0'..=b'9' => {
                    let start = i;
                    while text.get(i).is_some_and(|b| {
                        matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                    }) {
                        i += 1;
                    }
                    if let Some(large) = large_number(&text[start..i]) {
                        found.push(large);
                    }
                }
                _ => i += 1,
            }
        }
        found
    }

    /// What serde_json read as `value`: the digits of an integer literal too large for 64
    /// bits, or `None` for a float.
    fn digits_of(&mut self, value: f64) -> Option<Box<str>> {
        if value.abs() < TWO_TO_THE_63 {
            return None;
        }
        let text = self.text;
        let found = self.found.get_or_insert_with(|| LargeNumbers::scan(text));
        let large = found.get_mut(self.next)?.take();
        self.next += 1;
        large
    }
}

/// For a number token that serde_json reads as a float of magnitude 2^63 or more: `Some` with
/// its digits if it is an integer literal, `Some(None)` if a float literal.
fn large_number(token: &[u8]) -> Option<Option<Box<str>>> {
    let (negative, digits) = match token.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, token),
    };
    if digits.iter().all(u8::is_ascii_digit) {
        // Integers within these magnitudes are read as i64 or u64 (leading zeros are invalid).
        let most: &[u8] = if negative {
            b"9223372036854775808"
        } else {
            b"18446744073709551615"
        };
        let beyond = digits.len() > most.len() || (digits.len() == most.len() && digits > most);
        if !beyond {
            return None;
        }
        return Some(std::str::from_utf8(token).ok().map(Box::from));
    }
    // A float literal is below 10^(integer digits + exponent); only one that may reach 2^63
    // (about 9.2e18) is parsed, by serde_json itself so that both reads agree.
    let (mantissa, exponent) = match digits.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(at) => (&digits[..at], &digits[at + 1..]),
        None => (digits, &b""[..]),
    };
    let whole_digits = mantissa.iter().take_while(|b| b.is_ascii_digit()).count() as i64;
    let exponent = std::str::from_utf8(exponent)
        .ok()
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(if exponent.is_empty() { 0 } else { i64::MAX });
    if whole_digits.saturating_add(exponent) <= 18 {
        return None;
    }
    let value: f64 = serde_json::from_slice(token).ok()?;
    (value.abs() >= TWO_TO_THE_63).then_some(None)
}

/// Reads any JSON value, sharing its strings through a column's [`Strings`] and telling large
/// integers from floats through [`LargeNumbers`].
struct JsonSeed<'s, 't>(&'s mut Strings, &'s mut LargeNumbers<'t>);

impl<'de> DeserializeSeed<'de> for JsonSeed<'_, '_> {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_, '_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or_else(|_| Json::BigInt(v.to_string().into()), Json::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(match self.1.digits_of(v) {
            Some(digits) => Json::BigInt(digits),
            None => Json::Float(v),
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(self.0.get(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(JsonSeed(&mut *self.0, &mut *self.1))? {
            items.push(item);
        }
        Ok(Json::Array(items.into_boxed_slice()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Box<str>>()? {
            entries.push((
                key,
                map.next_value_seed(JsonSeed(&mut *self.0, &mut *self.1))?,
            ));
        }
        Ok(Json::Object(entries.into_boxed_slice()))
    }
}

/// What is wrong with a record beyond JSON syntax; found while parsing, reported with its place.
#[derive(Debug, Clone, PartialEq)]
enum Defect {
    NotObject,
    DuplicateKey(usize),
    EmptyKey,
    TooManyKeys,
}

/// Column names in order of first appearance, shared by all records of a file.
#[derive(Debug, Default)]
struct Columns<'t> {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Per column, the 1-based number of the last record that had it (to catch repeated keys).
    seen: Vec<usize>,
    /// Per column, its strings.
    strings: Vec<Strings>,
    /// The input's numbers too large for 64 bits.
    large: LargeNumbers<'t>,
    /// The 1-based number of the record being read.
    record: usize,
    /// The column after the last key read: records usually repeat the same order.
    guess: usize,
    defect: Option<Defect>,
    /// The most cells (records × columns) the input may make: every record gets every column,
    /// so many keys each in few records would need memory out of all proportion to the input.
    max_cells: usize,
}

impl<'t> Columns<'t> {
    fn for_input(bytes: &'t [u8]) -> Columns<'t> {
        Columns {
            max_cells: bytes.len().saturating_mul(8).max(1 << 24),
            large: LargeNumbers::of(bytes),
            ..Columns::default()
        }
    }

    fn intern(&mut self, key: &str) -> usize {
        let column = match self.names.get(self.guess) {
            Some(name) if name == key => self.guess,
            _ => match self.index.get(key) {
                Some(&column) => column,
                None => {
                    let column = self.names.len();
                    self.names.push(key.to_owned());
                    self.index.insert(key.to_owned(), column);
                    self.seen.push(0);
                    self.strings.push(Strings::default());
                    column
                }
            },
        };
        self.guess = column + 1;
        column
    }
}

/// Reads one record into cells indexed by column.
struct RecordSeed<'c, 't>(&'c mut Columns<'t>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = Vec<Json>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Json>, D::Error> {
        self.0.record += 1;
        self.0.guess = 0;
        deserializer.deserialize_any(RecordVisitor(self.0))
    }
}

struct RecordVisitor<'c, 't>(&'c mut Columns<'t>);

impl RecordVisitor<'_, '_> {
    fn not_object<T, E: de::Error>(self) -> Result<T, E> {
        self.0.defect = Some(Defect::NotObject);
        Err(E::custom("record is not an object"))
    }
}

impl<'de> Visitor<'de> for RecordVisitor<'_, '_> {
    type Value = Vec<Json>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Json>, A::Error> {
        let columns = self.0;
        let mut cells = Vec::with_capacity(columns.names.len());
        while let Some(column) = map.next_key_seed(KeySeed(columns))? {
            let Some(strings) = columns.strings.get_mut(column) else {
                return Err(de::Error::custom("unknown column"));
            };
            let value = map.next_value_seed(JsonSeed(strings, &mut columns.large))?;
            if columns.names.get(column).is_some_and(String::is_empty) {
                columns.defect = Some(Defect::EmptyKey);
                return Err(de::Error::custom("empty key"));
            }
            let Some(seen) = columns.seen.get_mut(column) else {
                return Err(de::Error::custom("unknown column"));
            };
            if *seen == columns.record {
                columns.defect = Some(Defect::DuplicateKey(column));
                return Err(de::Error::custom("duplicate key"));
            }
            *seen = columns.record;
            if cells.len() <= column {
                cells.resize(column + 1, Json::Null);
            }
            cells[column] = value;
        }
        if columns.names.len().saturating_mul(columns.record) > columns.max_cells {
            columns.defect = Some(Defect::TooManyKeys);
            return Err(de::Error::custom("too many keys"));
        }
        Ok(cells)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Json>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<Json>, E> {
        self.not_object()
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vec<Json>, E> {
        self.not_object()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Vec<Json>, E> {
        self.not_object()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vec<Json>, E> {
        self.not_object()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<Json>, E> {
        self.not_object()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<Json>, E> {
        self.not_object()
    }
}

/// Reads a key as its column number.
struct KeySeed<'c, 't>(&'c mut Columns<'t>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, key: &str) -> Result<usize, E> {
        Ok(self.0.intern(key))
    }
}

/// Reads a top-level array of records.
struct ArrayVisitor<'c, 't>(&'c mut Columns<'t>);

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = Vec<JsonRow>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<JsonRow>, A::Error> {
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(cells) = seq.next_element_seed(RecordSeed(&mut *self.0))? {
            rows.push(JsonRow { line: None, cells });
        }
        Ok(rows)
    }
}

/// Reads a `.json` file: an array of objects, or JSON Lines when it starts with `{`.
pub(crate) fn read<'a>(bytes: &'a [u8], source: &'a str) -> Result<Table<'a>, InputError> {
    let text = strip_bom(bytes);
    match text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| (i, text[i]))
    {
        Some((_, b'[')) | None => read_array(bytes, source),
        Some((_, b'{')) => read_lines(bytes, source),
        Some((offset, _)) => Err(InputError::Malformed {
            at: Location::in_source(source).at_line(line_at(text, offset)),
            message: "expected an array of objects, or one object per line".to_owned(),
        }),
    }
}

/// Reads a top-level array of objects.
pub(crate) fn read_array<'a>(bytes: &'a [u8], source: &'a str) -> Result<Table<'a>, InputError> {
    let text = strip_bom(bytes);
    let mut columns = Columns::for_input(text);
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let parsed = deserializer
        .deserialize_seq(ArrayVisitor(&mut columns))
        .and_then(|rows| deserializer.end().map(|()| rows));
    let rows = match parsed {
        Ok(rows) => rows,
        Err(error) => {
            let record = columns.record.saturating_sub(1);
            let at = match &columns.defect {
                Some(_) => Location::in_source(source)
                    .at_line(element_line(text, record).unwrap_or_else(|| error.line() as u64))
                    .in_record(format!("#{record}")),
                None => Location::in_source(source).at_line(error.line() as u64),
            };
            return Err(malformed(at, &columns, &error));
        }
    };
    Ok(Table {
        source,
        columns: columns.names,
        rows: Rows::Json(rows),
        declared: false,
        json_array: Some(text),
        indexed: true,
    })
}

/// Reads JSON Lines: one object per line, blank lines allowed.
pub(crate) fn read_lines<'a>(bytes: &'a [u8], source: &'a str) -> Result<Table<'a>, InputError> {
    let text = strip_bom(bytes);
    let mut columns = Columns::for_input(text);
    let mut rows = Vec::new();
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = index as u64 + 1;
        let mut deserializer = serde_json::Deserializer::from_slice(line);
        let parsed = RecordSeed(&mut columns)
            .deserialize(&mut deserializer)
            .and_then(|cells| deserializer.end().map(|()| cells));
        match parsed {
            Ok(cells) => rows.push(JsonRow {
                line: Some(number),
                cells,
            }),
            Err(error) => {
                return Err(malformed(
                    Location::in_source(source).at_line(number),
                    &columns,
                    &error,
                ));
            }
        }
    }
    Ok(Table {
        source,
        columns: columns.names,
        rows: Rows::Json(rows),
        declared: false,
        json_array: None,
        indexed: false,
    })
}

/// The error for a record that failed to parse: its defect if it has one, else the syntax error.
fn malformed(mut at: Location, columns: &Columns<'_>, error: &serde_json::Error) -> InputError {
    let message = match &columns.defect {
        Some(Defect::NotObject) => "record is not a JSON object".to_owned(),
        Some(Defect::EmptyKey) => "record has an empty key".to_owned(),
        Some(Defect::TooManyKeys) => {
            "records have too many different keys for their number: a column per key would not fit in memory".to_owned()
        }
        Some(Defect::DuplicateKey(column)) => {
            if let Some(name) = columns.names.get(*column) {
                at = at.in_column(name.clone());
            }
            "record has the same key twice".to_owned()
        }
        None => syntax_message(error),
    };
    InputError::Malformed { at, message }
}

/// serde_json's message without its position (the location carries the line) and without any
/// value it may quote: type errors name the value, so they get a fixed message instead.
fn syntax_message(error: &serde_json::Error) -> String {
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            let text = error.to_string();
            let suffix = format!(" at line {} column {}", error.line(), error.column());
            let message = text.strip_suffix(&suffix).unwrap_or(&text);
            format!("{message} (character {})", error.column())
        }
        serde_json::error::Category::Data | serde_json::error::Category::Io => {
            "expected an array of objects, or one object per line".to_owned()
        }
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The 1-based line of byte `offset`.
fn line_at(text: &[u8], offset: usize) -> u64 {
    let end = offset.min(text.len());
    1 + text[..end].iter().filter(|&&b| b == b'\n').count() as u64
}

/// The line on which element `index` of the top-level array in `text` starts. One pass over the
/// text, done only when an error needs the line.
pub(crate) fn element_line(text: &[u8], index: usize) -> Option<u64> {
    let mut line = 1u64;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_element = false;
    let mut element = 0usize;
    for &b in text {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if depth == 1 && expect_element {
            if b == b']' {
                return None;
            }
            if element == index {
                return Some(line);
            }
            element += 1;
            expect_element = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_element = true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::table::Cell;

    fn error_of(result: Result<Table<'_>, InputError>) -> InputError {
        match result {
            Err(error) => error,
            Ok(table) => panic!("expected an error, got {:?}", table.columns),
        }
    }

    #[test]
    fn keys_keep_their_order_of_first_appearance() {
        let table = read_array(br#"[{"b": 1, "a": 2}, {"c": 3, "a": 4}]"#, "t.json").unwrap();
        assert_eq!(table.columns, ["b", "a", "c"]);
        assert_eq!(table.len(), 2);
        assert!(matches!(table.cell(0, 2), Cell::Json(Json::Null)));
        assert!(matches!(table.cell(1, 0), Cell::Json(Json::Null)));
        assert!(matches!(table.cell(1, 2), Cell::Json(Json::Int(3))));
    }

    #[test]
    fn values_keep_their_kind() {
        let table = read_lines(
            br#"{"a": null, "b": true, "c": -3, "d": 18446744073709551615, "e": 1.5, "f": "x", "g": ["y"], "h": {"k": 1}}"#,
            "t.jsonl",
        )
        .unwrap();
        let cells: Vec<Json> = (0..8)
            .map(|c| match table.cell(0, c) {
                Cell::Json(json) => json.clone(),
                Cell::Text(_) => panic!("text cell"),
            })
            .collect();
        assert_eq!(
            cells,
            [
                Json::Null,
                Json::Bool(true),
                Json::Int(-3),
                Json::BigInt("18446744073709551615".into()),
                Json::Float(1.5),
                Json::Str("x".into()),
                Json::Array(Box::new([Json::Str("y".into())])),
                Json::Object(Box::new([("k".into(), Json::Int(1))])),
            ]
        );
    }

    #[test]
    fn integers_beyond_64_bits_stay_integers_and_floats_stay_floats() {
        let line = br#"{"a": 123456789012345678901234567890, "b": -9223372036854775809, "c": 1e19, "d": 1.5, "e": 20000000000000000000.0, "f": "-99999999999999999999 \" 1e30", "g": [18446744073709551616, 1E+19], "h": -9223372036854775808, "i": 1e3, "j": -0}"#;
        let expected = [
            Json::BigInt("123456789012345678901234567890".into()),
            Json::BigInt("-9223372036854775809".into()),
            Json::Float(1e19),
            Json::Float(1.5),
            Json::Float(2e19),
            Json::Str("-99999999999999999999 \" 1e30".into()),
            Json::Array(Box::new([
                Json::BigInt("18446744073709551616".into()),
                Json::Float(1e19),
            ])),
            Json::Int(i64::MIN),
            Json::Float(1000.0),
            Json::Float(-0.0),
        ];
        // The same values on one line, and spread over the records of an array.
        let array: Vec<u8> = {
            let text = std::str::from_utf8(line).unwrap();
            let fields: Vec<&str> = text[1..text.len() - 1].split(", \"").collect();
            let records: Vec<String> = fields
                .iter()
                .map(|f| format!("{{\"{}}}", f.trim_start_matches('"')))
                .collect();
            format!("[{}]", records.join(",\n")).into_bytes()
        };
        let lines = read_lines(line, "t.jsonl").unwrap();
        let spread = read_array(&array, "t.json").unwrap();
        // A large float met first, before the large integer.
        let float_first = read_lines(
            b"{\"x\": 1}\n{\"x\": -1e19, \"y\": 99999999999999999999}",
            "t.jsonl",
        )
        .unwrap();
        assert!(matches!(float_first.cell(1, 0), Cell::Json(Json::Float(v)) if *v == -1e19));
        assert!(
            matches!(float_first.cell(1, 1), Cell::Json(Json::BigInt(digits)) if &**digits == "99999999999999999999")
        );
        for (column, expected) in expected.iter().enumerate() {
            assert!(
                matches!(lines.cell(0, column), Cell::Json(json) if json == expected),
                "{column}: {:?}",
                lines.cell(0, column)
            );
            assert!(
                matches!(spread.cell(column, column), Cell::Json(json) if json == expected),
                "{column}: {:?}",
                spread.cell(column, column)
            );
        }
    }

    #[test]
    fn json_lines_skip_blank_lines_and_know_each_line() {
        let table = read_lines(b"\n{\"id\": 1}\r\n   \n{\"id\": 2}\n", "t.jsonl").unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.line(0), Some(2));
        assert_eq!(table.line(1), Some(4));
        assert_eq!(table.label(0), None);
    }

    #[test]
    fn a_json_file_starting_with_a_brace_is_json_lines() {
        let table = read(b"{\"id\": 1}\n{\"id\": 2}", "t.json").unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.line(1), Some(2));
    }

    #[test]
    fn array_elements_find_their_line() {
        let text = b"[\n  {\"a\": \"x,]\\\"[\"},\n  {\"a\": [1, 2]},\n\n  {}\n]";
        assert_eq!(element_line(text, 0), Some(2));
        assert_eq!(element_line(text, 1), Some(3));
        assert_eq!(element_line(text, 2), Some(5));
        assert_eq!(element_line(text, 3), None);
        assert_eq!(element_line(b"[]", 0), None);
        let table = read_array(text, "t.json").unwrap();
        assert_eq!(table.line(2), Some(5));
        assert_eq!(table.label(2).as_deref(), Some("#2"));
    }

    #[test]
    fn a_record_that_is_not_an_object_is_malformed_with_its_index() {
        let error = error_of(read_array(b"[{\"id\": 1},\n 7,\n {\"id\": 2}]", "t.json"));
        let InputError::Malformed { at, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(at.record.as_deref(), Some("#1"));
        assert_eq!(at.line, Some(2));

        let error = error_of(read_lines(b"{\"id\": 1}\n[1, {\"a\": 2}]\n", "t.jsonl"));
        let InputError::Malformed { at, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(at.line, Some(2));
        assert_eq!(at.record, None);
    }

    #[test]
    fn syntax_errors_carry_the_line_but_no_values() {
        let error = error_of(read_array(
            b"[{\"id\": \"secret\"},\n{\"id\": \"secret2\" \"x\"}]",
            "t.json",
        ));
        assert_eq!(error.code(), "malformed_input");
        let InputError::Malformed { at, message } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(at.line, Some(2));
        assert!(!message.contains("secret"), "{message}");

        let error = error_of(read_lines(b"{\"id\": 1}\n{\"id\": 2\n", "t.jsonl"));
        assert!(
            matches!(&error, InputError::Malformed { at, .. } if at.line == Some(2)),
            "{error:?}"
        );

        let error = error_of(read_lines(b"{\"id\": 1} {\"id\": 2}\n", "t.jsonl"));
        assert!(
            matches!(&error, InputError::Malformed { at, .. } if at.line == Some(1)),
            "{error:?}"
        );

        let error = error_of(read_array(b"[{\"id\": 1}", "t.json"));
        assert!(
            matches!(&error, InputError::Malformed { at, .. } if at.line == Some(1)),
            "{error:?}"
        );

        let error = error_of(read(b"\n\"secret\"", "t.json"));
        assert!(
            matches!(&error, InputError::Malformed { at, message } if at.line == Some(2) && !message.contains("secret")),
            "{error:?}"
        );
    }

    #[test]
    fn repeated_and_empty_keys_are_malformed() {
        let error = error_of(read_lines(
            b"{\"a\": 1}\n{\"a\": null, \"b\": 1, \"a\": 2}",
            "t.jsonl",
        ));
        let InputError::Malformed { at, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!((at.line, at.column.as_deref()), (Some(2), Some("a")));

        let error = error_of(read_array(b"[{\"\": 1}]", "t.json"));
        assert!(
            matches!(&error, InputError::Malformed { at, .. } if at.record.as_deref() == Some("#0")),
            "{error:?}"
        );
    }

    #[test]
    fn deep_nesting_is_malformed_not_a_crash() {
        let deep = format!(
            "[{{\"a\": {}1{}}}]",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(
            error_of(read_array(deep.as_bytes(), "t.json")).code(),
            "malformed_input"
        );
    }

    #[test]
    fn a_new_key_in_every_record_is_refused_before_it_exhausts_memory() {
        let lines: String = (0..5000).map(|i| format!("{{\"k{i}\": 1}}\n")).collect();
        let error = error_of(read_lines(lines.as_bytes(), "t.jsonl"));
        let InputError::Malformed { at, message } = &error else {
            panic!("{error:?}")
        };
        assert!(at.line.is_some_and(|line| line > 4000), "{at:?}");
        assert!(message.contains("too many different keys"), "{message}");
        // Sparse but reasonable records are fine.
        let lines: String = (0..5000)
            .map(|i| format!("{{\"k{}\": 1}}\n", i % 100))
            .collect();
        assert_eq!(
            read_lines(lines.as_bytes(), "t.jsonl")
                .unwrap()
                .columns
                .len(),
            100
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let table = read(b"\xEF\xBB\xBF[{\"id\": 1}]", "t.json").unwrap();
        assert_eq!(table.columns, ["id"]);
        let table = read(b"\xEF\xBB\xBF{\"id\": 1}", "t.json").unwrap();
        assert_eq!(table.columns, ["id"]);
    }
}
