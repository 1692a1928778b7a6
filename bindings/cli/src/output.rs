//! Writing profiles as CSV, JSON or JSON Lines, atomically: a failed run leaves no partial file.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use apportion::{Profile, Value};

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
}

/// Writes `profile` to `out` through a temporary file renamed into place.
pub(crate) fn write_file(profile: &Profile, format: Format, out: &Path) -> io::Result<()> {
    let temporary = temporary_path(out);
    let written = fs::File::create(&temporary).and_then(|file| {
        let mut writer = BufWriter::new(file);
        write(profile, format, &mut writer)?;
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

fn temporary_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", std::process::id()));
    out.with_file_name(name)
}

/// Writes `profile` in `format`: the customer id, then one column per derived field.
pub(crate) fn write(profile: &Profile, format: Format, writer: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(writer);
            csv.write_record(
                std::iter::once("id").chain(profile.fields.iter().map(String::as_str)),
            )?;
            for customer in &profile.customers {
                let cells = customer.values.iter().map(Value::to_cell);
                csv.write_record(std::iter::once(customer.id.to_string()).chain(cells))?;
            }
            csv.flush()
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> =
                profile.customers.iter().map(|c| row(profile, c)).collect();
            serde_json::to_writer_pretty(&mut *writer, &rows)?;
            writer.write_all(b"\n")
        }
        Format::Jsonl => {
            for customer in &profile.customers {
                serde_json::to_writer(&mut *writer, &row(profile, customer))?;
                writer.write_all(b"\n")?;
            }
            Ok(())
        }
    }
}

fn row(profile: &Profile, customer: &apportion::ProfiledCustomer) -> serde_json::Value {
    let mut object = serde_json::Map::with_capacity(profile.fields.len() + 1);
    object.insert("id".to_owned(), customer.id.to_string().into());
    for (name, value) in profile.fields.iter().zip(&customer.values) {
        object.insert(
            name.clone(),
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
        );
    }
    serde_json::Value::Object(object)
}
