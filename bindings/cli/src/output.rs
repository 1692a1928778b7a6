//! Writing result tables as CSV, JSON or JSON Lines, atomically: a failed run leaves no
//! partial file.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::Failure;

/// The table formats the CLI writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Csv,
    Json,
    Jsonl,
}

impl Format {
    /// The format a file name asks for, if its extension names one.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The format asked for: `--format`, else `--out`'s extension, else CSV.
    pub(crate) fn choose(format: Option<Format>, out: Option<&Path>) -> Result<Format, String> {
        match (format, out) {
            (Some(format), _) => Ok(format),
            (None, None) => Ok(Format::Csv),
            (None, Some(out)) => Format::from_path(out).ok_or_else(|| {
                format!(
                    "cannot tell the format of `{}`: use .csv, .json or .jsonl, or --format",
                    out.display()
                )
            }),
        }
    }
}

/// Rows of named cells: strings, numbers, booleans, null, or arrays of strings (lists).
pub(crate) struct Table {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Json>>,
}

/// Writes `table` to `out`, or to standard output without one.
pub(crate) fn emit(table: &Table, format: Format, out: Option<&Path>) -> Result<(), Failure> {
    match out {
        Some(out) => write_file(table, format, out).map_err(|e| Failure::output(out, &e)),
        None => {
            let stdout = io::stdout();
            let mut lock = stdout.lock();
            write(table, format, &mut lock)
                .and_then(|()| lock.flush())
                .map_err(|e| Failure::output(Path::new("<stdout>"), &e))
        }
    }
}

/// Prints a run's report: on standard output when the table went to a file, else on
/// standard error so the table can be piped.
pub(crate) fn report(text: &str, table_in_file: bool) {
    if table_in_file {
        print!("{text}");
    } else {
        eprint!("{text}");
    }
}

/// Writes `table` to `out` through a temporary file renamed into place.
pub(crate) fn write_file(table: &Table, format: Format, out: &Path) -> io::Result<()> {
    let temporary = temporary_path(out);
    let written = fs::File::create(&temporary).and_then(|file| {
        let mut writer = BufWriter::new(file);
        write(table, format, &mut writer)?;
        writer.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    match written.and_then(|()| fs::rename(&temporary, out)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

pub(crate) fn temporary_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    out.with_file_name(name)
}

/// Writes `table` in `format` to `writer`.
pub(crate) fn write(table: &Table, format: Format, writer: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(writer);
            csv.write_record(&table.columns)?;
            for row in &table.rows {
                csv.write_record(row.iter().map(cell))?;
            }
            csv.flush()
        }
        Format::Json => {
            let rows: Vec<Json> = table.rows.iter().map(|row| object(table, row)).collect();
            serde_json::to_writer_pretty(&mut *writer, &rows)?;
            writer.write_all(b"\n")
        }
        Format::Jsonl => {
            for row in &table.rows {
                serde_json::to_writer(&mut *writer, &object(table, row))?;
                writer.write_all(b"\n")?;
            }
            Ok(())
        }
    }
}

/// A CSV cell: text as is, lists joined with `;`, null empty.
fn cell(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(text) => text.clone(),
        Json::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

fn object(table: &Table, row: &[Json]) -> Json {
    Json::Object(
        table
            .columns
            .iter()
            .cloned()
            .zip(row.iter().cloned())
            .collect(),
    )
}
