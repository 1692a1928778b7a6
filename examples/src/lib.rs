//! The example bank: a deterministic, seeded generator of a realistic book of customers and
//! relationship managers, written as the CSV files apportion loads.
//!
//! ```no_run
//! use apportion_examples::{BankConfig, generate, write_csv};
//!
//! let bank = generate(&BankConfig::default());
//! write_csv(&bank, std::path::Path::new("examples/data"))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The same configuration always gives byte-for-byte the same files, on every platform: the
//! random numbers come from a generator written here ([`rng`]), not from a crate whose output
//! could change between versions.
//!
//! [`lender`] is a second example, a lending firm's borrowers and account managers, for the
//! rulebook `examples/rules/lender.rhai`.

pub mod bank;
pub mod cli;
pub mod day;
pub mod lender;
pub mod live;
pub mod model;
pub mod org;
pub mod rng;
pub mod scenarios;

use std::io;
use std::path::Path;

use apportion::load::{self, Format, LoadOptions};
use apportion::{Book, Date};

pub use bank::{
    AFFLUENT_ASSETS, Certification, CustomerKind, CustomerRow, FormerManager, HNW_ASSETS,
    LANGUAGES, ManagerRow, Product, REGIONS, Region, RiskPreference,
};
pub use model::{SCORE_COLUMNS, ScoreRow};
pub use org::{GROUP_COLUMNS, GroupRow};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankConfig {
    /// How many customers.
    pub customers: usize,
    /// How many (current) managers.
    pub managers: usize,
    /// The seed: the same seed gives the same bank.
    pub seed: u64,
    /// The day the data describes: dates and "days since" count back from it.
    pub as_of: Date,
}

/// The `as_of` of the default configuration and the shipped data set.
pub const DEFAULT_AS_OF: (i32, u32, u32) = (2026, 6, 30);

/// Customers per manager when only the number of customers is chosen (3,000 : 50).
pub const CUSTOMERS_PER_MANAGER: usize = 60;

impl Default for BankConfig {
    /// 3,000 customers, 50 managers, seed 7, as of 2026-06-30: the shipped data set.
    fn default() -> BankConfig {
        BankConfig {
            customers: 3_000,
            managers: 50,
            seed: 7,
            as_of: default_as_of(),
        }
    }
}

/// 2026-06-30, the `as_of` of the default configuration and the shipped data set.
#[allow(clippy::expect_used, reason = "a fixed, valid calendar date")]
pub fn default_as_of() -> Date {
    let (year, month, day) = DEFAULT_AS_OF;
    Date::from_ymd(year, month, day).expect("2026-06-30 is a valid date")
}

impl BankConfig {
    /// The default configuration with `customers` customers and managers in proportion (one per
    /// [`CUSTOMERS_PER_MANAGER`] customers, at least 12 so every region has two).
    pub fn sized(customers: usize) -> BankConfig {
        BankConfig {
            customers,
            managers: customers.div_ceil(CUSTOMERS_PER_MANAGER).max(12),
            ..BankConfig::default()
        }
    }
}

impl cli::Generator for BankConfig {
    fn sized(customers: usize) -> BankConfig {
        BankConfig::sized(customers)
    }

    fn settings(&mut self) -> (&mut usize, &mut usize, &mut u64, &mut Date) {
        (
            &mut self.customers,
            &mut self.managers,
            &mut self.seed,
            &mut self.as_of,
        )
    }

    fn write(&self, dir: &Path) -> io::Result<()> {
        write_csv(&generate(self), dir)
    }
}

/// A generated bank: rows ready to be written as `customers.csv` and `managers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedBank {
    /// The configuration it was generated from.
    pub config: BankConfig,
    /// The customers, in id order.
    pub customers: Vec<CustomerRow>,
    /// The current managers, in id order.
    pub managers: Vec<ManagerRow>,
    /// Managers who have left but are still some customers' current manager: their ids appear
    /// in the customers' `manager` column and nowhere in `managers`.
    pub former_managers: Vec<FormerManager>,
    /// The groups the managers are in: business lines, regional desks and teams.
    pub groups: Vec<GroupRow>,
    /// The fit model's scores for affluent customers' pairs (see [`model`]).
    pub scores: Vec<ScoreRow>,
}

