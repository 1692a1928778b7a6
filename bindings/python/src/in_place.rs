//! Arrow columns whose every value reads as it is (booleans, integers that fit in 64 bits,
//! floats, text), handed to the loader to read in place, a block of rows at a time, straight
//! into the records it builds: no column of values is made first.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

use apportion::Value;
use apportion::load::{BlockSource, Cells, Datum};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type,
};
use arrow_array::{
    Array, ArrowPrimitiveType, BooleanArray, GenericStringArray, OffsetSizeTrait, PrimitiveArray,
    RecordBatch, StringViewArray,
};
use arrow_schema::DataType;
use foldhash::{HashMap, HashSet};

/// Rows of a text array looked at before deciding whether its values repeat enough to share.
const SHARING_SAMPLE: usize = 4096;

/// Column `index` of `batches` to be read in place, when its Arrow type is one whose every
/// value reads as it is. `None` for any other type, or for an array not laid out as its type
/// says: the caller reads those cell by cell, and reports what is wrong.
pub(crate) fn cells(batches: &[RecordBatch], index: usize) -> Option<Cells> {
    let mut parts = Vec::with_capacity(batches.len());
    let mut start = 0;
    for batch in batches {
        let array = batch.columns().get(index)?;
        parts.push((start, part(array.as_ref())?));
        start += array.len();
    }
    Some(Cells::Blocks {
        len: start,
        source: Arc::new(InPlace { parts }),
    })
}

/// A column's arrays, one per batch, with the table row of each one's first row.
#[derive(Debug)]
struct InPlace {
    parts: Vec<(usize, Box<dyn Part>)>,
}

impl BlockSource for InPlace {
    fn push_rows(&self, rows: Range<usize>, records: &mut [Vec<Value>]) {
        let mut records = records;
        for (start, part) in &self.parts {
            let from = rows.start.max(*start);
            let to = rows.end.min(start + part.len());
            if from >= to {
                continue;
            }
            let (these, rest) = records.split_at_mut((to - from).min(records.len()));
            part.push(from - start..to - start, these);
            records = rest;
        }
    }

    fn cells(&self) -> Vec<Datum> {
        let mut cells = Vec::with_capacity(self.parts.iter().map(|(_, part)| part.len()).sum());
        for (_, part) in &self.parts {
            part.cells(&mut cells);
        }
        cells
    }
}

/// One batch's array of a type whose every value reads as it is.
trait Part: Send + Sync + Debug {
    fn len(&self) -> usize;

    /// Pushes the value of each of `rows` (of this array) onto the next of `records`.
    fn push(&self, rows: Range<usize>, records: &mut [Vec<Value>]);

    /// Appends every cell of the array.
    fn cells(&self, cells: &mut Vec<Datum>);
}

/// The array as a part, or `None` for another type (or an array not laid out as its type says).
fn part(array: &dyn Array) -> Option<Box<dyn Part>> {
    use DataType as D;
    Some(match array.data_type() {
        D::Boolean => read::<_, AsBool>(array.as_boolean_opt()?),
        D::Int8 => read::<_, AsInt>(array.as_primitive_opt::<Int8Type>()?),
        D::Int16 => read::<_, AsInt>(array.as_primitive_opt::<Int16Type>()?),
        D::Int32 => read::<_, AsInt>(array.as_primitive_opt::<Int32Type>()?),
        D::Int64 => read::<_, AsInt>(array.as_primitive_opt::<Int64Type>()?),
        D::UInt8 => read::<_, AsInt>(array.as_primitive_opt::<UInt8Type>()?),
        D::UInt16 => read::<_, AsInt>(array.as_primitive_opt::<UInt16Type>()?),
        D::UInt32 => read::<_, AsInt>(array.as_primitive_opt::<UInt32Type>()?),
        D::Float32 => read::<_, AsFloat>(array.as_primitive_opt::<Float32Type>()?),
        D::Float64 => read::<_, AsFloat>(array.as_primitive_opt::<Float64Type>()?),
        D::Utf8 => Box::new(Texts::new(array.as_string_opt::<i32>()?.clone())),
        D::LargeUtf8 => Box::new(Texts::new(array.as_string_opt::<i64>()?.clone())),
        D::Utf8View => Box::new(Texts::new(array.as_string_view_opt()?.clone())),
        _ => return None,
    })
}

/// `array` read as `R` makes its items.
fn read<A: Scalars + Clone, R: Reading<A::Item> + 'static>(array: &A) -> Box<dyn Part> {
    Box::new(ScalarPart::<A, R>(array.clone(), PhantomData))
}

/// `rows` cut to an array of `len` rows, so that no row read is out of bounds.
fn within(rows: Range<usize>, len: usize) -> Range<usize> {
    let end = rows.end.min(len);
    rows.start.min(end)..end
}

