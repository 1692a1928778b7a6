//! A progress bar on standard error for long runs, and only there: short runs and runs whose
//! standard error is not a terminal (scripts, CI logs) stay quiet.

use std::io::IsTerminal;
use std::sync::Arc;

use apportion::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Below this many customers a run is over before a bar would help.
const MIN_CUSTOMERS: usize = 50_000;

/// A bar counting customers, shown while `Some`; `then` names the step after the last one.
pub(crate) struct Bar(Option<ProgressBar>);

impl Bar {
    pub(crate) fn customers(total: usize) -> Bar {
        if total < MIN_CUSTOMERS || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} customers ({per_sec}, {eta} left) {msg}",
        ) {
            bar.set_style(style);
        }
        Bar(Some(bar))
    }

    /// The callback that moves the bar; once every customer is done it shows `then`.
    pub(crate) fn callback(&self, then: &'static str) -> Option<Progress> {
        let bar = self.0.clone()?;
        Some(Arc::new(move |done, total| {
            bar.set_position(done as u64);
            if done == total {
                bar.set_message(then);
            }
        }))
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