/// Generates a bank. Deterministic: the same configuration gives the same bank.
///
/// Every region gets at least one `private_banking` and one `sme_credit` manager as long as
/// there are at least as many managers as regions (six).
pub fn generate(config: &BankConfig) -> GeneratedBank {
    let mut parts =
        bank::generate_parts(config.customers, config.managers, config.seed, config.as_of);
    let mut groups = bank::organise(&mut parts.managers);
    let mut hnw = std::collections::BTreeMap::new();
    for customer in &parts.customers {
        if customer.kind != CustomerKind::Sme && customer.assets >= HNW_ASSETS {
            *hnw.entry(customer.region).or_insert(0u32) += 1;
        }
    }
    org::require_hnw(&mut groups, &hnw);
    let scores = model::scores(&parts.customers, &parts.managers, config.seed);
    GeneratedBank {
        config: config.clone(),
        customers: parts.customers,
        managers: parts.managers,
        former_managers: parts.former_managers,
        groups,
        scores,
    }
}

/// The columns of `customers.csv`, in order.
pub const CUSTOMER_COLUMNS: [&str; 17] = [
    "id",
    "manager",
    "kind",
    "region",
    "branch",
    "assets",
    "income",
    "age",
    "risk_preference",
    "products",
    "transactions_90d",
    "days_since_last_txn",
    "last_txn_date",
    "onboarded",
    "language",
    "has_mortgage_enquiry",
    "credit_score",
];

/// The columns of `managers.csv`, in order.
pub const MANAGER_COLUMNS: [&str; 11] = [
    "id",
    "name",
    "region",
    "branch",
    "languages",
    "certifications",
    "seniority_years",
    "capacity",
    "target",
    "segment_caps",
    "group",
];

/// A list cell: the items' texts joined by `;`, as apportion reads lists.
pub(crate) fn join<T, F: Fn(&T) -> String>(items: &[T], text: F) -> String {
    items.iter().map(text).collect::<Vec<_>>().join(";")
}

impl CustomerRow {
    /// The row's CSV cells, in [`CUSTOMER_COLUMNS`] order.
    pub fn record(&self) -> [String; 17] {
        [
            self.id.clone(),
            self.manager.clone().unwrap_or_default(),
            self.kind.as_str().to_owned(),
            self.region.to_owned(),
            self.branch.clone(),
            self.assets.to_string(),
            self.income.to_string(),
            self.age.to_string(),
            self.risk_preference.as_str().to_owned(),
            join(&self.products, |p| p.as_str().to_owned()),
            self.transactions_90d.to_string(),
            self.days_since_last_txn.to_string(),
            self.last_txn_date.to_string(),
            self.onboarded.to_string(),
            self.language.to_owned(),
            self.has_mortgage_enquiry.to_string(),
            self.credit_score.to_string(),
        ]
    }
}

impl ManagerRow {
    /// The row's CSV cells, in [`MANAGER_COLUMNS`] order.
    pub fn record(&self) -> [String; 11] {
        [
            self.id.clone(),
            self.name.clone(),
            self.region.to_owned(),
            self.branch.clone(),
            join(&self.languages, |l| (*l).to_owned()),
            join(&self.certifications, |c| c.as_str().to_owned()),
            self.seniority_years.to_string(),
            self.capacity.to_string(),
            self.target.map(|t| t.to_string()).unwrap_or_default(),
            join(&self.segment_caps, |(segment, cap)| {
                format!("{segment}={cap}")
            }),
            self.group.clone(),
        ]
    }
}

/// Writes the customers as CSV (header first) to `writer`.
pub fn write_customers<W: io::Write>(bank: &GeneratedBank, writer: W) -> io::Result<()> {
    write_rows(
        writer,
        &CUSTOMER_COLUMNS,
        bank.customers.iter().map(CustomerRow::record),
    )
}

