//! Turning a table into customers or managers: ids and their duplicates, the structural columns
//! (a customer's manager; a manager's capacity, target and caps) and typed attributes.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::LoadOptions;
use super::capacity;
use super::infer::{self, Problem};
use super::intern::Interner;
use super::json::Json;
use super::table::{Cell, Table};
use crate::error::{InputError, Location, RecordKind};
use crate::model::{
    Customer, CustomerId, Customers, Field, GroupId, Manager, ManagerId, Managers, Schema, Value,
    ValueType,
};
use crate::org::ManagerGroup;
use crate::scores::PairScore;
use crate::tickets::{Ticket, Tickets};

/// The managers' column of how many customers each may serve (required).
pub(crate) const CAPACITY: &str = "capacity";
/// The managers' column of the load to aim for (optional).
pub(crate) const TARGET: &str = "target";
/// The managers' column of per-segment caps (optional).
pub(crate) const SEGMENT_CAPS: &str = "segment_caps";
/// The managers' column of per-segment targets (optional).
pub(crate) const SEGMENT_TARGETS: &str = "segment_targets";

/// Customers from a table: the id and manager columns are taken out, the rest are attributes.
pub(crate) fn customers(table: &Table<'_>, options: &LoadOptions) -> Result<Customers, InputError> {
    if table.len() == 0 && !table.declared {
        return Ok(Customers::default());
    }
    let id_column = required(table, &options.id_column)?;
    let manager_column = table
        .column(&options.manager_column)
        .filter(|&column| column != id_column);
    let ids = read_ids(table, id_column, &options.id_column, RecordKind::Customer)?;
    let mut attributes = Attributes::new(table, &[Some(id_column), manager_column], options)?;
    let mut records = Vec::with_capacity(ids.len());
    for (row, id) in ids.into_iter().enumerate() {
        let manager = match manager_column {
            Some(column) => id_text(table.cell(row, column))
                .map_err(|problem| {
                    let at = place(table, row)
                        .in_record(&*id)
                        .in_column(options.manager_column.as_str());
                    problem.at(at, ValueType::Str)
                })?
                .map(ManagerId),
            None => None,
        };
        let values = attributes.row(table, row, &id)?;
        records.push(Customer {
            id: CustomerId(id),
            manager,
            attributes: values,
        });
    }
    Ok(Customers {
        schema: attributes.schema,
        records,
    })
}

/// Tickets from a table: the id column is taken out, the rest are attributes (a `customer`
/// among them names each ticket's customer).
pub(crate) fn tickets(table: &Table<'_>, options: &LoadOptions) -> Result<Tickets, InputError> {
    if table.len() == 0 && !table.declared {
        return Ok(Tickets {
            schema: Schema::default(),
            records: Vec::new(),
        });
    }
    let id_column = required(table, &options.id_column)?;
    let ids = read_ids(table, id_column, &options.id_column, RecordKind::Ticket)?;
    let mut attributes = Attributes::new(table, &[Some(id_column)], options)?;
    let mut records = Vec::with_capacity(ids.len());
    for (row, id) in ids.into_iter().enumerate() {
        let values = attributes.row(table, row, &id)?;
        records.push(Ticket {
            id: id.to_string(),
            attributes: values,
        });
    }
    Ok(Tickets {
        schema: attributes.schema,
        records,
    })
}

