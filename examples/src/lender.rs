//! The example lender: a consumer and commercial lending firm's book of borrowers and the
//! account managers who look after them, province by province.
//!
//! ```no_run
//! use apportion_examples::lender::{LenderConfig, generate, write_csv};
//!
//! let lender = generate(&LenderConfig::default());
//! write_csv(&lender, std::path::Path::new("target/lender"))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Like the bank's generator it works in three passes with their own random streams (borrowers,
//! one stream each; managers, sized from the borrowers of each province; the current book, one
//! stream per borrower), so a borrower's attributes depend only on the seed, its index and
//! `as_of`. Its rulebook is `examples/rules/lender.rhai`.

use std::collections::HashSet;
use std::io;
use std::path::Path;

use apportion::{Book, Date};

use crate::bank::{
    capacity_band, days_before, digits, former_manager_ids, manager_id_width, manager_name,
    managers_per_area, round_to, shuffle, split_capacity, text_enum,
};
use crate::org::{self, GroupRow, Seat};
use crate::rng::{Rng, exp, ln};
use crate::{default_as_of, join};

/// A province the lender is licensed in: its code, its share of borrowers and their languages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Province {
    /// The two-letter code written in the `province` columns.
    pub code: &'static str,
    /// The province's share of borrowers.
    pub share: f64,
    /// Borrowers' language mix, aligned with [`LANGUAGES`].
    pub languages: [f64; 5],
}

/// The languages borrowers speak and managers may speak.
pub const LANGUAGES: [&str; 5] = ["en", "fr", "zh", "pa", "es"];

/// The seven provinces. Shares add up to 1; Quebec speaks French, British Columbia has the most
/// Chinese and Punjabi speakers.
pub const PROVINCES: [Province; 7] = [
    Province {
        code: "ON",
        share: 0.38,
        languages: [0.80, 0.04, 0.07, 0.05, 0.04],
    },
    Province {
        code: "QC",
        share: 0.22,
        languages: [0.17, 0.79, 0.02, 0.00, 0.02],
    },
    Province {
        code: "BC",
        share: 0.14,
        languages: [0.74, 0.02, 0.13, 0.08, 0.03],
    },
    Province {
        code: "AB",
        share: 0.12,
        languages: [0.85, 0.02, 0.05, 0.05, 0.03],
    },
    Province {
        code: "MB",
        share: 0.04,
        languages: [0.88, 0.04, 0.02, 0.04, 0.02],
    },
    Province {
        code: "SK",
        share: 0.035,
        languages: [0.93, 0.02, 0.02, 0.02, 0.01],
    },
    Province {
        code: "NS",
        share: 0.065,
        languages: [0.94, 0.04, 0.01, 0.00, 0.01],
    },
];

text_enum!(
    /// Whether a borrower is a person or a business.
    BorrowerKind {
        /// A consumer (`consumer`).
        Consumer => "consumer",
        /// A business (`business`).
        Business => "business",
    }
);

text_enum!(
    /// A loan product. Lists are written in this order.
    LoanProduct {
        /// `mortgage`: a residential (or, for a business, commercial) mortgage.
        Mortgage => "mortgage",
        /// `heloc`: a home-equity line of credit.
        Heloc => "heloc",
        /// `auto_loan`.
        AutoLoan => "auto_loan",
        /// `personal_loan`.
        PersonalLoan => "personal_loan",
        /// `line_of_credit`.
        LineOfCredit => "line_of_credit",
        /// `credit_card`.
        CreditCard => "credit_card",
        /// `business_loan` (businesses only).
        BusinessLoan => "business_loan",
        /// `equipment_lease` (businesses only).
        EquipmentLease => "equipment_lease",
    }
);

text_enum!(
    /// Where a loan came from.
    Channel {
        /// `branch`.
        Branch => "branch",
        /// `online`.
        Online => "online",
        /// `broker`: a mortgage or commercial broker.
        Broker => "broker",
        /// `dealer`: a car or equipment dealer.
        Dealer => "dealer",
    }
);

