//! Loading customers and managers: inferred types, the three formats agreeing, overrides, and
//! every input error with its code and location.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use apportion::Orphan;
use apportion::load::{self, Format, LoadOptions};
use apportion::{
    Book, CustomerId, Customers, InputError, Location, ManagerId, Managers, Value, ValueType,
};
use proptest::prelude::*;

use crate::support::{date, example, list, s};

fn customers(format: Format, text: &str) -> Result<Customers, InputError> {
    load::parse_customers(text.as_bytes(), format, "in", &LoadOptions::default())
}

fn csv(text: &str) -> Customers {
    customers(Format::Csv, text).unwrap()
}

fn csv_error(text: &str) -> InputError {
    customers(Format::Csv, text).unwrap_err()
}

fn managers(format: Format, text: &str) -> Result<Managers, InputError> {
    load::parse_managers(text.as_bytes(), format, "in", &LoadOptions::default())
}

fn with_types(types: &[(&str, ValueType)]) -> LoadOptions {
    LoadOptions {
        types: types
            .iter()
            .map(|(name, t)| ((*name).to_owned(), *t))
            .collect(),
        ..LoadOptions::default()
    }
}

fn types(customers: &Customers) -> Vec<(&str, ValueType)> {
    customers
        .schema
        .fields()
        .iter()
        .map(|f| (f.name.as_str(), f.value_type))
        .collect()
}

fn column(customers: &Customers, name: &str) -> Vec<Value> {
    (0..customers.records.len())
        .map(|row| customers.value(row, name).unwrap().clone())
        .collect()
}

/// The location of an error that has one.
fn at(error: &InputError) -> &Location {
    match error {
        InputError::Malformed { at, .. }
        | InputError::EmptyId { at, .. }
        | InputError::DuplicateId { at, .. }
        | InputError::InvalidValue { at, .. }
        | InputError::NonFinite { at }
        | InputError::InvalidCapacity { at, .. } => at,
        other => panic!("no location in {other:?}"),
    }
}

/// (code, line, record, column) of an error.
fn place(error: &InputError) -> (&'static str, Option<u64>, Option<&str>, Option<&str>) {
    let at = at(error);
    (
        error.code(),
        at.line,
        at.record.as_deref(),
        at.column.as_deref(),
    )
}

/// A unique path in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("apportion-load-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const BANK_CSV: &str = "\
id,manager,assets,risk,vip,onboarded,products,segment,postcode
C-1,M-1,2500000,0.5,true,2020-01-15,savings;mortgage,HNW,01234
C-2,,150000,1,FALSE,2026-05-01,savings,retail,10115
C-3,M-9,,-2.25,,,,SME,
";

#[test]
fn csv_columns_get_inferred_types_and_values() {
    let customers = csv(BANK_CSV);
    assert_eq!(
        types(&customers),
        [
            ("assets", ValueType::Int),
            ("risk", ValueType::Float),
            ("vip", ValueType::Bool),
            ("onboarded", ValueType::Date),
            ("products", ValueType::List),
            ("segment", ValueType::Str),
            ("postcode", ValueType::Int),
        ]
    );
    let ids: Vec<&str> = customers.records.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C-1", "C-2", "C-3"]);
    let managers: Vec<Option<&str>> = customers
        .records
        .iter()
        .map(|c| c.manager.as_ref().map(ManagerId::as_str))
        .collect();
    assert_eq!(managers, [Some("M-1"), None, Some("M-9")]);
    assert_eq!(
        column(&customers, "assets"),
        [Value::Int(2_500_000), Value::Int(150_000), Value::Null]
    );
    assert_eq!(
        column(&customers, "risk"),
        [Value::Float(0.5), Value::Float(1.0), Value::Float(-2.25)]
    );
    assert_eq!(
        column(&customers, "vip"),
        [Value::Bool(true), Value::Bool(false), Value::Null]
    );
    assert_eq!(
        column(&customers, "onboarded"),
        [
            Value::Date(date("2020-01-15")),
            Value::Date(date("2026-05-01")),
            Value::Null
        ]
    );
    assert_eq!(
        column(&customers, "products"),
        [
            list(&["savings", "mortgage"]),
            list(&["savings"]),
            Value::Null
        ]
    );
    assert_eq!(
        column(&customers, "segment"),
        [s("HNW"), s("retail"), s("SME")]
    );
}

#[test]
fn a_column_that_is_not_all_one_shape_is_text() {
    let customers = csv("id,a,b,c,d,e\n1,1,true,2024-01-01,x,\n2,1.5,1,soon,y,\n");
    assert_eq!(
        types(&customers),
        [
            ("a", ValueType::Float),
            ("b", ValueType::Str),
            ("c", ValueType::Str),
            ("d", ValueType::Str),
            ("e", ValueType::Str)
        ]
    );
    assert_eq!(column(&customers, "b"), [s("true"), s("1")]);
    assert_eq!(column(&customers, "e"), [Value::Null, Value::Null]);
}

