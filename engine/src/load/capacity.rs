//! A manager's capacity, target load and per-segment caps: whole numbers that fit `u32`, from
//! CSV text or JSON. Errors say what is wrong without repeating the value.

use std::collections::BTreeMap;

use super::infer::is_int_shaped;
use super::json::Json;
use super::table::Cell;

/// The capacity; `Ok(None)` when blank (the caller decides whether that is allowed).
pub(crate) fn count(cell: Cell<'_>, what: &str) -> Result<Option<u32>, String> {
    match cell {
        Cell::Text(text) => count_from_text(text, what),
        Cell::Json(json) => count_from_json(json, what),
    }
}

/// A target load: a positive whole number, or `None` when blank.
pub(crate) fn target(cell: Cell<'_>) -> Result<Option<u32>, String> {
    match count(cell, "target")? {
        Some(0) => Err("target must be at least 1".to_owned()),
        target => Ok(target),
    }
}

/// Per-segment caps: `HNW=30;SME=20` (with the list separator), or a JSON object of numbers.
pub(crate) fn segment_caps(
    cell: Cell<'_>,
    separator: char,
) -> Result<BTreeMap<String, u32>, String> {
    let mut caps = BTreeMap::new();
    let text: &str = match cell {
        Cell::Text(text) => text,
        Cell::Json(Json::Str(text)) => text,
        Cell::Json(Json::Null) => "",
        Cell::Json(Json::Object(entries)) => {
            for (segment, cap) in entries {
                add_cap(
                    &mut caps,
                    segment,
                    count_from_json(cap, "a segment cap")?,
                    separator,
                )?;
            }
            return Ok(caps);
        }
        Cell::Json(_) => {
            return Err(format!(
                "segment caps must be an object of whole numbers or text like `SEGMENT=N`, separated by `{separator}`"
            ));
        }
    };
    for item in text
        .split(separator)
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let (segment, cap) = item.split_once('=').unwrap_or(("", ""));
        add_cap(
            &mut caps,
            segment,
            count_from_text(cap, "a segment cap")?,
            separator,
        )?;
    }
    Ok(caps)
}

fn add_cap(
    caps: &mut BTreeMap<String, u32>,
    segment: &str,
    cap: Option<u32>,
    separator: char,
) -> Result<(), String> {
    let segment = segment.trim();
    let Some(cap) = cap.filter(|_| !segment.is_empty()) else {
        return Err(format!(
            "segment caps must look like `SEGMENT=N`, separated by `{separator}`"
        ));
    };
    match caps.insert(segment.to_owned(), cap) {
        Some(_) => Err("segment caps name a segment twice".to_owned()),
        None => Ok(()),
    }
}

fn count_from_text(text: &str, what: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(count) = text.parse::<u32>() {
        return Ok(Some(count));
    }
    let negative = text.starts_with('-');
    let reason = if is_int_shaped(text) {
        match text.trim_start_matches(['+', '-']).trim_start_matches('0') {
            "" => return Ok(Some(0)),
            _ if negative => "must not be negative",
            _ => "must be at most 4294967295",
        }
    } else {
        match text.parse::<f64>() {
            Ok(v) if !v.is_finite() => "must be a finite whole number",
            Ok(v) if v < 0.0 => "must not be negative",
            _ => "must be a whole number",
        }
    };
    Err(format!("{what} {reason}"))
}

