//! Ticket routing: the rule names a queue by ticket type and customer; queues fill up; every
//! ticket is routed or reported with its reason.

use apportion::{Queue, Rulebook, Ticket, Tickets, Unroutable, ValueType, route_tickets};

use crate::support::{customers, date, s};

const RULES: &str = r#"
fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
fn route_ticket(t) {
    if t.kind == "complaint" && t.customer != () && t.customer.tier == "HNW" { return "private_desk"; }
    if t.kind == "complaint" { return "complaints"; }
    if t.kind == "card" { return "cards"; }
    if t.kind == "broken" { return 1 / 0; }
    if t.kind == "lost" { return "lost_and_found"; }
    ()
}
"#;

fn tickets(rows: &[(&str, &str, &str)]) -> Tickets {
    Tickets {
        schema: apportion::Schema::new(vec![
            apportion::Field {
                name: "kind".to_owned(),
                value_type: ValueType::Str,
            },
            apportion::Field {
                name: "customer".to_owned(),
                value_type: ValueType::Str,
            },
        ])
        .unwrap(),
        records: rows
            .iter()
            .map(|(id, kind, customer)| Ticket {
                id: (*id).to_owned(),
                attributes: vec![s(kind), s(customer)],
            })
            .collect(),
    }
}

fn queues() -> Vec<Queue> {
    [("private_desk", 5), ("complaints", 5), ("cards", 1)]
        .iter()
        .map(|(name, capacity)| Queue {
            name: (*name).to_owned(),
            capacity: *capacity,
        })
        .collect()
}

fn book() -> apportion::Customers {
    customers(
        &[("assets", ValueType::Int)],
        &[
            ("C-1", None, vec![apportion::Value::Int(5_000_000)]),
            ("C-2", None, vec![apportion::Value::Int(1_000)]),
        ],
    )
}

#[test]
fn tickets_go_to_the_queue_their_type_and_customer_call_for() {
    let rules = Rulebook::compile(RULES).unwrap();
    // The ticket rule is not a derived field of customers.
    assert_eq!(rules.fields().len(), 1);
    let tickets = tickets(&[
        ("T-1", "complaint", "C-1"),
        ("T-2", "complaint", "C-2"),
        ("T-3", "complaint", "C-9"),
        ("T-4", "card", "C-2"),
        ("T-5", "card", "C-1"),
        ("T-6", "question", "C-1"),
        ("T-7", "broken", "C-1"),
        ("T-8", "lost", "C-2"),
    ]);
    let plan = route_tickets(&rules, &book(), &tickets, &queues(), date("2026-06-30")).unwrap();
    let routed: Vec<(&str, &str)> = plan
        .routed
        .iter()
        .map(|(t, q)| (t.as_str(), q.as_str()))
        .collect();
    assert_eq!(
        routed,
        [
            ("T-1", "private_desk"),
            ("T-2", "complaints"),
            ("T-3", "complaints"),
            ("T-4", "cards"),
        ]
    );
    let reasons: Vec<(&str, &str)> = plan
        .unroutable
        .iter()
        .map(|(t, why)| (t.as_str(), why.code()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("T-5", "queue_full"),
            ("T-6", "no_queue"),
            ("T-7", "rule_error"),
            ("T-8", "unknown_queue"),
        ]
    );
    match &plan.unroutable[2].1 {
        Unroutable::RuleError { message, .. } => {
            assert!(message.contains("ticket T-7"), "{message}");
            assert!(message.contains("line 7"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        plan.loads,
        [
            ("private_desk".to_owned(), 1, 5),
            ("complaints".to_owned(), 2, 5),
            ("cards".to_owned(), 1, 1),
        ]
    );
}

#[test]
fn a_ticket_rule_reading_a_missing_field_or_no_rule_at_all_is_an_error() {
    let reads_missing = Rulebook::compile("fn route_ticket(t) { t.channel }").unwrap();
    let tickets = tickets(&[("T-1", "card", "C-1")]);
    let error = route_tickets(
        &reads_missing,
        &book(),
        &tickets,
        &queues(),
        date("2026-06-30"),
    )
    .unwrap_err();
    assert_eq!(error.code(), "unknown_field");
    assert!(error.to_string().contains("channel"), "{error}");

    let none = Rulebook::compile("fn tier(c) { 1 }").unwrap();
    let error = route_tickets(&none, &book(), &tickets, &queues(), date("2026-06-30")).unwrap_err();
    assert_eq!(error.code(), "invalid_rule_signature");

    let two = Rulebook::compile("fn route_ticket(t, c) { () }").unwrap_err();
    assert_eq!(two.code(), "invalid_rule_signature");

    let mut repeated = queues();
    repeated.push(repeated[0].clone());
    let rules = Rulebook::compile(RULES).unwrap();
    let error =
        route_tickets(&rules, &book(), &tickets, &repeated, date("2026-06-30")).unwrap_err();
    assert_eq!(error.code(), "duplicate_queue");
    let twice = self::tickets(&[("T-1", "card", "C-1"), ("T-1", "card", "C-2")]);
    let error = route_tickets(&rules, &book(), &twice, &queues(), date("2026-06-30")).unwrap_err();
    assert_eq!(error.code(), "duplicate_ticket_id");
}

#[test]
fn tickets_read_from_a_file_route_in_input_order_with_customer_ids_as_text() {
    let csv = "id,kind,customer,opened\n\
               T-1,card,007,2026-06-01\n\
               T-2,question,C-1,2026-06-02\n\
               T-3,complaint,C-1,\n";
    let options = apportion::load::LoadOptions::default();
    let tickets =
        apportion::load::parse_tickets(csv.as_bytes(), apportion::load::Format::Csv, "t", &options)
            .unwrap();
    let types: Vec<(&str, ValueType)> = tickets
        .schema
        .fields()
        .iter()
        .map(|f| (f.name.as_str(), f.value_type))
        .collect();
    // `007` would be the integer 7 in any other column.
    assert_eq!(
        types,
        [
            ("kind", ValueType::Str),
            ("customer", ValueType::Str),
            ("opened", ValueType::Date)
        ]
    );
    assert_eq!(tickets.records[0].attributes[1], s("007"));
    let rules = Rulebook::compile(RULES).unwrap();
    let plan = route_tickets(&rules, &book(), &tickets, &queues(), date("2026-06-30")).unwrap();
    let outcomes: Vec<(&str, Result<&str, &str>)> = plan
        .outcomes(&tickets)
        .into_iter()
        .map(|(ticket, outcome)| (ticket, outcome.map_err(Unroutable::code)))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("T-1", Ok("cards")),
            ("T-2", Err("no_queue")),
            ("T-3", Ok("private_desk"))
        ]
    );
    // A repeated ticket id is a ticket error, not a customer's.
    let twice = "id,kind\nT-1,card\nT-1,card\n";
    let error = apportion::load::parse_tickets(
        twice.as_bytes(),
        apportion::load::Format::Csv,
        "t",
        &options,
    )
    .unwrap_err();
    assert_eq!(error.code(), "duplicate_ticket_id");
}
