//! `examples/rules/bank.rhai`, field for field, as plain Rust over the loaded customers.
//! A test keeps the two in agreement, so the bench compares the same work.

use std::sync::Arc;

use apportion::{Customer, Customers, Date, ProfiledCustomer, Value};
use rayon::prelude::*;

/// Column positions of the attributes the bank rules read.
struct Columns {
    assets: usize,
    kind: usize,
    last_txn_date: usize,
    onboarded: usize,
    transactions_90d: usize,
    has_mortgage_enquiry: usize,
    age: usize,
    income: usize,
    risk_preference: usize,
    products: usize,
    credit_score: usize,
}

/// The derived fields, in the rulebook's declaration order.
pub const FIELDS: [&str; 7] = [
    "tier",
    "segment",
    "lifecycle",
    "tags",
    "lead_score",
    "priority",
    "main_need",
];

/// Profiles every customer like the bank rulebook does; `None` if a column is missing.
pub fn profile(customers: &Customers, as_of: Date) -> Option<Vec<ProfiledCustomer>> {
    let at = |name: &str| customers.schema.position(name);
    let columns = Columns {
        assets: at("assets")?,
        kind: at("kind")?,
        last_txn_date: at("last_txn_date")?,
        onboarded: at("onboarded")?,
        transactions_90d: at("transactions_90d")?,
        has_mortgage_enquiry: at("has_mortgage_enquiry")?,
        age: at("age")?,
        income: at("income")?,
        risk_preference: at("risk_preference")?,
        products: at("products")?,
        credit_score: at("credit_score")?,
    };
    Some(
        customers
            .records
            .par_iter()
            .map(|customer| ProfiledCustomer {
                id: customer.id.clone(),
                values: derive(customer, &columns, as_of),
            })
            .collect(),
    )
}

fn int(customer: &Customer, column: usize) -> i64 {
    match customer.attributes[column] {
        Value::Int(v) => v,
        _ => 0,
    }
}

fn text(customer: &Customer, column: usize) -> &str {
    match &customer.attributes[column] {
        Value::Str(v) => v,
        _ => "",
    }
}

fn days_since(customer: &Customer, column: usize, as_of: Date) -> i64 {
    match customer.attributes[column] {
        Value::Date(d) => as_of.days_since(d),
        _ => 0,
    }
}

fn holds(customer: &Customer, columns: &Columns, product: &str) -> bool {
    match &customer.attributes[columns.products] {
        Value::List(items) => items.iter().any(|p| &**p == product),
        _ => false,
    }
}

fn derive(customer: &Customer, columns: &Columns, as_of: Date) -> Vec<Value> {
    let assets = int(customer, columns.assets);
    let tier = if assets >= 1_000_000 {
        "HNW"
    } else if assets >= 100_000 {
        "AFFLUENT"
    } else {
        "MASS"
    };
    let is_sme = text(customer, columns.kind) == "sme";
    let segment = if is_sme { "SME" } else { tier };
    let idle = days_since(customer, columns.last_txn_date, as_of);
    let lifecycle = if days_since(customer, columns.onboarded, as_of) <= 90 {
        "new"
    } else if idle > 365 {
        "dormant"
    } else if idle > 90 {
        "churn_risk"
    } else {
        "active"
    };
    let transactions = int(customer, columns.transactions_90d);
    let age = int(customer, columns.age);
    let risk = text(customer, columns.risk_preference);
    let mut tags: Vec<&str> = Vec::new();
    if transactions >= 60 {
        tags.push("high_frequency");
    }
    let enquiry = matches!(
        customer.attributes[columns.has_mortgage_enquiry],
        Value::Bool(true)
    );
    let needs_mortgage = !holds(customer, columns, "mortgage")
        && (enquiry || ((25..=45).contains(&age) && int(customer, columns.income) >= 60_000));
    if needs_mortgage {
        tags.push("mortgage_need");
    }
    if tier != "MASS"
        && (risk == "growth" || risk == "aggressive")
        && !holds(customer, columns, "investment_fund")
    {
        tags.push("investment_ready");
    }
    if age >= 55 && !holds(customer, columns, "pension") {
        tags.push("retirement_planning");
    }
    if is_sme && !holds(customer, columns, "business_loan") && transactions >= 30 {
        tags.push("credit_line_prospect");
    }
    let mut score = match assets {
        a if a >= 1_000_000 => 40,
        a if a >= 250_000 => 30,
        a if a >= 100_000 => 20,
        a if a >= 25_000 => 10,
        _ => 0,
    };
    score += (transactions / 4).min(25);
    score += (tags.len() as i64 * 8).min(24);
    let credit = int(customer, columns.credit_score);
    if credit > 600 {
        score += ((credit - 600) / 20).min(11);
    }
    score -= match lifecycle {
        "dormant" => 20,
        "churn_risk" => 10,
        _ => 0,
    };
    let score = score.clamp(0, 100);
    let priority = if score >= 60 { "high" } else { "normal" };
    let main_need = if tags.contains(&"mortgage_need") {
        "mortgage"
    } else if tags.contains(&"investment_ready") {
        "investment"
    } else if tags.contains(&"credit_line_prospect") {
        "credit"
    } else {
        "none"
    };
    vec![
        Value::Str(Arc::from(tier)),
        Value::Str(Arc::from(segment)),
        Value::Str(Arc::from(lifecycle)),
        Value::List(tags.into_iter().map(Arc::from).collect()),
        Value::Int(score),
        Value::Str(Arc::from(priority)),
        Value::Str(Arc::from(main_need)),
    ]
}