/// Managers from a table: id, capacity, target and segment caps are taken out, the rest are
/// attributes.
pub(crate) fn managers(table: &Table<'_>, options: &LoadOptions) -> Result<Managers, InputError> {
    if table.len() == 0 && !table.declared {
        return Ok(Managers::default());
    }
    let id_column = required(table, &options.id_column)?;
    let capacity_column = required(table, CAPACITY)?;
    let target_column = table.column(TARGET);
    let caps_column = table.column(SEGMENT_CAPS);
    let targets_column = table.column(SEGMENT_TARGETS);
    let ids = read_ids(table, id_column, &options.id_column, RecordKind::Manager)?;
    let structural = [
        Some(id_column),
        Some(capacity_column),
        target_column,
        caps_column,
        targets_column,
    ];
    let mut attributes = Attributes::new(table, &structural, options)?;
    let mut records = Vec::with_capacity(ids.len());
    for (row, id) in ids.into_iter().enumerate() {
        let invalid = |column: &str| {
            let at = place(table, row).in_record(&*id).in_column(column);
            move |message| InputError::InvalidCapacity { at, message }
        };
        let cell = |column: usize, name: &str| {
            infer::check_size(table.cell(row, column)).map_err(|problem| {
                let at = place(table, row).in_record(&*id).in_column(name);
                problem.at(at, ValueType::Int)
            })
        };
        let capacity = capacity::count(cell(capacity_column, CAPACITY)?, CAPACITY)
            .and_then(|capacity| capacity.ok_or_else(|| "capacity is required".to_owned()))
            .map_err(invalid(CAPACITY))?;
        let target = match target_column {
            Some(column) => capacity::target(cell(column, TARGET)?).map_err(invalid(TARGET))?,
            None => None,
        };
        let segment_caps = match caps_column {
            Some(column) => {
                capacity::segment_caps(cell(column, SEGMENT_CAPS)?, options.list_separator)
                    .map_err(invalid(SEGMENT_CAPS))?
            }
            None => BTreeMap::new(),
        };
        if let Some((segment, cap)) = segment_caps.iter().find(|(_, cap)| **cap > capacity) {
            return Err(invalid(SEGMENT_CAPS)(format!(
                "the cap of {cap} for `{segment}` is above the capacity of {capacity}"
            )));
        }
        let segment_targets = match targets_column {
            Some(column) => {
                capacity::segment_caps(cell(column, SEGMENT_TARGETS)?, options.list_separator)
                    .map_err(invalid(SEGMENT_TARGETS))?
            }
            None => BTreeMap::new(),
        };
        if let Some((segment, _)) = segment_targets.iter().find(|(_, target)| **target == 0) {
            return Err(invalid(SEGMENT_TARGETS)(format!(
                "the target for `{segment}` must be at least 1"
            )));
        }
        let values = attributes.row(table, row, &id)?;
        records.push(Manager {
            id: ManagerId(id),
            capacity,
            target,
            segment_caps,
            segment_targets,
            attributes: values,
        });
    }
    Ok(Managers {
        schema: attributes.schema,
        records,
    })
}

/// A group's minimum customers per segment.
const SEGMENT_MINIMUMS: &str = "segment_minimums";
/// The columns a groups input may have.
const GROUP_COLUMNS: [&str; 6] = [
    "id",
    "parent",
    CAPACITY,
    TARGET,
    SEGMENT_CAPS,
    SEGMENT_MINIMUMS,
];

/// Groups of managers from a table: `id`, `parent` (blank for a root), and optionally
/// `capacity`, `target`, `segment_caps` and `segment_minimums` (`HNW=40;SME=10`, as a
/// manager's caps). Any other column is an error: nothing a group says is dropped.
pub(crate) fn groups(table: &Table<'_>, separator: char) -> Result<Vec<ManagerGroup>, InputError> {
    if table.len() == 0 && !table.declared {
        return Ok(Vec::new());
    }
    for column in &table.columns {
        if !GROUP_COLUMNS.contains(&column.as_str()) {
            return Err(InputError::UnknownGroupColumn {
                source_name: table.source.to_owned(),
                suggestion: crate::suggest::nearest(column, GROUP_COLUMNS),
                column: column.clone(),
            });
        }
    }
    let ids = read_ids(table, required(table, "id")?, "id", RecordKind::Group)?;
    let [
        parent_column,
        capacity_column,
        target_column,
        caps_column,
        minimums_column,
    ] = ["parent", CAPACITY, TARGET, SEGMENT_CAPS, SEGMENT_MINIMUMS].map(|name| table.column(name));
    let mut groups = Vec::with_capacity(ids.len());
    for (row, id) in ids.into_iter().enumerate() {
        let at = |column: &str| place(table, row).in_record(&*id).in_column(column);
        let cell = |column: Option<usize>, name: &str, expected: ValueType| {
            column
                .map(|c| {
                    infer::check_size(table.cell(row, c)).map_err(|p| p.at(at(name), expected))
                })
                .transpose()
        };
        let invalid = |name: &'static str| {
            move |message| InputError::InvalidCapacity {
                at: at(name),
                message,
            }
        };
        let parent = match cell(parent_column, "parent", ValueType::Str)? {
            Some(parent) => id_text(parent).map_err(|p| p.at(at("parent"), ValueType::Str))?,
            None => None,
        };
        let capacity = match cell(capacity_column, CAPACITY, ValueType::Int)? {
            Some(capacity) => capacity::count(capacity, CAPACITY).map_err(invalid(CAPACITY))?,
            None => None,
        };
        let target = match cell(target_column, TARGET, ValueType::Int)? {
            Some(target) => capacity::target(target).map_err(invalid(TARGET))?,
            None => None,
        };
        let per_segment = |column, name: &'static str| match cell(column, name, ValueType::Str)? {
            Some(cell) => capacity::segment_caps(cell, separator).map_err(invalid(name)),
            None => Ok(Default::default()),
        };
        let segment_caps = per_segment(caps_column, SEGMENT_CAPS)?;
        let segment_minimums = per_segment(minimums_column, SEGMENT_MINIMUMS)?;
        groups.push(ManagerGroup {
            id: GroupId(id),
            parent: parent.map(GroupId),
            capacity,
            target,
            segment_caps,
            segment_minimums,
        });
    }
    Ok(groups)
}