#[test]
fn a_header_only_file_has_no_records_and_string_columns() {
    let customers = csv("id,manager,assets,joined\n");
    assert!(customers.records.is_empty());
    assert_eq!(
        types(&customers),
        [("assets", ValueType::Str), ("joined", ValueType::Str)]
    );
    let options = with_types(&[("assets", ValueType::Int)]);
    let customers = load::parse_customers(b"id,assets\n", Format::Csv, "in", &options).unwrap();
    assert_eq!(types(&customers), [("assets", ValueType::Int)]);
}

#[test]
fn csv_json_and_json_lines_of_the_same_data_are_equal() {
    let array = r#"[
        {"id": "C-1", "manager": "M-1", "assets": 2500000, "risk": 0.5, "vip": true, "onboarded": "2020-01-15",
         "products": ["savings", "mortgage"], "segment": "HNW", "postcode": 1234},
        {"id": "C-2", "manager": null, "assets": 150000, "risk": 1, "vip": false, "onboarded": "2026-05-01",
         "products": ["savings"], "segment": "retail", "postcode": 10115},
        {"id": "C-3", "manager": "M-9", "risk": -2.25, "vip": null, "segment": "SME"}
    ]"#;
    let lines = r#"{"id": "C-1", "manager": "M-1", "assets": 2500000, "risk": 0.5, "vip": true, "onboarded": "2020-01-15", "products": ["savings", "mortgage"], "segment": "HNW", "postcode": 1234}

{"id": "C-2", "manager": "", "assets": 150000, "risk": 1.0, "vip": false, "onboarded": "2026-05-01", "products": ["savings"], "segment": "retail", "postcode": 10115}
{"id": "C-3", "manager": "M-9", "assets": null, "risk": -2.25, "segment": "SME"}
"#;
    let from_csv = csv(BANK_CSV);
    let from_array = customers(Format::Json, array).unwrap();
    let from_lines = customers(Format::JsonLines, lines).unwrap();
    assert_eq!(from_array, from_csv);
    assert_eq!(from_lines, from_csv);
    // A .json file holding JSON Lines reads the same.
    assert_eq!(customers(Format::Json, lines).unwrap(), from_csv);
}

#[test]
fn json_key_order_is_order_of_first_appearance() {
    let customers = customers(
        Format::JsonLines,
        "{\"b\": 1, \"id\": \"x\"}\n{\"id\": \"y\", \"c\": 2, \"a\": 3, \"b\": 4}",
    )
    .unwrap();
    let names: Vec<&str> = customers
        .schema
        .fields()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["b", "c", "a"]);
    assert_eq!(column(&customers, "a"), [Value::Null, Value::Int(3)]);
}

#[test]
fn json_types_follow_json_kinds() {
    let customers = customers(
        Format::JsonLines,
        r#"{"id": 1, "n": 5, "f": 5, "d": "2024-01-01", "t": "2024-01-01", "l": [], "b": true, "z": null}
{"id": 2, "n": -5, "f": 0.5, "d": "2024-12-31", "t": "later", "l": ["a", ""], "b": false}"#,
    )
    .unwrap();
    assert_eq!(
        types(&customers),
        [
            ("n", ValueType::Int),
            ("f", ValueType::Float),
            ("d", ValueType::Date),
            ("t", ValueType::Str),
            ("l", ValueType::List),
            ("b", ValueType::Bool),
            ("z", ValueType::Str),
        ]
    );
    assert_eq!(
        column(&customers, "f"),
        [Value::Float(5.0), Value::Float(0.5)]
    );
    // A JSON list stays as given; numbers are allowed as ids.
    assert_eq!(column(&customers, "l"), [list(&[]), list(&["a", ""])]);
    assert_eq!(customers.records[1].id, CustomerId::from("2"));
}

#[test]
fn json_columns_of_text_alone_are_typed_as_the_same_csv() {
    // Exports that quote every value: the text says what each column is, as in a CSV file.
    let quoted = r#"[
        {"id": "C-1", "assets": "100", "rate": "1.5", "vip": "true", "products": "a;b", "note": "x"},
        {"id": "C-2", "assets": "", "rate": "2", "vip": "FALSE", "products": "b", "note": null}
    ]"#;
    let from_json = customers(Format::Json, quoted).unwrap();
    let from_csv = csv("id,assets,rate,vip,products,note
C-1,100,1.5,true,a;b,x
C-2,,2,FALSE,b,
");
    assert_eq!(
        types(&from_json),
        [
            ("assets", ValueType::Int),
            ("rate", ValueType::Float),
            ("vip", ValueType::Bool),
            ("products", ValueType::List),
            ("note", ValueType::Str),
        ]
    );
    assert_eq!(from_json, from_csv);
    // A column mixing text with numbers goes by its first kind, and the text does not fit.
    let mixed = customers(
        Format::JsonLines,
        "{\"id\": 1, \"n\": 5}\n{\"id\": 2, \"n\": \"6\"}",
    );
    assert_eq!(mixed.unwrap_err().code(), "invalid_value");
}