text_enum!(
    /// An account manager's certification or licence.
    LenderCertification {
        /// `mortgage_licence`: may service mortgages (licensed by the province).
        MortgageLicence => "mortgage_licence",
        /// `commercial_credit`: may manage business borrowers.
        CommercialCredit => "commercial_credit",
        /// `collections`: may work out loans 90 days or more past due.
        Collections => "collections",
        /// `auto_finance`: knows dealer and vehicle lending.
        AutoFinance => "auto_finance",
    }
);

/// One borrower, as one row of `borrowers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct BorrowerRow {
    /// `B-000001`, …
    pub id: String,
    /// The current manager's id, `None` if nobody looks after the borrower; may name a manager
    /// who has left ([`GeneratedLender::former_managers`]).
    pub manager: Option<String>,
    /// Consumer or business.
    pub kind: BorrowerKind,
    /// One of the [`PROVINCES`]' codes.
    pub province: &'static str,
    /// Preferred language, one of [`LANGUAGES`].
    pub language: &'static str,
    /// What the borrower owes today over all loans, in whole currency units.
    pub loan_balance: i64,
    /// Bureau credit score, 300–900.
    pub credit_score: i64,
    /// The internal risk grade given at origination, `A` (best) to `E`; not updated since.
    pub risk_grade: &'static str,
    /// Days the oldest unpaid instalment is overdue (0 when up to date).
    pub days_past_due: i64,
    /// Payments missed in the last twelve months.
    pub missed_payments_12m: i64,
    /// Loans held, in [`LoanProduct::ALL`] order; never empty.
    pub products: Vec<LoanProduct>,
    /// How the first loan came in.
    pub channel: Channel,
    /// Annual income (consumers) or revenue (businesses), in whole currency units.
    pub annual_income: i64,
    /// When the first loan was made.
    pub originated: Date,
    /// When the main loan matures or, for a mortgage, comes up for renewal; after `as_of`.
    pub maturity: Date,
}

/// One account manager, as one row of `managers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct LenderManagerRow {
    /// `M-0001`, …
    pub id: String,
    /// Full name.
    pub name: String,
    /// The province the manager is licensed in.
    pub province: &'static str,
    /// Languages spoken, in [`LANGUAGES`] order; never empty.
    pub languages: Vec<&'static str>,
    /// Certifications held, in [`LenderCertification::ALL`] order; may be empty.
    pub certifications: Vec<LenderCertification>,
    /// Years in lending.
    pub seniority_years: i64,
    /// Whether the manager sits on the broker desk (brokers' files go there first).
    pub broker_desk: bool,
    /// The most borrowers the manager may look after.
    pub capacity: u32,
    /// The load to aim for, when below capacity (new joiners).
    pub target: Option<u32>,
    /// Per-segment caps such as `COMMERCIAL=40`.
    pub segment_caps: Vec<(&'static str, u32)>,
    /// The team the manager is in (see [`organise`]).
    pub group: String,
}

impl LenderManagerRow {
    /// The business line the manager works in: commercial lending if certified for it, else
    /// collections if certified for that, else consumer lending.
    fn line(&self) -> &'static str {
        let has = |c| self.certifications.contains(&c);
        if has(LenderCertification::CommercialCredit) {
            "COMMERCIAL"
        } else if has(LenderCertification::Collections) {
            "COLLECTIONS"
        } else {
            "CONSUMER"
        }
    }
}

/// Puts every manager in a team (their `group`) and returns the groups (see [`crate::org`]):
/// three business lines, a desk per line and province, and teams of the desk's managers.
fn organise(managers: &mut [LenderManagerRow]) -> Vec<GroupRow> {
    org::organise_managers(
        managers,
        |m| Seat {
            line: m.line(),
            region: m.province,
            branch: m.province,
            capacity: m.capacity,
            target_load: m.target.unwrap_or(m.capacity),
        },
        |m| &mut m.group,
    )
}