/// The columns of a score table.
const SCORE_COLUMNS: [&str; 3] = ["customer", "manager", "score"];

/// Model scores from a table: `customer`, `manager` and `score` (whole numbers, or numbers
/// with a fraction, as the column holds), one row per scored pair. Any other column is an
/// error, and so is a blank: nothing a row says is dropped. Whether the ids are in the book is
/// checked when the scores join it ([`PairScores::new`](crate::PairScores::new)).
pub(crate) fn scores(table: &Table<'_>, separator: char) -> Result<Vec<PairScore>, InputError> {
    for column in &table.columns {
        if !SCORE_COLUMNS.contains(&column.as_str()) {
            return Err(InputError::UnknownScoreColumn {
                source_name: table.source.to_owned(),
                suggestion: crate::suggest::nearest(column, SCORE_COLUMNS),
                column: column.clone(),
            });
        }
    }
    if table.len() == 0 && !table.declared {
        return Ok(Vec::new());
    }
    let [customer, manager, score] = SCORE_COLUMNS.map(|name| required(table, name));
    let (customer, manager, score) = (customer?, manager?, score?);
    let (score_type, overridden) = match infer::infer(table, score, separator) {
        (ValueType::Int, overridden) => (ValueType::Int, overridden),
        (_, overridden) => (ValueType::Float, overridden),
    };
    let mut rows = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        let id = |column: usize, name: &str| {
            let at = || Location {
                record: table.label(row),
                ..place(table, row).in_column(name)
            };
            match id_text(table.cell(row, column)) {
                Ok(Some(id)) => Ok(id),
                Ok(None) => Err(InputError::EmptyId {
                    kind: if name == "customer" {
                        RecordKind::Customer
                    } else {
                        RecordKind::Manager
                    },
                    at: at(),
                }),
                Err(problem) => Err(problem.at(at(), ValueType::Str)),
            }
        };
        let customer = id(customer, "customer")?;
        let manager = id(manager, "manager")?;
        let at = || place(table, row).in_record(&*customer).in_column("score");
        let value = infer::convert(table.cell(row, score), score_type, overridden, separator)
            .map_err(|problem| problem.at(at(), score_type))?;
        if value == Value::Null {
            return Err(InputError::InvalidValue {
                at: at(),
                expected: score_type,
            });
        }
        rows.push(PairScore {
            customer: CustomerId(customer),
            manager: ManagerId(manager),
            score: value,
            line: table.line(row),
        });
    }
    Ok(rows)
}

fn required(table: &Table<'_>, name: &str) -> Result<usize, InputError> {
    table.column(name).ok_or_else(|| InputError::MissingColumn {
        source_name: table.source.to_owned(),
        column: name.to_owned(),
    })
}

/// Where `row` is: the source and its line.
fn place(table: &Table<'_>, row: usize) -> Location {
    Location {
        line: table.line(row),
        ..Location::in_source(table.source)
    }
}

/// Every record's id, checked to be present and unique: empty and invalid ids first, in row
/// order, then the first repeat.
fn read_ids(
    table: &Table<'_>,
    column: usize,
    name: &str,
    kind: RecordKind,
) -> Result<Vec<Arc<str>>, InputError> {
    let mut ids = Vec::with_capacity(table.len());
    for row in 0..table.len() {
        let at = || Location {
            record: table.label(row),
            ..place(table, row).in_column(name)
        };
        match id_text(table.cell(row, column)) {
            Ok(Some(id)) => ids.push(id),
            Ok(None) => return Err(InputError::EmptyId { kind, at: at() }),
            Err(problem) => return Err(problem.at(at(), ValueType::Str)),
        }
    }
    let mut seen = foldhash::HashSet::with_capacity_and_hasher(ids.len(), Default::default());
    for (row, id) in ids.iter().enumerate() {
        if !seen.insert(&**id) {
            return Err(InputError::DuplicateId {
                kind,
                id: id.to_string(),
                at: place(table, row).in_record(&**id).in_column(name),
            });
        }
    }
    Ok(ids)
}