#[test]
fn overrides_win_over_inference() {
    let options = with_types(&[
        ("postcode", ValueType::Str),
        ("assets", ValueType::Float),
        ("segment", ValueType::List),
        ("id", ValueType::Int),
        ("not_there", ValueType::Date),
    ]);
    let customers =
        load::parse_customers(BANK_CSV.as_bytes(), Format::Csv, "in", &options).unwrap();
    assert_eq!(
        customers.schema.field("postcode").unwrap().value_type,
        ValueType::Str
    );
    assert_eq!(
        column(&customers, "postcode"),
        [s("01234"), s("10115"), Value::Null]
    );
    assert_eq!(column(&customers, "assets")[0], Value::Float(2_500_000.0));
    assert_eq!(column(&customers, "segment")[0], list(&["HNW"]));
    assert!(customers.schema.field("id").is_none());

    // JSON strings in overridden columns are read like CSV text; numbers in string columns
    // become their text.
    let json = r#"[{"id": "C-1", "assets": "42", "joined": " 2024-02-29 ", "postcode": 1234, "tags": "a; b"}]"#;
    let options = with_types(&[
        ("assets", ValueType::Int),
        ("joined", ValueType::Date),
        ("postcode", ValueType::Str),
        ("tags", ValueType::List),
    ]);
    let customers = load::parse_customers(json.as_bytes(), Format::Json, "in", &options).unwrap();
    assert_eq!(
        customers.records[0].attributes,
        [
            Value::Int(42),
            Value::Date(date("2024-02-29")),
            s("1234"),
            list(&["a", "b"])
        ]
    );
}

#[test]
fn an_override_the_values_do_not_fit_is_an_invalid_value() {
    let options = with_types(&[("vip", ValueType::Bool)]);
    let error = load::parse_customers(b"id,vip\nC-1,true\nC-2,yes\n", Format::Csv, "in", &options)
        .unwrap_err();
    assert_eq!(
        place(&error),
        ("invalid_value", Some(3), Some("C-2"), Some("vip"))
    );
    assert!(matches!(
        error,
        InputError::InvalidValue {
            expected: ValueType::Bool,
            ..
        }
    ));
}

#[test]
fn custom_id_manager_and_separator() {
    let options = LoadOptions {
        id_column: "customer_no".to_owned(),
        manager_column: "rm".to_owned(),
        list_separator: '|',
        ..LoadOptions::default()
    };
    let customers = load::parse_customers(
        b"customer_no,rm,products,id\n7,M-1,a|b,x\n",
        Format::Csv,
        "in",
        &options,
    )
    .unwrap();
    assert_eq!(customers.records[0].id.as_str(), "7");
    assert_eq!(
        customers.records[0].manager.as_ref().map(ManagerId::as_str),
        Some("M-1")
    );
    assert_eq!(
        types(&customers),
        [("products", ValueType::List), ("id", ValueType::Str)]
    );
    assert_eq!(column(&customers, "products"), [list(&["a", "b"])]);
}

#[test]
fn csv_structure_errors_are_malformed_at_their_line() {
    let cases: [(&[u8], u64); 5] = [
        (b"id,a\nC-1,1\nC-2,2,3\n", 3),
        (b"id,a\r\nC-1,1\r\n\r\nC-2\r\n", 4),
        (b"id,a\nC-1,1\nC-2,\xff\xfe\n", 3),
        (b"id,a\nC-1,\"1\nC-2,2\nC-3,3\n", 2),
        (b"id,\xffa\nC-1,1\n", 1),
    ];
    for (bytes, line) in cases {
        let error = load::parse_customers(bytes, Format::Csv, "c.csv", &LoadOptions::default())
            .unwrap_err();
        assert_eq!(error.code(), "malformed_input", "{error}");
        assert_eq!(at(&error).line, Some(line), "{error}");
        assert_eq!(at(&error).source, "c.csv");
    }
}

#[test]
fn header_problems() {
    let error = csv_error("id,assets,assets\nC-1,1,2\n");
    assert_eq!(error.code(), "duplicate_column");
    assert!(
        matches!(&error, InputError::DuplicateColumn { column, source_name } if column == "assets" && source_name == "in")
    );

    let error = csv_error("customer,assets\nC-1,1\n");
    assert_eq!(error.code(), "missing_column");
    assert!(matches!(&error, InputError::MissingColumn { column, .. } if column == "id"));

    for format in [Format::Csv, Format::Json, Format::JsonLines] {
        let error = customers(format, "").unwrap_err();
        assert!(
            matches!(&error, InputError::MissingColumn { column, .. } if column == "id"),
            "{format:?}"
        );
    }
    let error = customers(Format::JsonLines, "{\"key\": 1}").unwrap_err();
    assert!(matches!(&error, InputError::MissingColumn { column, .. } if column == "id"));
    // An empty JSON array is simply no customers.
    assert_eq!(customers(Format::Json, "[]").unwrap(), Customers::default());
}

