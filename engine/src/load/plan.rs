//! Reading back a plan that `assign` or `rebalance` wrote, to check it against its inputs: a
//! JSON document (provenance, objective, statistics, loads, assignments), or one row per
//! customer as CSV or JSON Lines with the provenance in a file beside it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Format;
use crate::error::{InputError, Location};
use crate::model::{CustomerId, ManagerId};
use crate::plan::{Assignment, ManagerLoad, Objective, WrittenPlan, WrittenUnassigned};
use crate::provenance::Provenance;

/// One customer's row of a plan file. Columns a plan does not write are allowed and ignored
/// (a user may have joined names onto it).
#[derive(Deserialize)]
struct Row {
    customer: String,
    manager: Option<String>,
    previous_manager: Option<String>,
    #[serde(default)]
    moved: bool,
    affinity: Option<i64>,
    move_penalty: Option<i64>,
    /// Written only for books with model scores.
    model_score: Option<i64>,
    unassigned_reason: Option<String>,
}

/// The parts of a JSON plan that are read back; its statistics follow from them.
#[derive(Deserialize)]
struct Document {
    provenance: Option<Provenance>,
    objective: Option<Objective>,
    loads: Option<Vec<ManagerLoad>>,
    assignments: Vec<Row>,
}

/// Reads the plan at `path`, its format told by extension. A CSV or JSON Lines plan's
/// provenance is read from `<path>.provenance.json` when that file exists.
pub fn read_plan(path: &Path) -> Result<WrittenPlan, InputError> {
    let (bytes, format, source) = super::read_file(path)?;
    let mut plan = parse_plan(&bytes, format, &source)?;
    if format != Format::Json {
        let mut beside = PathBuf::from(path).into_os_string();
        beside.push(".provenance.json");
        let beside = PathBuf::from(beside);
        if beside.exists() {
            let (bytes, _, source) = super::read_file(&beside)?;
            plan.provenance =
                Some(serde_json::from_slice(&bytes).map_err(|e| json_error(&source, &e))?);
        }
    }
    Ok(plan)
}

/// Parses a plan already in memory, as [`read_plan`] reads a file (without looking for a
/// provenance beside it).
pub fn parse_plan(bytes: &[u8], format: Format, source: &str) -> Result<WrittenPlan, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut plan = WrittenPlan {
        assignments: Vec::new(),
        unassigned: Vec::new(),
        objective: None,
        loads: None,
        provenance: None,
    };
    match format {
        Format::Json => {
            let document: Document =
                serde_json::from_slice(bytes).map_err(|e| json_error(source, &e))?;
            plan.objective = document.objective;
            plan.loads = document.loads;
            plan.provenance = document.provenance;
            for (index, row) in document.assignments.into_iter().enumerate() {
                let at = Location::in_source(source).in_record(format!("#{index}"));
                add_row(&mut plan, row, at)?;
            }
        }
        Format::JsonLines => {
            for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let at = Location::in_source(source).at_line(index as u64 + 1);
                let row = serde_json::from_slice(line).map_err(|e| InputError::Malformed {
                    at: at.clone(),
                    message: e.to_string(),
                })?;
                add_row(&mut plan, row, at)?;
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(bytes);
            let headers = reader
                .byte_headers()
                .cloned()
                .map_err(|e| csv_error(source, &e))?;
            let mut record = csv::ByteRecord::new();
            while reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_error(source, &e))?
            {
                let line = record.position().map_or(0, csv::Position::line);
                let at = Location::in_source(source).at_line(line);
                let row =
                    record
                        .deserialize(Some(&headers))
                        .map_err(|e| InputError::Malformed {
                            at: at.clone(),
                            message: e.to_string(),
                        })?;
                add_row(&mut plan, row, at)?;
            }
        }
    }
    Ok(plan)
}

/// Adds one row: placed when it names a manager, else unassigned with its reason.
fn add_row(plan: &mut WrittenPlan, row: Row, at: Location) -> Result<(), InputError> {
    let present = |text: Option<String>| text.filter(|t| !t.is_empty());
    if row.customer.is_empty() {
        return Err(missing(at, "customer"));
    }
    let at = at.in_record(row.customer.as_str());
    let customer = CustomerId::from(row.customer.as_str());
    let previous_manager = present(row.previous_manager).map(|m| ManagerId::from(m.as_str()));
    match present(row.manager) {
        Some(manager) => plan.assignments.push(Assignment {
            customer,
            manager: ManagerId::from(manager.as_str()),
            previous_manager,
            moved: row.moved,
            affinity: row
                .affinity
                .ok_or_else(|| missing(at.clone(), "affinity"))?,
            move_penalty: row
                .move_penalty
                .ok_or_else(|| missing(at, "move_penalty"))?,
            model_score: row.model_score,
        }),
        None => plan.unassigned.push(WrittenUnassigned {
            customer,
            previous_manager,
            reason: present(row.unassigned_reason)
                .ok_or_else(|| missing(at, "unassigned_reason"))?,
        }),
    }
    Ok(())
}

fn missing(at: Location, column: &str) -> InputError {
    InputError::Malformed {
        at: at.in_column(column),
        message: "a plan's row needs this column".to_owned(),
    }
}

fn json_error(source: &str, error: &serde_json::Error) -> InputError {
    InputError::Malformed {
        at: Location::in_source(source).at_line(error.line() as u64),
        message: error.to_string(),
    }
}

fn csv_error(source: &str, error: &csv::Error) -> InputError {
    let line = error.position().map_or(0, csv::Position::line);
    InputError::Malformed {
        at: Location::in_source(source).at_line(line),
        message: error.to_string(),
    }
}
