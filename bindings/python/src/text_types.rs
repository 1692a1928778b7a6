//! Text columns typed as a CSV file's are: the engine's one inference ([`infer_text`]) reads
//! the strings of a DataFrame's text column, so `2024-01-31` is a date and `a;b` a list
//! whether the table came from a file, pandas, polars or pyarrow.

use apportion::ValueType;
use apportion::load::infer_text;
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// What separates list items in text, as in a CSV file read with the default options.
const LIST_SEPARATOR: char = ';';

/// Whether a column of `data_type` holds text (plain, large, a view, or a dictionary of
/// text): such a column takes the type its strings say.
pub(crate) fn is_text(data_type: &DataType) -> bool {
    use DataType as D;
    match data_type {
        D::Utf8 | D::LargeUtf8 | D::Utf8View => true,
        D::Dictionary(_, values) => matches!(**values, D::Utf8 | D::LargeUtf8 | D::Utf8View),
        _ => false,
    }
}

/// The type of text column `index` of `batches`, from every string it holds; `None` when the
/// arrays are not laid out as text (the caller's reading reports that).
pub(crate) fn of_column(batches: &[RecordBatch], index: usize) -> Option<ValueType> {
    let mut texts = Vec::with_capacity(batches.len());
    for batch in batches {
        texts.push(strings(batch.columns().get(index)?.as_ref())?);
    }
    Some(infer_text(texts.into_iter().flatten(), LIST_SEPARATOR))
}

/// The non-null strings of a text array; of a dictionary, each value some row refers to.
fn strings(array: &dyn Array) -> Option<Box<dyn Iterator<Item = &str> + '_>> {
    use DataType as D;
    Some(match array.data_type() {
        D::Utf8 => Box::new(array.as_string_opt::<i32>()?.iter().flatten()),
        D::LargeUtf8 => Box::new(array.as_string_opt::<i64>()?.iter().flatten()),
        D::Utf8View => Box::new(array.as_string_view_opt()?.iter().flatten()),
        D::Dictionary(..) => {
            let dictionary = array.as_any_dictionary_opt()?;
            let mut used = vec![false; dictionary.values().len()];
            for (row, key) in dictionary.normalized_keys().into_iter().enumerate() {
                if dictionary.is_valid(row) {
                    *used.get_mut(key)? = true;
                }
            }
            let values: Vec<&str> = strings_with_nulls(dictionary.values().as_ref())?
                .into_iter()
                .zip(used)
                .filter_map(|(text, used)| text.filter(|_| used))
                .collect();
            Box::new(values.into_iter())
        }
        _ => return None,
    })
}

/// Every slot of a plain text array, `None` where null.
fn strings_with_nulls(array: &dyn Array) -> Option<Vec<Option<&str>>> {
    use DataType as D;
    Some(match array.data_type() {
        D::Utf8 => array.as_string_opt::<i32>()?.iter().collect(),
        D::LargeUtf8 => array.as_string_opt::<i64>()?.iter().collect(),
        D::Utf8View => array.as_string_view_opt()?.iter().collect(),
        _ => return None,
    })
}
