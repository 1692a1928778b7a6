//! Writing result tables as CSV, JSON or JSON Lines. A regular file is replaced atomically
//! (a failed or interrupted run leaves it as it was, and no temporary file); a device, pipe or
//! FIFO (`/dev/null`, `/dev/stdout`) is written in place as it goes. An output that is one of
//! the inputs is refused before anything runs.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
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
    let mut sink = Sink::open(out)?;
    sink.write_with(|writer| write(table, format, writer))?;
    sink.finish()
}

/// Writes one JSON document to `out`, or to standard output without one.
pub(crate) fn emit_json(document: &impl Serialize, out: Option<&Path>) -> Result<(), Failure> {
    let mut sink = Sink::open(out)?;
    sink.write_with(|writer| {
        serde_json::to_writer_pretty(&mut *writer, document)?;
        writer.write_all(b"\n")
    })?;
    sink.finish()
}

/// The rows of `table` as a JSON array of objects, column name to cell, serialised from the
/// table as it is (a million rows are not copied into objects first).
pub(crate) struct Objects<'a>(pub(crate) &'a Table);

impl Serialize for Objects<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let table = self.0;
        let mut rows = serializer.serialize_seq(Some(table.rows.len()))?;
        for row in &table.rows {
            rows.serialize_element(&RowObject(&table.columns, row))?;
        }
        rows.end()
    }
}

/// One row as a JSON object, borrowed from its table.
struct RowObject<'a>(&'a [String], &'a [Json]);

impl Serialize for RowObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_map(Some(self.0.len()))?;
        for (column, cell) in self.0.iter().zip(self.1) {
            object.serialize_entry(column, cell)?;
        }
        object.end()
    }
}

/// Writes a plan's provenance beside the plan written to `out` (`plan.csv` gets
/// `plan.csv.provenance.json`), atomically like the plan; nothing for a plan on standard
/// output, whose report names the digests instead.
pub(crate) fn emit_provenance(
    provenance: &apportion::Provenance,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let Some(out) = out else {
        return Ok(());
    };
    let mut path = out.as_os_str().to_owned();
    path.push(".provenance.json");
    let path = Path::new(&path);
    let mut sink = Sink::open(Some(path))?;
    sink.write_with(|writer| {
        serde_json::to_writer_pretty(&mut *writer, provenance)?;
        writer.write_all(b"\n")
    })?;
    sink.finish()
}

/// Prints a run's report: on standard output when the table went to a file, else on
/// standard error so the table can be piped.
pub(crate) fn report(text: &str, table_in_file: bool) -> Result<(), Failure> {
    if table_in_file {
        print(text)
    } else {
        eprint!("{text}");
        Ok(())
    }
}

/// Writes `text` on standard output, failing (not panicking, as `print!` does) when it is
/// closed.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::output(Path::new("<stdout>"), &e))
}