/// A manager who has left but is still some borrowers' current manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerLenderManager {
    /// The id borrowers still point to, `M-901`, …
    pub id: String,
    /// The province the manager worked in; their borrowers are in it.
    pub province: &'static str,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LenderConfig {
    /// How many borrowers.
    pub customers: usize,
    /// How many (current) account managers.
    pub managers: usize,
    /// The seed: the same seed gives the same book.
    pub seed: u64,
    /// The day the data describes.
    pub as_of: Date,
}

impl crate::cli::Generator for LenderConfig {
    fn sized(customers: usize) -> LenderConfig {
        LenderConfig::sized(customers)
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

/// Borrowers per manager when only the number of borrowers is chosen (3,000 : 30).
pub const BORROWERS_PER_MANAGER: usize = 100;

impl Default for LenderConfig {
    /// 3,000 borrowers, 30 managers, seed 7, as of 2026-06-30.
    fn default() -> LenderConfig {
        LenderConfig {
            customers: 3_000,
            managers: 30,
            seed: 7,
            as_of: default_as_of(),
        }
    }
}

impl LenderConfig {
    /// The default configuration with `customers` borrowers and one manager per
    /// [`BORROWERS_PER_MANAGER`] of them, at least 14 so every province has two.
    pub fn sized(customers: usize) -> LenderConfig {
        LenderConfig {
            customers,
            managers: customers.div_ceil(BORROWERS_PER_MANAGER).max(14),
            ..LenderConfig::default()
        }
    }
}

/// A generated lender: rows ready to be written as `borrowers.csv` and `managers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedLender {
    /// The configuration it was generated from.
    pub config: LenderConfig,
    /// The borrowers, in id order.
    pub borrowers: Vec<BorrowerRow>,
    /// The current managers, in id order.
    pub managers: Vec<LenderManagerRow>,
    /// Managers who have left but are still named in the borrowers' `manager` column.
    pub former_managers: Vec<FormerLenderManager>,
    /// The groups the managers are in: business lines, provincial desks and teams.
    pub groups: Vec<GroupRow>,
}

/// A balance 90 days or more past due is in default.
pub const DEFAULT_DAYS: i64 = 90;
/// Managers can serve this many times the borrowers of their province between them.
pub const CAPACITY_RATIO: f64 = 1.12;

const STREAM_BORROWERS: u64 = 11;
const STREAM_MANAGERS: u64 = 12;
const STREAM_BOOK: u64 = 13;

/// Generates a lender. Deterministic: the same configuration gives the same book.
///
/// With at least two managers per province (14), every province has a manager holding each of
/// `mortgage_licence`, `commercial_credit` and `collections`.
pub fn generate(config: &LenderConfig) -> GeneratedLender {
    let LenderConfig {
        customers: count,
        managers: manager_count,
        seed,
        as_of,
    } = *config;
    let earliest = Date::from_ymd(1, 1, 1).map_or(as_of.days_since_epoch(), Date::days_since_epoch);
    let max_back = as_of.days_since_epoch() - earliest;
    let id_width = digits(count).max(6);
    let mut borrowers = Vec::with_capacity(count);
    let mut provinces = Vec::with_capacity(count);
    for index in 0..count {
        let (row, province) = borrower(seed, index, id_width, as_of, max_back);
        borrowers.push(row);
        provinces.push(province);
    }
    let mut per_province = [0usize; PROVINCES.len()];
    for &province in &provinces {
        per_province[province] += 1;
    }
    let (mut managers, slots) = managers(seed, manager_count, &per_province, count);
    let groups = organise(&mut managers);
    let former_managers: Vec<FormerLenderManager> =
        former_manager_ids(manager_count, PROVINCES.len())
            .into_iter()
            .enumerate()
            .map(|(k, id)| FormerLenderManager {
                id,
                province: PROVINCES[k % PROVINCES.len()].code,
            })
            .collect();
    assign_book(
        seed,
        as_of,
        &mut borrowers,
        &provinces,
        &managers,
        &slots,
        &former_managers,
    );
    GeneratedLender {
        config: config.clone(),
        borrowers,
        managers,
        former_managers,
        groups,
    }
}

/// Borrower number `index` (0-based), without a manager, and its province's index.
fn borrower(
    seed: u64,
    index: usize,
    id_width: usize,
    as_of: Date,
    max_back: i64,
) -> (BorrowerRow, usize) {
    let mut rng = Rng::stream(seed, STREAM_BORROWERS, index as u64);
    let shares: Vec<f64> = PROVINCES.iter().map(|p| p.share).collect();
    let province_index = rng.weighted(&shares);
    let province = &PROVINCES[province_index];
    let language = LANGUAGES[rng.weighted(&province.languages)];
    let kind = if rng.chance(0.14) {
        BorrowerKind::Business
    } else {
        BorrowerKind::Consumer
    };
    let business = kind == BorrowerKind::Business;

    let z_income = rng.normal();
    let annual_income = if business {
        round_to(Rng::log_normal_from(ln(650_000.0), 1.1, z_income), 1_000.0)
    } else {
        round_to(Rng::log_normal_from(ln(72_000.0), 0.55, z_income), 100.0)
    };
    let credit_score = (rng.gaussian(705.0, 75.0) + 30.0 * z_income)
        .round()
        .clamp(300.0, 900.0) as i64;

    // The grade was set at origination from the score then, which has drifted since.
    let grade_score = credit_score as f64 + rng.gaussian(0.0, 35.0);
    let risk_grade = match grade_score {
        s if s >= 760.0 => "A",
        s if s >= 700.0 => "B",
        s if s >= 650.0 => "C",
        s if s >= 600.0 => "D",
        _ => "E",
    };

    let products = products(&mut rng, business, credit_score, annual_income);
    let loan_balance = products
        .iter()
        .map(|&product| balance(&mut rng, product, annual_income))
        .sum::<i64>();

    // Arrears: rarer the better the score; of those behind, most catch up within a month.
    let behind = (0.03 + (700 - credit_score).max(0) as f64 / 500.0).min(0.5);
    let days_past_due = if rng.chance(behind) {
        match rng.unit() {
            u if u < 0.60 => rng.range(1, 29),
            u if u < 0.85 => rng.range(30, 89),
            _ => rng.range(DEFAULT_DAYS, 400),
        }
    } else {
        0
    };
    let missed_payments_12m = if days_past_due > 0 {
        rng.range(1, (days_past_due / 30 + 1).min(12))
    } else if rng.chance(0.07) {
        rng.range(1, 2)
    } else {
        0
    };

    let channel = if products.contains(&LoanProduct::AutoLoan) && rng.chance(0.55)
        || products.contains(&LoanProduct::EquipmentLease) && rng.chance(0.4)
    {
        Channel::Dealer
    } else {
        let broker = if products.contains(&LoanProduct::Mortgage) || business {
            0.30
        } else {
            0.08
        };
        [Channel::Branch, Channel::Online, Channel::Broker]
            [rng.weighted(&[0.55 - broker / 2.0, 0.45 - broker / 2.0, broker])]
    };

    // On the books for a few years, up to 25 (never before 0001-01-01).
    let tenure = ((rng.exponential(4.0) * 365.25) as i64 + rng.range(0, 60))
        .min(25 * 365)
        .min(max_back);
    // Mortgages renew on a five-year term, so about one in fifteen is due within four months;
    // other loans run out up to seven years ahead.
    let until = if products.contains(&LoanProduct::Mortgage) {
        rng.range(1, 5 * 365)
    } else {
        rng.range(30, 7 * 365)
    };

    let row = BorrowerRow {
        id: format!("B-{:0width$}", index + 1, width = id_width),
        manager: None,
        kind,
        province: province.code,
        language,
        loan_balance,
        credit_score,
        risk_grade,
        days_past_due,
        missed_payments_12m,
        products,
        channel,
        annual_income,
        originated: days_before(as_of, tenure),
        maturity: days_before(as_of, -until),
    };
    (row, province_index)
}

fn products(rng: &mut Rng, business: bool, credit_score: i64, income: i64) -> Vec<LoanProduct> {
    let good = credit_score >= 650;
    let chances: [(LoanProduct, f64); 8] = if business {
        [
            (LoanProduct::Mortgage, 0.12),
            (LoanProduct::Heloc, 0.0),
            (LoanProduct::AutoLoan, 0.10),
            (LoanProduct::PersonalLoan, 0.0),
            (LoanProduct::LineOfCredit, 0.55),
            (LoanProduct::CreditCard, 0.30),
            (LoanProduct::BusinessLoan, if good { 0.70 } else { 0.50 }),
            (LoanProduct::EquipmentLease, 0.30),
        ]
    } else {
        let mortgage = if income >= 60_000 { 0.40 } else { 0.18 };
        [
            (
                LoanProduct::Mortgage,
                if good { mortgage } else { mortgage * 0.5 },
            ),
            (LoanProduct::Heloc, if good { 0.10 } else { 0.04 }),
            (LoanProduct::AutoLoan, 0.32),
            (LoanProduct::PersonalLoan, if good { 0.18 } else { 0.30 }),
            (LoanProduct::LineOfCredit, 0.15),
            (LoanProduct::CreditCard, 0.45),
            (LoanProduct::BusinessLoan, 0.0),
            (LoanProduct::EquipmentLease, 0.0),
        ]
    };
    let mut held: Vec<LoanProduct> = chances
        .iter()
        .filter_map(|&(product, p)| rng.chance(p).then_some(product))
        .collect();
    if held.is_empty() {
        held.push(if business {
            LoanProduct::BusinessLoan
        } else {
            LoanProduct::PersonalLoan
        });
    }
    held
}

/// The balance left on one loan: log-normal around the product's typical balance, larger for
/// larger incomes, to the nearest hundred.
fn balance(rng: &mut Rng, product: LoanProduct, income: i64) -> i64 {
    let (median, sigma) = match product {
        LoanProduct::Mortgage => (310_000.0, 0.55),
        LoanProduct::Heloc => (55_000.0, 0.7),
        LoanProduct::AutoLoan => (21_000.0, 0.5),
        LoanProduct::PersonalLoan => (9_000.0, 0.7),
        LoanProduct::LineOfCredit => (14_000.0, 0.9),
        LoanProduct::CreditCard => (3_200.0, 0.9),
        LoanProduct::BusinessLoan => (180_000.0, 1.0),
        LoanProduct::EquipmentLease => (70_000.0, 0.8),
    };
    let scale = 0.35 * ln((income.max(1_000) as f64) / 72_000.0);
    round_to(exp(ln(median) + scale + sigma * rng.normal()), 100.0).max(100)
}

/// The managers, and each one's province index.
fn managers(
    seed: u64,
    manager_count: usize,
    per_province: &[usize; PROVINCES.len()],
    borrower_count: usize,
) -> (Vec<LenderManagerRow>, Vec<usize>) {
    let mut rng = Rng::stream(seed, STREAM_MANAGERS, 0);
    let shares: Vec<f64> = PROVINCES.iter().map(|p| p.share).collect();
    let counts = managers_per_area(manager_count, per_province, &shares, borrower_count);
    let mut slots: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(province, &count)| std::iter::repeat_n(province, count))
        .collect();
    shuffle(&mut rng, &mut slots);

