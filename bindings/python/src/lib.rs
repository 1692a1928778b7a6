//! The native half of the `apportion` Python package (`apportion._apportion`): the rulebook,
//! profiling, assignment, the live router and rebalancing over Arrow tables. The Python half turns results into the caller's
//! table flavour; see `python/apportion`.

mod command;
mod errors;
mod in_place;
mod results;
mod router;
mod run;
mod tables_in;
mod tables_out;
mod text_types;
mod tickets;

use pyo3::prelude::*;

/// The engine allocates per record and per rule call; mimalloc makes that measurably cheaper
/// (as in the CLI and the benches). Python's own objects keep Python's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The module `apportion._apportion`. No thread pool starts here: pools are built per call
/// with `threads=`, or rayon's global pool is started lazily on first use.
#[pymodule]
fn _apportion(module: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(module)?;
    module.add_class::<run::Rulebook>()?;
    module.add_function(wrap_pyfunction!(run::assign, module)?)?;
    module.add_function(wrap_pyfunction!(run::compare, module)?)?;
    module.add_class::<router::Router>()?;
    module.add_class::<results::Objective>()?;
    module.add_class::<results::Stats>()?;
    module.add_class::<results::Network>()?;
    module.add_class::<results::Timings>()?;
    module.add_class::<results::Decision>()?;
    module.add_class::<results::ManagerLoad>()?;
    module.add_class::<results::Provenance>()?;
    module.add_class::<results::Plan>()?;
    module.add_class::<results::Profile>()?;
    module.add_function(wrap_pyfunction!(router::rebalance, module)?)?;
    module.add_function(wrap_pyfunction!(command::_command, module)?)?;
    module.add_function(wrap_pyfunction!(tickets::route_tickets, module)?)?;
    // The policy's defaults, stated once (by the engine): the Python signatures take them.
    let policy = apportion::Policy::default();
    module.add("DEFAULT_MOVE_PENALTY", policy.move_penalty)?;
    module.add("DEFAULT_BALANCE", policy.balance)?;
    module.add_function(wrap_pyfunction!(tables_in::_buffer_addresses, module)?)?;
    module.add_function(wrap_pyfunction!(tables_in::_read_in_blocks, module)?)?;
    Ok(())
}
