//! Running a compiled rulebook: the only place that builds a rhai `Engine`, and every
//! evaluator of rules.
//!
//! - `sandbox`: the engines (packages, limits, record types for customers and managers,
//!   getters by slot), worker copies of the compiled functions, and rhai's errors turned into
//!   ours; `fuel` and `metered` bound the work of one evaluation.
//! - `fields`: the derived fields of one customer at a time (`profile` and the router run it);
//!   `memo` remembers them per distinct input.
//! - `pair`: `eligible(c, m)` and `affinity(c, m)` per class, term by term where `affinity`
//!   is a running score (`pair/terms`).
//! - `tickets`: the ticket rule `route_ticket(t)` for one ticket at a time.
//! - `native`: the plain parts of a rulebook compiled to native steps; `convert` turns field
//!   values into rhai's and back.
//!
//! Dependencies go one way: `eval` reads what `rules` compiled (the [`Rulebook`], its
//! [`Limits`], the names of rules and reserved properties) and never imports `profile` or
//! `tickets`; `profile`, `tickets` and `solve` call into `eval`. The one exception is
//! [`parse`]: compiling a rulebook needs an engine to parse with, so `rules` calls it, and
//! nothing else of `eval`.
//!
//! [`Rulebook`]: crate::rules::Rulebook
//! [`Limits`]: crate::rules::Limits

pub(crate) mod convert;
pub(crate) mod fields;
pub(crate) mod fuel;
mod memo;
mod metered;
pub(crate) mod native;
pub(crate) mod pair;
pub(crate) mod sandbox;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod tickets;

pub(crate) use sandbox::parse;