    let width = manager_id_width(manager_count, PROVINCES.len());
    let mut used_names = HashSet::new();
    let mut managers: Vec<LenderManagerRow> = Vec::with_capacity(manager_count);
    for (index, &province_index) in slots.iter().enumerate() {
        let province = &PROVINCES[province_index];
        let name = manager_name(&mut rng, &mut used_names);
        let seniority_years = (1.0 + rng.exponential(6.0)).min(35.0) as i64;
        // Everyone speaks the province's main language; some its others too.
        let main = if province.languages[1] > province.languages[0] {
            1
        } else {
            0
        };
        let mut languages = vec![LANGUAGES[main]];
        if main == 1 && rng.chance(0.85) {
            languages.push("en");
        }
        if rng.chance(0.3) {
            languages.push(LANGUAGES[rng.weighted(&province.languages)]);
        }
        languages.sort_by_key(|l| LANGUAGES.iter().position(|x| x == l));
        languages.dedup();
        managers.push(LenderManagerRow {
            id: format!("M-{:0width$}", index + 1, width = width),
            name,
            province: province.code,
            languages,
            certifications: Vec::new(),
            seniority_years,
            broker_desk: rng.chance(0.2),
            capacity: 0,
            target: None,
            segment_caps: Vec::new(),
            group: String::new(),
        });
    }