/// An id (or a reference to one) as trimmed text; JSON numbers become their text. `None` if blank.
fn id_text(cell: Cell<'_>) -> Result<Option<Arc<str>>, Problem> {
    let text: &str = match infer::check_size(cell)? {
        Cell::Text(text) => text,
        // Text already held as shared text is kept when it stands trimmed (as ids do): no copy
        // per record, and customers of one manager share its id.
        Cell::Json(Json::Str(text)) if !text.is_empty() && text.trim().len() == text.len() => {
            return Ok(Some(Arc::clone(text)));
        }
        Cell::Json(Json::Str(text)) => text,
        Cell::Json(Json::Null) => "",
        Cell::Json(json @ (Json::Int(_) | Json::BigInt(_) | Json::Float(_))) => {
            return Ok(Some(Arc::from(infer::scalar_text(json))));
        }
        Cell::Json(Json::Bool(_) | Json::Array(_) | Json::Object(_)) => {
            return Err(Problem::Invalid);
        }
    };
    let text = text.trim();
    Ok((!text.is_empty()).then(|| Arc::from(text)))
}

/// The attribute columns: every column that is not structural, with its type.
struct Attributes<'t> {
    /// Table column, type, and whether the type was given rather than inferred.
    columns: Vec<(usize, ValueType, bool)>,
    /// Per column, converted strings and lists to share.
    interners: Vec<Interner<&'t str>>,
    schema: Schema,
    separator: char,
}

