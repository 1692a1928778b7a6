//! The bad-input matrix (`tests/data/bad_inputs.json`), shared with the CLI and Python suites:
//! each malformed input ends in the same stable error code, and the message says where and
//! never repeats a value from the data.

use std::collections::BTreeMap;

use apportion::ValueType;
use apportion::load::{self, Format, LoadOptions};

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    input: String,
    file: String,
    #[serde(default)]
    text: Option<String>,
    /// Raw bytes, for inputs that are not text.
    #[serde(default)]
    bytes: Option<Vec<u8>>,
    #[serde(default)]
    types: BTreeMap<String, String>,
    code: String,
}

fn cases() -> Vec<Case> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/bad_inputs.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes(case: &Case) -> Vec<u8> {
    match (&case.text, &case.bytes) {
        // `<10MB>` stands for ten mebibytes of text, kept out of the file.
        (Some(text), _) => text.replace("<10MB>", &"x".repeat(10 << 20)).into_bytes(),
        (None, Some(bytes)) => bytes.clone(),
        (None, None) => Vec::new(),
    }
}

/// The outcome of loading a case: `ok` or the error's code, and the message.
fn outcome(case: &Case) -> (String, String) {
    let options = LoadOptions {
        types: case
            .types
            .iter()
            .map(|(c, t)| (c.clone(), ValueType::from_name(t).unwrap()))
            .collect(),
        ..LoadOptions::default()
    };
    let format = Format::from_path(std::path::Path::new(&case.file)).unwrap();
    let data = bytes(case);
    let result = if case.input == "customers" {
        load::parse_customers(&data, format, &case.file, &options).map(|_| ())
    } else {
        load::parse_managers(&data, format, &case.file, &options).map(|_| ())
    };
    match result {
        Ok(()) => ("ok".to_owned(), String::new()),
        Err(error) => (error.code().to_owned(), error.to_string()),
    }
}

#[test]
fn every_bad_input_ends_in_its_code_and_names_where() {
    let mut wrong = Vec::new();
    for case in cases() {
        let (code, message) = outcome(&case);
        if code != case.code {
            wrong.push(format!(
                "{}: {code} ({message:.200}), expected {}",
                case.name, case.code
            ));
        }
        let values = [
            "Ada",
            "lots",
            "xxxx",
            "12345678901234567890",
            "99999999999999999999",
        ];
        if values.iter().any(|value| message.contains(value)) {
            wrong.push(format!(
                "{}: the message repeats a value: {message:.200}",
                case.name
            ));
        }
        if code != "ok" && !message.contains(&case.file) {
            wrong.push(format!(
                "{}: the message does not name the file: {message:.200}",
                case.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