    let (low, high) = capacity_band(CAPACITY_RATIO, borrower_count, manager_count);
    for (province_index, _) in PROVINCES.iter().enumerate() {
        let mut members: Vec<usize> = (0..managers.len())
            .filter(|&m| slots[m] == province_index)
            .collect();
        if members.is_empty() {
            continue;
        }
        shuffle(&mut rng, &mut members);
        // Commercial ≈25% and collections ≈15% of the province's managers, at least one each,
        // from different people where there are enough; a mortgage licence for at least half
        // (counted from the other end) and a third of the rest.
        let n = members.len();
        let commercial_quota = ((0.25 * n as f64).round() as usize).max(1);
        let collections_quota = ((0.15 * n as f64).round() as usize).max(1);
        let licence_quota = n.div_ceil(2);
        for (rank, &m) in members.iter().enumerate() {
            let mut certifications = Vec::new();
            let licensed = rank >= n - licence_quota || rng.chance(0.33);
            if licensed {
                certifications.push(LenderCertification::MortgageLicence);
            }
            if rank < commercial_quota {
                certifications.push(LenderCertification::CommercialCredit);
            }
            let collections = if n > commercial_quota {
                (commercial_quota..commercial_quota + collections_quota).contains(&rank)
            } else {
                rank < collections_quota
            };
            if collections {
                certifications.push(LenderCertification::Collections);
            }
            if rng.chance(0.3) {
                certifications.push(LenderCertification::AutoFinance);
            }
            managers[m].certifications = certifications;
        }

        // Capacity: the province's managers can serve CAPACITY_RATIO × its borrowers; seniors
        // carry larger books, collections staff smaller ones.
        let weights: Vec<f64> = members
            .iter()
            .map(|&m| {
                let manager = &managers[m];
                let seniority = 0.85 + 0.3 * (manager.seniority_years.min(15) as f64 / 15.0);
                let workout = manager
                    .certifications
                    .contains(&LenderCertification::Collections);
                (0.7 + 0.6 * rng.unit()) * seniority * if workout { 0.7 } else { 1.0 }
            })
            .collect();
        let total = (CAPACITY_RATIO * per_province[province_index] as f64).ceil() as u32;
        // A province with few managers for its borrowers gives them bigger books.
        let high = high.max((1.5 * f64::from(total) / n as f64).ceil() as u32);
        let capacities = split_capacity(total, &weights, low, high);
        let holders = |certification| {
            members
                .iter()
                .filter(|&&m| managers[m].certifications.contains(&certification))
                .count()
        };
        let (commercial, collections) = (
            holders(LenderCertification::CommercialCredit),
            holders(LenderCertification::Collections),
        );
        for (&m, &capacity) in members.iter().zip(&capacities) {
            let manager = &mut managers[m];
            manager.capacity = capacity;
            manager.target =
                (manager.seniority_years <= 1).then(|| (0.7 * f64::from(capacity)).round() as u32);
            // Where a province has several, some keep their specialist work to part of their
            // book.
            let mut caps = Vec::new();
            if commercial > 1
                && manager
                    .certifications
                    .contains(&LenderCertification::CommercialCredit)
                && rng.chance(0.4)
            {
                caps.push((
                    "COMMERCIAL",
                    ((0.5 * f64::from(capacity)).round() as u32).max(1),
                ));
            }
            if collections > 1
                && manager
                    .certifications
                    .contains(&LenderCertification::Collections)
                && rng.chance(0.5)
            {
                caps.push((
                    "WORKOUT",
                    ((0.3 * f64::from(capacity)).round() as u32).max(1),
                ));
            }
            manager.segment_caps = caps;
        }
    }
    (managers, slots)
}