fn count_from_json(json: &Json, what: &str) -> Result<Option<u32>, String> {
    let reason = match json {
        Json::Null => return Ok(None),
        Json::Str(text) => return count_from_text(text, what),
        Json::Int(v) => match u32::try_from(*v) {
            Ok(count) => return Ok(Some(count)),
            Err(_) if *v < 0 => "must not be negative",
            Err(_) => "must be at most 4294967295",
        },
        Json::BigInt(_) => "must be at most 4294967295",
        Json::Float(v) if !v.is_finite() => "must be a finite whole number",
        // DataFrames hold whole numbers as floats once a column has a missing value.
        Json::Float(v) if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(v) => {
            return Ok(Some(*v as u32));
        }
        Json::Float(v) if *v > f64::from(u32::MAX) => "must be at most 4294967295",
        Json::Float(v) if *v < 0.0 => "must not be negative",
        Json::Float(_) | Json::Bool(_) | Json::Array(_) | Json::Object(_) => {
            "must be a whole number"
        }
    };
    Err(format!("{what} {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(cell: &str) -> Result<Option<u32>, String> {
        count(Cell::Text(cell), "capacity")
    }

    fn json(cell: Json) -> Result<Option<u32>, String> {
        count(Cell::Json(&cell), "capacity")
    }

    fn caps(pairs: &[(&str, u32)]) -> BTreeMap<String, u32> {
        pairs.iter().map(|(s, c)| ((*s).to_owned(), *c)).collect()
    }

    #[test]
    fn counts_are_whole_numbers_that_fit_u32() {
        assert_eq!(text(" 30 "), Ok(Some(30)));
        assert_eq!(text("0"), Ok(Some(0)));
        assert_eq!(text("-0"), Ok(Some(0)));
        assert_eq!(text("4294967295"), Ok(Some(u32::MAX)));
        assert_eq!(text(""), Ok(None));
        assert_eq!(json(Json::Int(12)), Ok(Some(12)));
        assert_eq!(json(Json::Str("12".into())), Ok(Some(12)));
        assert_eq!(json(Json::Null), Ok(None));
    }

    #[test]
    fn bad_counts_say_why_without_the_value() {
        assert_eq!(text("-3").unwrap_err(), "capacity must not be negative");
        assert_eq!(
            text("4294967296").unwrap_err(),
            "capacity must be at most 4294967295"
        );
        assert_eq!(
            text("99999999999999999999999").unwrap_err(),
            "capacity must be at most 4294967295"
        );
        assert_eq!(text("2.5").unwrap_err(), "capacity must be a whole number");
        assert_eq!(
            text("NaN").unwrap_err(),
            "capacity must be a finite whole number"
        );
        assert_eq!(text("many").unwrap_err(), "capacity must be a whole number");
        assert_eq!(
            json(Json::Int(-1)).unwrap_err(),
            "capacity must not be negative"
        );
        assert_eq!(
            json(Json::Int(1 << 40)).unwrap_err(),
            "capacity must be at most 4294967295"
        );
        assert_eq!(
            json(Json::BigInt("18446744073709551615".into())).unwrap_err(),
            "capacity must be at most 4294967295"
        );
        assert_eq!(
            json(Json::Float(2.5)).unwrap_err(),
            "capacity must be a whole number"
        );
        assert_eq!(json(Json::Float(48.0)), Ok(Some(48)));
        assert_eq!(
            json(Json::Float(-3.0)).unwrap_err(),
            "capacity must not be negative"
        );
        assert_eq!(
            json(Json::Float(1e10)).unwrap_err(),
            "capacity must be at most 4294967295"
        );
        assert_eq!(
            json(Json::Bool(true)).unwrap_err(),
            "capacity must be a whole number"
        );
    }

    #[test]
    fn a_target_must_be_positive() {
        assert_eq!(target(Cell::Text("5")), Ok(Some(5)));
        assert_eq!(target(Cell::Text(" ")), Ok(None));
        assert!(target(Cell::Text("0")).is_err());
        assert!(target(Cell::Json(&Json::Int(0))).is_err());
    }

    #[test]
    fn segment_caps_come_from_text_or_objects() {
        assert_eq!(
            segment_caps(Cell::Text(" HNW = 30 ; SME=20;"), ';'),
            Ok(caps(&[("HNW", 30), ("SME", 20)]))
        );
        assert_eq!(segment_caps(Cell::Text(""), ';'), Ok(caps(&[])));
        assert_eq!(
            segment_caps(Cell::Text("HNW=3|SME=0"), '|'),
            Ok(caps(&[("HNW", 3), ("SME", 0)]))
        );
        let object = Json::Object(Box::new([("HNW".into(), Json::Int(30))]));
        assert_eq!(
            segment_caps(Cell::Json(&object), ';'),
            Ok(caps(&[("HNW", 30)]))
        );
        assert_eq!(
            segment_caps(Cell::Json(&Json::Str("HNW=1".into())), ';'),
            Ok(caps(&[("HNW", 1)]))
        );
        assert_eq!(segment_caps(Cell::Json(&Json::Null), ';'), Ok(caps(&[])));
    }

    #[test]
    fn malformed_segment_caps_are_errors() {
        for bad in [
            "HNW",
            "HNW=",
            "=3",
            "HNW=-1",
            "HNW=1.5",
            "HNW=1;HNW=2",
            "HNW=x",
        ] {
            assert!(segment_caps(Cell::Text(bad), ';').is_err(), "{bad}");
        }
        let twice = Json::Object(Box::new([
            ("A".into(), Json::Int(1)),
            ("A".into(), Json::Int(2)),
        ]));
        assert!(segment_caps(Cell::Json(&twice), ';').is_err());
        let null_cap = Json::Object(Box::new([("A".into(), Json::Null)]));
        assert!(segment_caps(Cell::Json(&null_cap), ';').is_err());
        assert!(segment_caps(Cell::Json(&Json::Int(3)), ';').is_err());
        assert!(segment_caps(Cell::Json(&Json::Array(Box::new([]))), ';').is_err());
        let message = segment_caps(Cell::Text("SECRET=1;SECRET=2"), ';').unwrap_err();
        assert!(!message.contains("SECRET"), "{message}");
    }
}