/// Refuses an output that is one of `inputs` (named by their option): writing it would destroy
/// the input. The same file is found through symlinks and hard links (same device and inode
/// when both exist, else the same canonical path). Only a file that is replaced can be
/// destroyed so: a device, a pipe or a descriptor (`/dev/stdout`) is written in place.
pub(crate) fn check_not_an_input(out: &Path, inputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let out_file = fs::metadata(out).ok();
    if out_file.as_ref().is_some_and(|m| !m.is_file()) || is_descriptor(out) {
        return Ok(());
    }
    for &(option, input) in inputs {
        let same = match (&out_file, fs::metadata(input)) {
            (Some(out), Ok(input)) => out.dev() == input.dev() && out.ino() == input.ino(),
            _ => canonical(out).is_some_and(|out| canonical(input) == Some(out)),
        };
        if same {
            return Err(Failure::new(
                "output_is_input",
                format!(
                    "--out `{}` is the {option} input `{}`: writing it would destroy it, so choose another file",
                    out.display(),
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The absolute path of `path` with its directory's symlinks resolved, whether or not the
/// file itself exists (a symlink to a file that does not exist yet is followed).
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(path) = fs::canonicalize(path) {
        return Some(path);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let target = fs::read_link(path).ok();
    let directory = fs::canonicalize(parent).ok()?;
    match target {
        Some(target) if target.is_absolute() => Some(target),
        Some(target) => Some(directory.join(target)),
        None => Some(directory.join(name)),
    }
}

/// Whether `path` names an open file descriptor (`/dev/stdout`, `/dev/fd/3`,
/// `/proc/self/fd/1`): what it leads to is written through it, never replaced.
fn is_descriptor(path: &Path) -> bool {
    path.starts_with("/proc")
        || path.starts_with("/dev/fd")
        || fs::read_link(path).is_ok_and(|target| target.starts_with("/proc"))
}

/// Where output goes: standard output, a device or pipe written in place, or a regular file
/// replaced atomically at [`Sink::finish`].
pub(crate) enum Sink {
    Stdout(io::Stdout),
    /// A character device, FIFO or socket: opened for writing, never created or replaced.
    Stream {
        path: PathBuf,
        writer: BufWriter<fs::File>,
    },
    /// A regular file (or none yet): written to a temporary file in the same directory as the
    /// real file (a symlink is followed to it), which then takes its place with its mode.
    Replace {
        path: PathBuf,
        target: PathBuf,
        writer: Option<BufWriter<fs::File>>,
        temporary: Temporary,
    },
}

impl Sink {
    /// Opens `out` as the kind of file it is, or standard output without one.
    pub(crate) fn open(out: Option<&Path>) -> Result<Sink, Failure> {
        let Some(out) = out else {
            return Ok(Sink::Stdout(io::stdout()));
        };
        let failed = |e: io::Error| Failure::output(out, &e);
        match fs::metadata(out) {
            Ok(existing) if existing.is_dir() => Err(failed(io::ErrorKind::IsADirectory.into())),
            // `/dev/stdout` and its kin stand for an open file even when it is a regular file
            // (`>> log`): that file is written through it, never replaced.
            Ok(existing) if !existing.is_file() || is_descriptor(out) => {
                // Appending: opening `/dev/stdout` reopens the file behind it, and a file
                // opened afresh would be written from its start, over what was there.
                let file = fs::OpenOptions::new()
                    .append(true)
                    .open(out)
                    .map_err(failed)?;
                Ok(Sink::Stream {
                    path: out.to_owned(),
                    writer: BufWriter::new(file),
                })
            }
            existing => {
                let existing = existing.ok();
                // The real file: a symlink is followed rather than replaced.
                let target = canonical(out).unwrap_or_else(|| out.to_owned());
                let (temporary, file) = Temporary::create(&target).map_err(failed)?;
                if let Some(existing) = existing {
                    // Keep the file's mode (and owner, where allowed), not the umask's.
                    file.set_permissions(existing.permissions())
                        .map_err(failed)?;
                    let _ = std::os::unix::fs::fchown(
                        &file,
                        Some(existing.uid()),
                        Some(existing.gid()),
                    );
                }
                Ok(Sink::Replace {
                    path: out.to_owned(),
                    target,
                    writer: Some(BufWriter::new(file)),
                    temporary,
                })
            }
        }
    }

    /// Writes with `write`; standard output is locked for the call.
    pub(crate) fn write_with(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), Failure> {
        match self {
            Sink::Stdout(stdout) => {
                let mut lock = stdout.lock();
                write(&mut lock)
                    .and_then(|()| lock.flush())
                    .map_err(|e| Failure::output(Path::new("<stdout>"), &e))
            }
            Sink::Stream { path, writer } => write(writer).map_err(|e| Failure::output(path, &e)),
            Sink::Replace { path, writer, .. } => match writer {
                Some(writer) => write(writer).map_err(|e| Failure::output(path, &e)),
                None => Ok(()),
            },
        }
    }

    /// Flushes, and puts a replaced file in place.
    pub(crate) fn finish(&mut self) -> Result<(), Failure> {
        match self {
            Sink::Stdout(stdout) => stdout
                .flush()
                .map_err(|e| Failure::output(Path::new("<stdout>"), &e)),
            Sink::Stream { path, writer } => writer.flush().map_err(|e| Failure::output(path, &e)),
            Sink::Replace {
                path,
                target,
                writer,
                temporary,
            } => {
                let Some(writer) = writer.take() else {
                    return Ok(());
                };
                writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|file| file.sync_all())
                    .and_then(|()| temporary.put_in_place(target))
                    .map_err(|e| Failure::output(path, &e))
            }
        }
    }
}

/// Temporary files not yet put in place: removed on Ctrl-C or a termination signal.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock cannot leave the list half-changed.
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// On Ctrl-C (SIGINT) or SIGTERM/SIGHUP: removes the temporary files of outputs not yet in
/// place, says so and exits with the `interrupted` code. Without it the default action kills
/// the process and leaves `<out>.<pid>.tmp` behind.
pub(crate) fn remove_temporaries_on_interrupt() {
    let handled = ctrlc::set_handler(|| {
        for path in temporaries().drain(..) {
            let _ = fs::remove_file(path);
        }
        let failure = Failure::new(
            "interrupted",
            "interrupted: no output was put in place".to_owned(),
        );
        eprintln!("{}", failure.line());
        std::process::exit(i32::from(crate::exit_code("interrupted")));
    });
    // Without a handler (one already set) the run goes on, only without the clean-up.
    let _ = handled;
}

/// A temporary file beside the file it will replace, removed when dropped unless put in place.
pub(crate) struct Temporary {
    path: PathBuf,
}

impl Temporary {
    /// Creates `<name>.<pid>.tmp` beside `target`, new (an existing file of that name is
    /// never truncated).
    fn create(target: &Path) -> io::Result<(Temporary, fs::File)> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.tmp", std::process::id()));
        let path = target.with_file_name(name);
        let mut live = temporaries();
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        live.push(path.clone());
        Ok((Temporary { path }, file))
    }

    /// Renames the file over `target`; from then on nothing removes it.
    fn put_in_place(&self, target: &Path) -> io::Result<()> {
        let mut live = temporaries();
        fs::rename(&self.path, target)?;
        live.retain(|p| p != &self.path);
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let mut live = temporaries();
        if let Some(at) = live.iter().position(|p| p == &self.path) {
            live.swap_remove(at);
            // Not put in place: a failed run leaves no partial file.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `table` in `format` to `writer`.
pub(crate) fn write(table: &Table, format: Format, writer: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(writer);
            csv.write_record(&table.columns)?;
            // Text is written as it is; other cells through one reused buffer.
            let mut scratch = String::new();
            for row in &table.rows {
                for value in row {
                    match value {
                        Json::String(text) => csv.write_field(text)?,
                        other => {
                            scratch.clear();
                            cell(other, &mut scratch);
                            csv.write_field(&scratch)?;
                        }
                    }
                }
                csv.write_record(None::<&[u8]>)?;
            }
            csv.flush()
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *writer, &Objects(table))?;
            writer.write_all(b"\n")
        }
        Format::Jsonl => {
            for row in &table.rows {
                serde_json::to_writer(&mut *writer, &RowObject(&table.columns, row))?;
                writer.write_all(b"\n")?;
            }
            Ok(())
        }
    }
}

/// A CSV cell, into `out`: text as is, lists joined with `;`, null empty.
fn cell(value: &Json, out: &mut String) {
    match value {
        Json::Null => {}
        Json::String(text) => out.push_str(text),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                cell(item, out);
            }
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