/// Today's book: ≈8% of borrowers without a manager (many of the newest), ≈6% with a manager
/// who has left, the rest with a manager of their province, favouring a certified one where the
/// rules will ask for it, but not strictly.
fn assign_book(
    seed: u64,
    as_of: Date,
    borrowers: &mut [BorrowerRow],
    provinces: &[usize],
    managers: &[LenderManagerRow],
    slots: &[usize],
    former: &[FormerLenderManager],
) {
    let mut by_province: Vec<Vec<usize>> = vec![Vec::new(); PROVINCES.len()];
    for (m, &province) in slots.iter().enumerate() {
        by_province[province].push(m);
    }
    let mut former_by_province: Vec<Vec<usize>> = vec![Vec::new(); PROVINCES.len()];
    for (k, manager) in former.iter().enumerate() {
        if let Some(p) = PROVINCES.iter().position(|p| p.code == manager.province) {
            former_by_province[p].push(k);
        }
    }
    for (index, (borrower, &province)) in borrowers.iter_mut().zip(provinces).enumerate() {
        let mut rng = Rng::stream(seed, STREAM_BOOK, index as u64);
        let is_new = as_of.days_since(borrower.originated) < 120;
        let unserved = if is_new { 0.4 } else { 0.075 };
        let wanted = if borrower.days_past_due >= DEFAULT_DAYS {
            Some(LenderCertification::Collections)
        } else if borrower.kind == BorrowerKind::Business {
            Some(LenderCertification::CommercialCredit)
        } else if borrower.products.contains(&LoanProduct::Mortgage) {
            Some(LenderCertification::MortgageLicence)
        } else {
            None
        };
        let draw = rng.unit();
        borrower.manager = if draw < unserved {
            None
        } else if draw < unserved + 0.06 {
            let local = &former_by_province[province];
            if local.is_empty() {
                former.get(rng.index(former.len())).map(|m| m.id.clone())
            } else {
                Some(former[local[rng.index(local.len())]].id.clone())
            }
        } else {
            let candidates = &by_province[province];
            let weights: Vec<f64> = candidates
                .iter()
                .map(|&m| {
                    let manager = &managers[m];
                    let mut weight = f64::from(manager.capacity).max(1.0);
                    if wanted.is_some_and(|c| manager.certifications.contains(&c)) {
                        weight *= 4.0;
                    }
                    if borrower.channel == Channel::Broker && manager.broker_desk {
                        weight *= 2.0;
                    }
                    weight
                })
                .collect();
            (!candidates.is_empty())
                .then(|| managers[candidates[rng.weighted(&weights)]].id.clone())
        };
    }
}