impl<'t> Attributes<'t> {
    fn new(
        table: &'t Table<'_>,
        structural: &[Option<usize>],
        options: &LoadOptions,
    ) -> Result<Attributes<'t>, InputError> {
        // Each column is inferred on its own, so columns are inferred in parallel.
        let columns: Vec<(usize, ValueType, bool)> = (0..table.columns.len())
            .into_par_iter()
            .filter(|column| !structural.contains(&Some(*column)))
            .map(|column| {
                let name = table.columns.get(column).map_or("", String::as_str);
                match options.types.get(name) {
                    Some(value_type) => (column, *value_type, true),
                    None => {
                        let (value_type, from_text) =
                            infer::infer(table, column, options.list_separator);
                        (column, value_type, from_text)
                    }
                }
            })
            .collect();
        let fields = columns
            .iter()
            .map(|&(column, value_type, _)| Field {
                name: table.columns.get(column).cloned().unwrap_or_default(),
                value_type,
            })
            .collect();
        let schema = Schema::new(fields).ok_or_else(|| {
            // Parsers keep names unique; this only guards the invariant.
            let mut seen = HashSet::new();
            let column = table
                .columns
                .iter()
                .find(|name| !seen.insert(name.as_str()));
            InputError::DuplicateColumn {
                source_name: table.source.to_owned(),
                column: column.cloned().unwrap_or_default(),
            }
        })?;
        Ok(Attributes {
            interners: columns
                .iter()
                .map(|&(_, value_type, _)| Interner::new(value_type))
                .collect(),
            columns,
            schema,
            separator: options.list_separator,
        })
    }

    /// The attribute values of `row`, whose id is `id`.
    fn row(
        &mut self,
        table: &'t Table<'_>,
        row: usize,
        id: &str,
    ) -> Result<Vec<Value>, InputError> {
        let mut values = Vec::with_capacity(self.columns.len());
        let columns = self
            .columns
            .iter()
            .zip(self.schema.fields())
            .zip(&mut self.interners);
        for ((&(column, value_type, overridden), field), interner) in columns {
            let separator = self.separator;
            let converted = interner.convert(table.cell(row, column), |cell| {
                infer::convert(cell, value_type, overridden, separator)
            });
            match converted {
                Ok(value) => values.push(value),
                Err(problem) => {
                    let at = place(table, row)
                        .in_record(id)
                        .in_column(field.name.as_str());
                    return Err(problem.at(at, value_type));
                }
            }
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{csv, json};

    fn options() -> LoadOptions {
        LoadOptions::default()
    }

    fn csv_customers(text: &str) -> Result<Customers, InputError> {
        customers(&csv::read(text.as_bytes(), "c.csv").unwrap(), &options())
    }

    fn csv_managers(text: &str) -> Result<Managers, InputError> {
        managers(&csv::read(text.as_bytes(), "m.csv").unwrap(), &options())
    }

    fn location(error: &InputError) -> &Location {
        match error {
            InputError::EmptyId { at, .. }
            | InputError::DuplicateId { at, .. }
            | InputError::InvalidValue { at, .. }
            | InputError::NonFinite { at }
            | InputError::InvalidCapacity { at, .. }
            | InputError::Malformed { at, .. } => at,
            other => panic!("no location in {other:?}"),
        }
    }

    #[test]
    fn id_and_manager_columns_are_not_attributes() {
        let customers = csv_customers("assets,id,manager\n5, C-1 ,M-1\n6,C-2,\n").unwrap();
        let names: Vec<&str> = customers
            .schema
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["assets"]);
        assert_eq!(customers.records[0].id.as_str(), "C-1");
        assert_eq!(customers.records[0].manager, Some(ManagerId::from("M-1")));
        assert_eq!(customers.records[1].manager, None);
        assert_eq!(customers.records[1].attributes, [Value::Int(6)]);
    }

    #[test]
    fn ids_must_be_present_and_unique() {
        let error = csv_customers("id,a\nC-1,1\n  ,2\n").unwrap_err();
        assert_eq!(error.code(), "empty_id");
        assert_eq!(
            (location(&error).line, location(&error).column.as_deref()),
            (Some(3), Some("id"))
        );

        let error = csv_customers("id,a\nC-1,1\nC-2,2\nC-1,3\n").unwrap_err();
        assert!(matches!(&error, InputError::DuplicateId { id, .. } if id == "C-1"));
        assert_eq!(error.code(), "duplicate_customer_id");
        assert_eq!(location(&error).line, Some(4));

        let error = csv_managers("id,capacity\nM-1,1\nM-1,2\n").unwrap_err();
        assert_eq!(error.code(), "duplicate_manager_id");
    }

    #[test]
    fn json_ids_may_be_numbers_but_not_other_kinds() {
        let table = json::read_lines(b"{\"id\": 7}\n{\"id\": \"8\"}", "c.jsonl").unwrap();
        let ids: Vec<String> = customers(&table, &options())
            .unwrap()
            .records
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(ids, ["7", "8"]);

        let table = json::read_lines(b"{\"id\": 7}\n{\"id\": true}", "c.jsonl").unwrap();
        let error = customers(&table, &options()).unwrap_err();
        assert_eq!(error.code(), "invalid_value");
        assert_eq!(location(&error).line, Some(2));

        let table = json::read_array(b"[{\"id\": 7},\n{\"a\": 1}]", "c.json").unwrap();
        let error = customers(&table, &options()).unwrap_err();
        assert_eq!(error.code(), "empty_id");
        assert_eq!(
            (location(&error).line, location(&error).record.as_deref()),
            (Some(2), Some("#1"))
        );
    }

    #[test]
    fn value_errors_name_record_and_column() {
        let error = csv_customers("id,score\nC-1,1.5\nC-2,nan\n").unwrap_err();
        assert_eq!(error.code(), "non_finite_number");
        let at = location(&error);
        assert_eq!(
            (at.line, at.record.as_deref(), at.column.as_deref()),
            (Some(3), Some("C-2"), Some("score"))
        );
        assert!(!error.to_string().contains("nan"), "{error}");
    }

    #[test]
    fn managers_have_structural_columns() {
        let managers = csv_managers(
            "id,capacity,target,segment_caps,region\nM-1,30,25,HNW=10,north\nM-2,5,,,south\n",
        )
        .unwrap();
        let names: Vec<&str> = managers
            .schema
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["region"]);
        let first = &managers.records[0];
        assert_eq!(
            (first.capacity, first.target, first.segment_caps.get("HNW")),
            (30, Some(25), Some(&10))
        );
        assert_eq!(
            (
                managers.records[1].target,
                managers.records[1].segment_caps.len()
            ),
            (None, 0)
        );
    }

    #[test]
    fn capacity_is_required_per_column_and_per_record() {
        assert!(matches!(
            csv_managers("id,target\nM-1,3\n"),
            Err(InputError::MissingColumn { column, .. }) if column == "capacity"
        ));
        let error = csv_managers("id,capacity\nM-1,\n").unwrap_err();
        assert_eq!(error.code(), "invalid_capacity");
        let at = location(&error);
        assert_eq!(
            (at.line, at.record.as_deref(), at.column.as_deref()),
            (Some(2), Some("M-1"), Some("capacity"))
        );
    }

    #[test]
    fn empty_json_has_no_records_and_needs_no_columns() {
        let table = json::read_array(b"[]", "m.json").unwrap();
        assert_eq!(managers(&table, &options()).unwrap(), Managers::default());
        assert_eq!(customers(&table, &options()).unwrap(), Customers::default());
    }
}