/// Writes `header` and then `rows` as CSV to `writer`: what every generated table shares.
pub fn write_rows<W: io::Write, const N: usize>(
    writer: W,
    header: &[&str],
    rows: impl IntoIterator<Item = [String; N]>,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(header)?;
    for row in rows {
        csv.write_record(row)?;
    }
    csv.flush()
}

/// A book parsed from the CSV text of its customers and managers, so the values (types,
/// interning) are exactly those a user loading the files would get.
pub fn book_from_csv(
    customers: &[u8],
    managers: &[u8],
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    let options = LoadOptions::default();
    Ok(Book::new(
        load::parse_customers(customers, Format::Csv, "customers", &options)?,
        load::parse_managers(managers, Format::Csv, "managers", &options)?,
    ))
}

/// Writes the managers as CSV (header first) to `writer`.
pub fn write_managers<W: io::Write>(bank: &GeneratedBank, writer: W) -> io::Result<()> {
    write_rows(
        writer,
        &MANAGER_COLUMNS,
        bank.managers.iter().map(ManagerRow::record),
    )
}

/// `customers.csv` in memory (writing to memory cannot fail in practice).
pub fn customers_csv(bank: &GeneratedBank) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(bank.customers.len() * 160 + 256);
    write_customers(bank, &mut bytes)?;
    Ok(bytes)
}

/// `managers.csv` in memory (writing to memory cannot fail in practice).
pub fn managers_csv(bank: &GeneratedBank) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(bank.managers.len() * 120 + 256);
    write_managers(bank, &mut bytes)?;
    Ok(bytes)
}

/// The bank as apportion loads it: written to CSV in memory and parsed back, so the values
/// (types, interning) are exactly those a user loading the files would get.
pub fn load_book(bank: &GeneratedBank) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    book_from_csv(&customers_csv(bank)?, &managers_csv(bank)?)
}

/// The bank as [`load_book`] loads it, its managers in the groups of `groups.csv`.
pub fn load_organised_book(
    bank: &GeneratedBank,
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    with_groups(load_book(bank)?, &groups_csv(bank)?)
}

/// `book` with its managers in the groups of the CSV `groups`.
pub(crate) fn with_groups(
    book: Book,
    groups: &[u8],
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    let groups = load::parse_groups(groups, Format::Csv, "groups", &LoadOptions::default())?;
    Ok(book.with_groups(groups, "groups")?)
}

/// The bank's `groups.csv` in memory (writing to memory cannot fail in practice).
pub fn groups_csv(bank: &GeneratedBank) -> io::Result<Vec<u8>> {
    group_rows_csv(&bank.groups)
}

/// `groups.csv` of `groups` in memory.
pub(crate) fn group_rows_csv(groups: &[GroupRow]) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(groups.len() * 40 + 64);
    write_rows(
        &mut bytes,
        &GROUP_COLUMNS,
        groups.iter().map(GroupRow::record),
    )?;
    Ok(bytes)
}

/// `model_scores.csv` in memory (writing to memory cannot fail in practice).
pub fn scores_csv(bank: &GeneratedBank) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(bank.scores.len() * 24 + 32);
    write_rows(
        &mut bytes,
        &SCORE_COLUMNS,
        bank.scores.iter().map(ScoreRow::record),
    )?;
    Ok(bytes)
}

/// The bank as [`load_book`] loads it, with the fit model's scores of `model_scores.csv`.
pub fn load_scored_book(
    bank: &GeneratedBank,
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    let scores = load::parse_scores(
        &scores_csv(bank)?,
        Format::Csv,
        "model_scores",
        &LoadOptions::default(),
    )?;
    Ok(load_book(bank)?.with_scores(scores, "model_scores")?)
}

/// Writes `customers.csv`, `managers.csv`, `groups.csv` and `model_scores.csv` into `dir`,
/// creating it if needed.
pub fn write_csv(bank: &GeneratedBank, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("customers.csv"), customers_csv(bank)?)?;
    std::fs::write(dir.join("managers.csv"), managers_csv(bank)?)?;
    std::fs::write(dir.join("groups.csv"), groups_csv(bank)?)?;
    std::fs::write(dir.join("model_scores.csv"), scores_csv(bank)?)?;
    Ok(())
}

#[cfg(test)]
mod tests;