#[test]
fn json_syntax_errors_are_malformed_at_their_line() {
    let cases = [
        (
            Format::Json,
            "[{\"id\": \"C-1\"},\n {\"id\": \"C-2\",, }]",
            2,
        ),
        (Format::Json, "[{\"id\": \"C-1\"},\n {\"id\": \"C-2\"}", 2),
        (Format::Json, "[{\"id\": \"C-1\"}] []", 1),
        (Format::Json, "\n\n42", 3),
        (
            Format::JsonLines,
            "{\"id\": \"C-1\"}\n\n{\"id\": \"C-2\"",
            3,
        ),
        (Format::JsonLines, "{\"id\": \"C-1\"}\n{\"id\": 1e400}", 2),
        (Format::JsonLines, "{\"id\": \"C-1\"}\n{\"id\": NaN}", 2),
    ];
    for (format, text, line) in cases {
        let error = customers(format, text).unwrap_err();
        assert_eq!(error.code(), "malformed_input", "{text}: {error}");
        assert_eq!(at(&error).line, Some(line), "{text}: {error}");
    }
}

#[test]
fn json_that_is_not_utf8_is_malformed() {
    let error = load::parse_customers(
        b"{\"id\": \"C-1\"}\n{\"id\": \"C-\xff\"}\n",
        Format::JsonLines,
        "in",
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(place(&error), ("malformed_input", Some(2), None, None));
}

#[test]
fn json_records_that_are_not_objects_are_malformed() {
    let error = customers(
        Format::Json,
        "[{\"id\": \"C-1\"},\n  [\"C-2\"],\n {\"id\": \"C-3\"}]",
    )
    .unwrap_err();
    assert_eq!(
        place(&error),
        ("malformed_input", Some(2), Some("#1"), None)
    );
    let error = customers(Format::JsonLines, "{\"id\": \"C-1\"}\n\"C-2\"\n").unwrap_err();
    assert_eq!(place(&error), ("malformed_input", Some(2), None, None));
    let error = customers(
        Format::JsonLines,
        "{\"id\": \"C-1\"}\n{\"id\": \"C-2\", \"id\": \"C-3\"}\n",
    )
    .unwrap_err();
    assert_eq!(
        place(&error),
        ("malformed_input", Some(2), None, Some("id"))
    );
}

#[test]
fn id_errors_name_their_place() {
    let error = csv_error("id,a\nC-1,1\n   ,2\n");
    assert_eq!(place(&error), ("empty_id", Some(3), None, Some("id")));
    assert!(matches!(
        error,
        InputError::EmptyId {
            kind: apportion::RecordKind::Customer,
            ..
        }
    ));

    let error = customers(Format::Json, "[{\"id\": \"C-1\"},\n{\"id\": null}]").unwrap_err();
    assert_eq!(place(&error), ("empty_id", Some(2), Some("#1"), Some("id")));

    let error = customers(Format::JsonLines, "{\"id\": \"C-1\"}\n{\"a\": 1}").unwrap_err();
    assert_eq!(place(&error), ("empty_id", Some(2), None, Some("id")));

    let error = csv_error("id,a\nC-1,1\nC-2,2\n C-1 ,3\n");
    assert_eq!(
        place(&error),
        ("duplicate_customer_id", Some(4), Some("C-1"), Some("id"))
    );
    assert!(matches!(&error, InputError::DuplicateId { id, .. } if id == "C-1"));

    // A number and a string with the same text are the same id.
    let error = customers(Format::JsonLines, "{\"id\": 7}\n{\"id\": \"7\"}").unwrap_err();
    assert_eq!(error.code(), "duplicate_customer_id");

    let error = managers(Format::Csv, "id,capacity\nM-1,3\nM-1,4\n").unwrap_err();
    assert_eq!(
        place(&error),
        ("duplicate_manager_id", Some(3), Some("M-1"), Some("id"))
    );
}

#[test]
fn values_that_do_not_fit_their_column() {
    let error = csv_error("id,assets\nC-1,1\nC-2,99999999999999999999\n");
    assert_eq!(
        place(&error),
        ("invalid_value", Some(3), Some("C-2"), Some("assets"))
    );
    assert!(matches!(
        error,
        InputError::InvalidValue {
            expected: ValueType::Int,
            ..
        }
    ));

    let error = csv_error("id,joined\nC-1,2024-01-01\nC-2,2023-02-29\n");
    assert_eq!(
        place(&error),
        ("invalid_value", Some(3), Some("C-2"), Some("joined"))
    );

    let cases = [
        (
            "{\"id\": \"A\", \"n\": 1}\n{\"id\": \"B\", \"n\": \"2\"}",
            ValueType::Int,
        ),
        (
            "{\"id\": \"A\", \"n\": \"x\"}\n{\"id\": \"B\", \"n\": 2}",
            ValueType::Str,
        ),
        (
            "{\"id\": \"A\", \"n\": 1}\n{\"id\": \"B\", \"n\": {\"k\": 1}}",
            ValueType::Int,
        ),
        (
            "{\"id\": \"A\", \"n\": [\"x\"]}\n{\"id\": \"B\", \"n\": [\"y\", 2]}",
            ValueType::List,
        ),
        (
            "{\"id\": \"A\", \"n\": 1}\n{\"id\": \"B\", \"n\": 18446744073709551615}",
            ValueType::Int,
        ),
    ];
    for (text, expected) in cases {
        let error = customers(Format::JsonLines, text).unwrap_err();
        assert_eq!(
            place(&error),
            ("invalid_value", Some(2), Some("B"), Some("n")),
            "{text}"
        );
        assert!(
            matches!(error, InputError::InvalidValue { expected: e, .. } if e == expected),
            "{text}"
        );
    }
}

#[test]
fn nan_and_infinity_are_rejected_not_read_as_text() {
    for cell in ["nan", "NaN", "inf", "-Infinity", "1e400"] {
        let error = csv_error(&format!("id,score\nC-1,1.5\nC-2,{cell}\n"));
        assert_eq!(
            place(&error),
            ("non_finite_number", Some(3), Some("C-2"), Some("score")),
            "{cell}"
        );
    }
    // Also in a column with no other values, and in a JSON string read as a float.
    assert_eq!(csv_error("id,score\nC-1,NaN\n").code(), "non_finite_number");
    let options = with_types(&[("score", ValueType::Float)]);
    let error = load::parse_customers(
        br#"[{"id": "C-1", "score": "inf"}]"#,
        Format::Json,
        "in",
        &options,
    )
    .unwrap_err();
    assert_eq!(
        place(&error),
        ("non_finite_number", Some(1), Some("C-1"), Some("score"))
    );
}

#[test]
fn error_messages_never_hold_attribute_values() {
    let secret = "SECRET-42";
    let errors = [
        csv_error(&format!("id,a\nC-1,1\nC-2,{secret},x\n")),
        load::parse_customers(
            format!("id,vip\nC-1,true\nC-2,{secret}\n").as_bytes(),
            Format::Csv,
            "in",
            &with_types(&[("vip", ValueType::Bool)]),
        )
        .unwrap_err(),
        customers(
            Format::JsonLines,
            &format!("{{\"id\": \"C-1\", \"n\": 1}}\n{{\"id\": \"C-2\", \"n\": \"{secret}\"}}"),
        )
        .unwrap_err(),
        customers(Format::Json, &format!("[\"{secret}\"]")).unwrap_err(),
        customers(Format::Json, &format!("\"{secret}\"")).unwrap_err(),
        customers(
            Format::JsonLines,
            &format!("{{\"id\": \"{secret}\" \"x\"}}"),
        )
        .unwrap_err(),
        managers(
            Format::Csv,
            &format!("id,capacity,segment_caps\nM-1,3,{secret}=1;{secret}=2\n"),
        )
        .unwrap_err(),
        managers(Format::Csv, &format!("id,capacity\nM-1,{secret}\n")).unwrap_err(),
    ];
    for error in errors {
        assert!(!error.to_string().contains(secret), "{error}");
    }
}

#[test]
fn managers_read_capacity_target_and_segment_caps() {
    let text = "id,capacity,target,segment_caps,region,languages\n\
                M-1,30,25,HNW=10;SME=5,north,en;fr\n\
                M-2,0,,,south,en\n";
    let managers = managers(Format::Csv, text).unwrap();
    let names: Vec<&str> = managers
        .schema
        .fields()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["region", "languages"]);
    let m1 = &managers.records[0];
    assert_eq!(
        (m1.id.as_str(), m1.capacity, m1.target, m1.target_load()),
        ("M-1", 30, Some(25), 25)
    );
    assert_eq!(
        m1.segment_caps,
        BTreeMap::from([("HNW".to_owned(), 10), ("SME".to_owned(), 5)])
    );
    assert_eq!(m1.attributes, [s("north"), list(&["en", "fr"])]);
    let m2 = &managers.records[1];
    assert_eq!(
        (
            m2.capacity,
            m2.target,
            m2.target_load(),
            m2.segment_caps.len()
        ),
        (0, None, 0, 0)
    );

    let json = r#"[
        {"id": "M-1", "capacity": 30, "target": 25, "segment_caps": {"HNW": 10, "SME": 5}, "region": "north", "languages": ["en", "fr"]},
        {"id": "M-2", "capacity": "0", "target": null, "segment_caps": "", "region": "south", "languages": ["en"]}
    ]"#;
    assert_eq!(self::managers(Format::Json, json).unwrap(), managers);
}

