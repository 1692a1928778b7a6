//! The `apportion` command the package installs: the Rust command line itself, run in the
//! Python process, so a `pip install` gives the module and the command from one build.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the command line on `args` (the program's name first) and returns its exit code.
/// The GIL is released for the whole run: the command is all Rust.
#[pyfunction]
pub(crate) fn _command(py: Python<'_>, args: Vec<OsString>) -> u8 {
    py.detach(|| apportion_cli::run(args))
}
