//! One exception hierarchy under `ApportionError`; every exception carries the stable `.code`
//! of the Rust error it stands for.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    apportion,
    ApportionError,
    PyException,
    "Base class of every apportion error; `.code` is a stable snake_case name.\n\nAttributes\n----------\ncode : str\n    The stable snake_case code of the error, as the Rust engine and the CLI give it."
);
create_exception!(
    apportion,
    InputError,
    ApportionError,
    "Customers or managers could not be read: names the input, record and column.\n\nAttributes\n----------\ncode : str\n    The stable snake_case code of the error, as the Rust engine and the CLI give it."
);
create_exception!(
    apportion,
    RuleError,
    ApportionError,
    "A rulebook is invalid or a rule failed: names the rule, the customer, line and column.\n\nAttributes\n----------\ncode : str\n    The stable snake_case code of the error, as the Rust engine and the CLI give it."
);
create_exception!(
    apportion,
    SolveError,
    ApportionError,
    "The assignment could not be set up or solved (for example an invalid policy).\n\nAttributes\n----------\ncode : str\n    The stable snake_case code of the error, as the Rust engine and the CLI give it."
);

create_exception!(
    apportion,
    BookError,
    ApportionError,
    "A routing call or book event does not fit the live book (an unknown customer or manager, a lead booked twice, a churn budget below the moves needed).\n\nAttributes\n----------\ncode : str\n    The stable snake_case code of the error, as the Rust engine and the CLI give it."
);

/// A Python exception of `class` with `message` and `.code`.
fn raise<E: pyo3::type_object::PyTypeInfo>(code: &str, message: String) -> PyErr {
    let error = PyErr::new::<E, _>(message);
    Python::attach(|py| {
        // Setting an attribute on a fresh exception instance cannot fail in practice; if it
        // did, the exception would still be raised, only without `.code`.
        let _ = error.value(py).setattr("code", code);
    });
    error
}

/// The Python exception for an engine error.
pub(crate) fn to_py(error: apportion::Error) -> PyErr {
    let code = error.code();
    match error {
        apportion::Error::Input(e) => raise::<InputError>(code, e.to_string()),
        apportion::Error::Rule(e) => raise::<RuleError>(code, e.to_string()),
        apportion::Error::Solve(e) => raise::<SolveError>(code, e.to_string()),
        apportion::Error::Book(e) => raise::<BookError>(code, e.to_string()),
        // The error enum may grow; a new kind is still an apportion error with its code.
        other => raise::<ApportionError>(code, other.to_string()),
    }
}

/// An input the binding itself cannot read (an unsupported column type, a bad option value).
pub(crate) fn input(code: &str, message: String) -> PyErr {
    raise::<InputError>(code, message)
}

/// A call apportion cannot take in the state it is made in (nested too deep in callbacks).
pub(crate) fn usage(code: &str, message: String) -> PyErr {
    raise::<ApportionError>(code, message)
}

/// A failure that is apportion's fault, not the caller's (it should never happen).
pub(crate) fn internal(message: String) -> PyErr {
    raise::<ApportionError>("internal_error", message)
}

/// Registers the exception classes on the module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("ApportionError", py.get_type::<ApportionError>())?;
    module.add("InputError", py.get_type::<InputError>())?;
    module.add("RuleError", py.get_type::<RuleError>())?;
    module.add("SolveError", py.get_type::<SolveError>())?;
    module.add("BookError", py.get_type::<BookError>())?;
    Ok(())
}