/// The columns of `borrowers.csv`, in order.
pub const BORROWER_COLUMNS: [&str; 15] = [
    "id",
    "manager",
    "kind",
    "province",
    "language",
    "loan_balance",
    "credit_score",
    "risk_grade",
    "days_past_due",
    "missed_payments_12m",
    "products",
    "channel",
    "annual_income",
    "originated",
    "maturity",
];

/// The columns of the lender's `managers.csv`, in order.
pub const MANAGER_COLUMNS: [&str; 11] = [
    "id",
    "name",
    "province",
    "languages",
    "certifications",
    "seniority_years",
    "broker_desk",
    "capacity",
    "target",
    "segment_caps",
    "group",
];

impl BorrowerRow {
    /// The row's CSV cells, in [`BORROWER_COLUMNS`] order.
    pub fn record(&self) -> [String; 15] {
        [
            self.id.clone(),
            self.manager.clone().unwrap_or_default(),
            self.kind.as_str().to_owned(),
            self.province.to_owned(),
            self.language.to_owned(),
            self.loan_balance.to_string(),
            self.credit_score.to_string(),
            self.risk_grade.to_owned(),
            self.days_past_due.to_string(),
            self.missed_payments_12m.to_string(),
            join(&self.products, |p| p.as_str().to_owned()),
            self.channel.as_str().to_owned(),
            self.annual_income.to_string(),
            self.originated.to_string(),
            self.maturity.to_string(),
        ]
    }
}