/// An array of booleans or numbers: the value at a row (within bounds), valid or not.
trait Scalars: Array + Debug + 'static {
    type Item;
    fn at(&self, row: usize) -> Self::Item;
}

impl Scalars for BooleanArray {
    type Item = bool;
    fn at(&self, row: usize) -> bool {
        self.value(row)
    }
}

impl<T: ArrowPrimitiveType + Debug> Scalars for PrimitiveArray<T> {
    type Item = T::Native;
    fn at(&self, row: usize) -> T::Native {
        self.value(row)
    }
}

/// How the items of an array become values: booleans, integers (of types that fit in 64
/// bits) or floats.
trait Reading<N>: Send + Sync + Debug {
    fn value(item: N) -> Value;
}

#[derive(Debug)]
struct AsBool;

impl Reading<bool> for AsBool {
    fn value(item: bool) -> Value {
        Value::Bool(item)
    }
}

#[derive(Debug)]
struct AsInt;

impl<N: Into<i64>> Reading<N> for AsInt {
    fn value(item: N) -> Value {
        Value::Int(item.into())
    }
}

#[derive(Debug)]
struct AsFloat;

impl<N: Into<f64>> Reading<N> for AsFloat {
    fn value(item: N) -> Value {
        Value::Float(item.into())
    }
}

/// Booleans or numbers, read as `R` makes them.
#[derive(Debug)]
struct ScalarPart<A, R>(A, PhantomData<R>);

impl<A: Scalars, R: Reading<A::Item>> ScalarPart<A, R> {
    /// The value at `row` (within bounds).
    fn value(&self, row: usize) -> Value {
        if self.0.is_valid(row) {
            R::value(self.0.at(row))
        } else {
            Value::Null
        }
    }
}

impl<A: Scalars, R: Reading<A::Item>> Part for ScalarPart<A, R> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn push(&self, rows: Range<usize>, records: &mut [Vec<Value>]) {
        for (row, record) in within(rows, self.0.len()).zip(records) {
            record.push(self.value(row));
        }
    }

    fn cells(&self, cells: &mut Vec<Datum>) {
        cells.extend((0..self.0.len()).map(|row| Datum::from(self.value(row))));
    }
}

/// A text array of any layout.
trait TextArray: Array + Debug + 'static {
    /// The text at `row` (within bounds), `None` when missing.
    fn text(&self, row: usize) -> Option<&str>;
}

impl<O: OffsetSizeTrait> TextArray for GenericStringArray<O> {
    fn text(&self, row: usize) -> Option<&str> {
        self.is_valid(row).then(|| self.value(row))
    }
}

impl TextArray for StringViewArray {
    fn text(&self, row: usize) -> Option<&str> {
        self.is_valid(row).then(|| self.value(row))
    }
}

/// Text, and whether its values repeat enough to share one allocation per distinct text in
/// each block of rows read (regions, kinds, branches). An array of mostly distinct text (ids,
/// names) would only fill the map: it is not shared when more than half of its first rows (up
/// to [`SHARING_SAMPLE`]) hold distinct text, however short the array.
#[derive(Debug)]
struct Texts<A> {
    array: A,
    share: bool,
}

impl<A: TextArray> Texts<A> {
    fn new(array: A) -> Texts<A> {
        let sample = array.len().min(SHARING_SAMPLE);
        let distinct: HashSet<&str> = (0..sample).filter_map(|row| array.text(row)).collect();
        let share = distinct.len() <= sample / 2;
        Texts { array, share }
    }

    /// The texts of `rows` as values, each shared with the same text before it when sharing.
    fn each(&self, rows: Range<usize>, mut f: impl FnMut(Option<Arc<str>>)) {
        let mut seen: HashMap<&str, Arc<str>> = HashMap::default();
        for row in within(rows, self.array.len()) {
            f(self.array.text(row).map(|text| {
                if self.share {
                    Arc::clone(seen.entry(text).or_insert_with(|| Arc::from(text)))
                } else {
                    Arc::from(text)
                }
            }));
        }
    }
}

impl<A: TextArray> Part for Texts<A> {
    fn len(&self) -> usize {
        self.array.len()
    }

    fn push(&self, rows: Range<usize>, records: &mut [Vec<Value>]) {
        let mut records = records.iter_mut();
        self.each(rows, |text| {
            if let Some(record) = records.next() {
                record.push(text.map_or(Value::Null, Value::Str));
            }
        });
    }

    fn cells(&self, cells: &mut Vec<Datum>) {
        self.each(0..self.array.len(), |text| {
            cells.push(text.map_or(Datum::Null, Datum::Str));
        });
    }
}