#[test]
fn bad_capacities_name_record_and_column() {
    let cases = [
        ("capacity\n-1", "capacity"),
        ("capacity\n2.5", "capacity"),
        ("capacity\nNaN", "capacity"),
        ("capacity\n4294967296", "capacity"),
        ("capacity\n", "capacity"),
        ("capacity,target\n3,0", "target"),
        ("capacity,target\n3,-2", "target"),
        ("capacity,segment_caps\n3,HNW", "segment_caps"),
        ("capacity,segment_caps\n3,HNW=-1", "segment_caps"),
        ("capacity,segment_caps\n3,HNW=1;SME=2;HNW=3", "segment_caps"),
    ];
    for (body, column) in cases {
        let (header, row) = body.split_once('\n').unwrap();
        // A first manager that is fine, so the error is the second's.
        let fine: Vec<&str> = header
            .split(',')
            .map(|name| if name == "segment_caps" { "HNW=1" } else { "1" })
            .collect();
        let text = format!("id,{header}\nM-0,{}\nM-1,{row}\n", fine.join(","));
        let error = managers(Format::Csv, &text).unwrap_err();
        assert_eq!(
            place(&error),
            ("invalid_capacity", Some(3), Some("M-1"), Some(column)),
            "{text}"
        );
    }
    let json_cases = [
        (r#"{"id": "M-1", "capacity": -1}"#, "capacity"),
        (r#"{"id": "M-1", "capacity": 2.5}"#, "capacity"),
        (r#"{"id": "M-1", "capacity": 5000000000}"#, "capacity"),
        (r#"{"id": "M-1", "capacity": true}"#, "capacity"),
        (r#"{"id": "M-1"}"#, "capacity"),
        (r#"{"id": "M-1", "capacity": 1, "target": 0}"#, "target"),
        (
            r#"{"id": "M-1", "capacity": 1, "segment_caps": {"HNW": 1.5}}"#,
            "segment_caps",
        ),
        (
            r#"{"id": "M-1", "capacity": 1, "segment_caps": {"HNW": 1, "HNW": 2}}"#,
            "segment_caps",
        ),
        (
            r#"{"id": "M-1", "capacity": 1, "segment_caps": [1]}"#,
            "segment_caps",
        ),
    ];
    for (record, column) in json_cases {
        let text = format!("{{\"id\": \"M-0\", \"capacity\": 1}}\n{record}");
        let error = managers(Format::JsonLines, &text).unwrap_err();
        assert_eq!(
            place(&error),
            ("invalid_capacity", Some(2), Some("M-1"), Some(column)),
            "{record}"
        );
    }
    let error = managers(Format::Csv, "id,target\nM-1,3\n").unwrap_err();
    assert!(matches!(&error, InputError::MissingColumn { column, .. } if column == "capacity"));
    // Managers have no manager column: a `manager` column is an attribute.
    let managers = managers(Format::Csv, "id,capacity,manager\nM-1,1,M-2\n").unwrap();
    assert_eq!(managers.records[0].attributes, [s("M-2")]);
}

#[test]
fn customers_of_unknown_managers_are_orphans_not_errors() {
    let book = Book::new(
        csv("id,manager\nC-1,M-1\nC-2,M-9\nC-3,\n"),
        managers(Format::Csv, "id,capacity\nM-1,10\n").unwrap(),
    );
    assert_eq!(
        book.orphans(),
        [Orphan {
            customer: CustomerId::from("C-2"),
            former_manager: ManagerId::from("M-9"),
        }]
    );
}

#[test]
fn the_shipped_example_bank_loads_with_the_types_its_readme_gives() {
    let customers =
        load::read_customers(&example("data/customers.csv"), &LoadOptions::default()).unwrap();
    assert_eq!(customers.records.len(), 3_000);
    assert_eq!(
        types(&customers),
        [
            ("kind", ValueType::Str),
            ("region", ValueType::Str),
            ("branch", ValueType::Str),
            ("assets", ValueType::Int),
            ("income", ValueType::Int),
            ("age", ValueType::Int),
            ("risk_preference", ValueType::Str),
            ("products", ValueType::List),
            ("transactions_90d", ValueType::Int),
            ("days_since_last_txn", ValueType::Int),
            ("last_txn_date", ValueType::Date),
            ("onboarded", ValueType::Date),
            ("language", ValueType::Str),
            ("has_mortgage_enquiry", ValueType::Bool),
            ("credit_score", ValueType::Int),
        ]
    );
    let managers =
        load::read_managers(&example("data/managers.csv"), &LoadOptions::default()).unwrap();
    assert_eq!(managers.records.len(), 50);
    let names: Vec<&str> = managers
        .schema
        .fields()
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "name",
            "region",
            "branch",
            "languages",
            "certifications",
            "seniority_years",
            "group"
        ]
    );
    assert_eq!(
        managers
            .records
            .iter()
            .map(|m| u64::from(m.capacity))
            .sum::<u64>(),
        3_299
    );
    let m9 = managers
        .records
        .iter()
        .find(|m| m.id.as_str() == "M-009")
        .unwrap();
    assert_eq!(
        m9.segment_caps,
        BTreeMap::from([("HNW".to_owned(), 24), ("SME".to_owned(), 6)])
    );

    // Customers of managers who have left (M-901 … M-906) are orphans.
    let orphans = Book::new(customers, managers).orphans();
    assert!(!orphans.is_empty());
    assert!(
        orphans
            .iter()
            .all(|o| o.former_manager.as_str().starts_with("M-90")),
        "{orphans:?}"
    );
}

#[test]
fn files_are_read_by_extension_and_named_as_given() {
    let file = TempFile::new("customers.JSONL", b"{\"id\": \"C-1\", \"assets\": 5}\n");
    let customers = load::read_customers(&file.0, &LoadOptions::default()).unwrap();
    assert_eq!(customers.records[0].attributes, [Value::Int(5)]);

    let file = TempFile::new("broken.csv", b"id,a\nC-1\n");
    let error = load::read_customers(&file.0, &LoadOptions::default()).unwrap_err();
    assert_eq!(at(&error).source, file.0.display().to_string());

    let file = TempFile::new("managers.json", br#"[{"id": "M-1", "capacity": 3}]"#);
    assert_eq!(
        load::read_managers(&file.0, &LoadOptions::default())
            .unwrap()
            .records[0]
            .capacity,
        3
    );

    let error =
        load::read_customers(Path::new("no/such/file.csv"), &LoadOptions::default()).unwrap_err();
    assert!(
        matches!(&error, InputError::Io { source_name, .. } if source_name == "no/such/file.csv")
    );
    let error =
        load::read_customers(Path::new("customers.xlsx"), &LoadOptions::default()).unwrap_err();
    assert_eq!(error.code(), "unknown_format");
}

#[test]
fn lists_hold_shared_strings() {
    let customers = csv("id,products\nC-1, a ; ;b;\n");
    let Some(Value::List(items)) = customers.value(0, "products") else {
        panic!("not a list")
    };
    assert_eq!(items.as_ref(), [Arc::from("a"), Arc::from("b")]);
}

/// Writes `rows` customers with 15 attribute columns as CSV.
fn big_csv(rows: usize) -> String {
    let mut text = String::from("id,manager,a1,a2,a3,f1,f2,b1,d1,d2,s1,s2,s3,l1,l2,n1,n2\n");
    for i in 0..rows {
        text.push_str(&format!(
            "C-{i},M-{m},{i},{},-{},{}.25,1e3,{},2024-0{}-1{},2023-12-31,HNW,name {i},x,a;b,c,{},\n",
            i * 7,
            i % 100,
            i % 1000,
            i % 2 == 0,
            1 + i % 9,
            i % 10,
            i % 5,
            m = i % 500,
        ));
    }
    text
}

#[test]
fn many_rows_load_and_every_row_becomes_a_record() {
    let text = big_csv(20_000);
    let customers = csv(&text);
    assert_eq!(customers.records.len(), 20_000);
    assert_eq!(customers.schema.len(), 15);
    assert_eq!(customers.value(19_999, "a1"), Some(&Value::Int(19_999)));
}

fn cell() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-z0-9 ;,\"\\n\\r.+-]{0,6}|nan|inf|true|2024-02-29|[0-9]{1,25}")
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for format in [Format::Csv, Format::Json, Format::JsonLines] {
            let _ = load::parse_customers(&bytes, format, "in", &LoadOptions::default());
            let _ = load::parse_managers(&bytes, format, "in", &LoadOptions::default());
        }
    }

    #[test]
    fn csv_like_text_never_panics(cells in prop::collection::vec(cell(), 0..30)) {
        let text = format!("id,capacity,target,segment_caps,a\n{}", cells.join(","));
        let _ = load::parse_customers(text.as_bytes(), Format::Csv, "in", &LoadOptions::default());
        let _ = load::parse_managers(text.as_bytes(), Format::Csv, "in", &LoadOptions::default());
        let json = format!("[{}]", cells.iter().map(|c| format!("{{\"id\": {c}}}")).collect::<Vec<_>>().join(","));
        let _ = load::parse_customers(json.as_bytes(), Format::Json, "in", &LoadOptions::default());
    }

    #[test]
    fn every_row_becomes_a_record_or_an_error(values in prop::collection::vec("[a-z0-9 ]{0,5}", 1..40)) {
        let mut text = String::from("id,value\n");
        for (i, value) in values.iter().enumerate() {
            text.push_str(&format!("C-{i},{value}\n"));
        }
        let customers = csv(&text);
        prop_assert_eq!(customers.records.len(), values.len());
    }
}

/// `text` (CSV) as columns of text held in memory, as a DataFrame or a list of dicts hands
/// them over: every cell a string (blank cells missing), no type declared.
fn text_columns(text: &str) -> Vec<load::Column> {
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    names
        .iter()
        .enumerate()
        .map(|(index, name)| load::Column {
            name: (*name).to_owned(),
            value_type: None,
            cells: load::Cells::Data(
                rows.iter()
                    .map(|row| match row[index] {
                        "" => load::Datum::Null,
                        cell => load::Datum::Str(Arc::from(cell)),
                    })
                    .collect(),
            ),
        })
        .collect()
}

#[test]
fn text_held_in_memory_is_typed_exactly_as_the_same_csv() {
    let text = "id,manager,opened,products,assets,rate,vip,note,postcode\n\
                C-1,M-1,2024-01-31,credit_card;savings,100,1.5,true,hello,01234\n\
                C-2,,2023-12-01,savings,,2,false,,99999\n\
                C-3,M-2,,mortgage,-7,,TRUE,a note,\n";
    let from_file = csv(text);
    let options = LoadOptions::default();
    let in_memory = load::customers_from_columns("rows", text_columns(text), &options).unwrap();
    assert_eq!(
        types(&in_memory),
        [
            ("opened", ValueType::Date),
            ("products", ValueType::List),
            ("assets", ValueType::Int),
            ("rate", ValueType::Float),
            ("vip", ValueType::Bool),
            ("note", ValueType::Str),
            ("postcode", ValueType::Int),
        ]
    );
    assert_eq!(in_memory, from_file);
    assert_eq!(
        column(&in_memory, "products")[0],
        list(&["credit_card", "savings"])
    );
    // An override wins here as in a file.
    let postcode_text = with_types(&[("postcode", ValueType::Str)]);
    let in_memory = load::customers_from_columns("rows", text_columns(text), &postcode_text);
    assert_eq!(column(&in_memory.unwrap(), "postcode")[0], s("01234"));
}

#[test]
fn a_column_mixing_text_with_other_values_keeps_the_json_rule() {
    let columns = vec![
        load::Column {
            name: "id".to_owned(),
            value_type: None,
            cells: load::Cells::Data(vec![
                load::Datum::Str(Arc::from("C-1")),
                load::Datum::Str(Arc::from("C-2")),
            ]),
        },
        load::Column {
            name: "score".to_owned(),
            value_type: None,
            cells: load::Cells::Data(vec![load::Datum::Int(3), load::Datum::Str(Arc::from("4"))]),
        },
    ];
    let error = load::customers_from_columns("rows", columns, &LoadOptions::default());
    assert_eq!(error.unwrap_err().code(), "invalid_value");
}

#[test]
fn a_type_for_a_column_no_input_has_is_an_error_that_suggests_the_nearest() {
    let book = Book::new(
        csv("id,manager,products,assets\nC-1,M-1,a;b,3\n"),
        managers(Format::Csv, "id,capacity,region\nM-1,3,north\n").unwrap(),
    );
    let typo = with_types(&[("produts", ValueType::List)]);
    let error = book.check_types(&typo).unwrap_err();
    assert_eq!(error.code(), "unknown_type_column");
    assert_eq!(
        error.to_string(),
        "a type is given for column `produts`, but the customers and the managers have no such \
         column (did you mean `products`?)"
    );
    let far = with_types(&[("zzz", ValueType::Int)]);
    let error = far
        .check_types(&[("customers", &book.customers.schema)])
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "a type is given for column `zzz`, but the customers have no such column"
    );
    // Columns of either input, and structural ones, are known.
    let known = with_types(&[
        ("assets", ValueType::Float),
        ("region", ValueType::Str),
        ("id", ValueType::Str),
        ("capacity", ValueType::Int),
    ]);
    assert_eq!(book.check_types(&known), Ok(()));
}

#[test]
fn a_date_parse_and_a_file_read_convert_with_question_mark() {
    fn date_of(text: &str) -> apportion::Result<apportion::Date> {
        Ok(text.parse()?)
    }
    fn read(path: &Path) -> apportion::Result<String> {
        Ok(std::fs::read_to_string(path)?)
    }
    assert_eq!(date_of("2026-02-30").unwrap_err().code(), "invalid_date");
    assert_eq!(date_of("2026-02-28").unwrap(), date("2026-02-28"));
    let missing = read(Path::new("/nonexistent/customers.csv")).unwrap_err();
    assert_eq!(missing.code(), "io_error");
    // The readers that know the path name it.
    let error = Book::read(
        "/nonexistent/c.csv",
        "/nonexistent/m.csv",
        &LoadOptions::default(),
    );
    assert!(
        error
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/c.csv")
    );
}

#[test]
fn no_columns_at_all_is_no_records_but_columns_without_rows_must_fit() {
    let none = load::customers_from_columns("rows", Vec::new(), &LoadOptions::default());
    assert_eq!(none.unwrap().records.len(), 0);
    let no_id = vec![load::Column {
        name: "assets".to_owned(),
        value_type: None,
        cells: load::Cells::Data(Vec::new()),
    }];
    let error = load::customers_from_columns("rows", no_id, &LoadOptions::default());
    assert_eq!(error.unwrap_err().code(), "missing_column");
}