impl LenderManagerRow {
    /// The row's CSV cells, in [`MANAGER_COLUMNS`] order.
    pub fn record(&self) -> [String; 11] {
        [
            self.id.clone(),
            self.name.clone(),
            self.province.to_owned(),
            join(&self.languages, |l| (*l).to_owned()),
            join(&self.certifications, |c| c.as_str().to_owned()),
            self.seniority_years.to_string(),
            self.broker_desk.to_string(),
            self.capacity.to_string(),
            self.target.map(|t| t.to_string()).unwrap_or_default(),
            join(&self.segment_caps, |(segment, cap)| {
                format!("{segment}={cap}")
            }),
            self.group.clone(),
        ]
    }
}

/// Writes the borrowers as CSV (header first) to `writer`.
pub fn write_borrowers<W: io::Write>(lender: &GeneratedLender, writer: W) -> io::Result<()> {
    crate::write_rows(
        writer,
        &BORROWER_COLUMNS,
        lender.borrowers.iter().map(|row| row.record()),
    )
}

/// Writes the managers as CSV (header first) to `writer`.
pub fn write_managers<W: io::Write>(lender: &GeneratedLender, writer: W) -> io::Result<()> {
    crate::write_rows(
        writer,
        &MANAGER_COLUMNS,
        lender.managers.iter().map(|row| row.record()),
    )
}

/// `borrowers.csv` in memory.
pub fn borrowers_csv(lender: &GeneratedLender) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(lender.borrowers.len() * 140 + 256);
    write_borrowers(lender, &mut bytes)?;
    Ok(bytes)
}

/// `managers.csv` in memory.
pub fn managers_csv(lender: &GeneratedLender) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(lender.managers.len() * 120 + 256);
    write_managers(lender, &mut bytes)?;
    Ok(bytes)
}

/// The book as apportion loads it from the CSV files (written in memory and parsed back).
pub fn load_book(
    lender: &GeneratedLender,
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    crate::book_from_csv(&borrowers_csv(lender)?, &managers_csv(lender)?)
}

/// `groups.csv` in memory.
pub fn groups_csv(lender: &GeneratedLender) -> io::Result<Vec<u8>> {
    crate::group_rows_csv(&lender.groups)
}

/// `groups-national.csv` in memory: the same teams under one capped desk per line over every
/// province (see [`org::national_desks`]).
pub fn national_groups_csv(lender: &GeneratedLender) -> io::Result<Vec<u8>> {
    crate::group_rows_csv(&org::national_desks(&lender.groups))
}

/// The book as [`load_book`] loads it, its managers in the groups of `groups.csv`.
pub fn load_organised_book(
    lender: &GeneratedLender,
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    crate::with_groups(load_book(lender)?, &groups_csv(lender)?)
}

/// The book as [`load_book`] loads it, its managers in the groups of `groups-national.csv`.
pub fn load_national_book(
    lender: &GeneratedLender,
) -> Result<Book, Box<dyn std::error::Error + Send + Sync>> {
    crate::with_groups(load_book(lender)?, &national_groups_csv(lender)?)
}

/// Writes `borrowers.csv`, `managers.csv`, `groups.csv` and `groups-national.csv` into `dir`,
/// creating it if needed.
pub fn write_csv(lender: &GeneratedLender, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("borrowers.csv"), borrowers_csv(lender)?)?;
    std::fs::write(dir.join("managers.csv"), managers_csv(lender)?)?;
    std::fs::write(dir.join("groups.csv"), groups_csv(lender)?)?;
    std::fs::write(
        dir.join("groups-national.csv"),
        national_groups_csv(lender)?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
