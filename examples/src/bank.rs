//! The example bank: its regions and branches, the row types, and the generator itself.
//!
//! The generator works in three passes, each with its own random streams so that changing one
//! part leaves the others alone:
//!
//! 1. customers' attributes, one stream per customer (a customer's attributes depend only on the
//!    seed, its index and `as_of`, not on how many customers or managers there are);
//! 2. managers, sized from the customers actually generated in each region;
//! 3. the current book: who serves each customer today (one stream per customer).

use apportion::Date;

use crate::org::{self, GroupRow, Seat};
use crate::rng::{Rng, exp, ln};

/// A region of the bank: a name, a branch-code letter, its branches and its customers' mix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// The region's name, as written in the `region` columns.
    pub name: &'static str,
    /// The letter in its branch ids (`BR-N01`); the capital's is `K`, as `C` is central's.
    pub code: char,
    /// How many branches the region has.
    pub branches: usize,
    /// The region's share of customers.
    pub share: f64,
    /// Customers' language mix, aligned with [`LANGUAGES`].
    pub languages: [f64; 5],
}

/// The languages customers speak, and that managers may speak besides English.
pub const LANGUAGES: [&str; 5] = ["en", "es", "fr", "de", "zh"];

/// The six regions. Shares add up to 1; English is about 70% of customers overall.
pub const REGIONS: [Region; 6] = [
    Region {
        name: "north",
        code: 'N',
        branches: 4,
        share: 0.15,
        languages: [0.74, 0.08, 0.10, 0.05, 0.03],
    },
    Region {
        name: "south",
        code: 'S',
        branches: 4,
        share: 0.18,
        languages: [0.64, 0.24, 0.05, 0.03, 0.04],
    },
    Region {
        name: "east",
        code: 'E',
        branches: 3,
        share: 0.13,
        languages: [0.70, 0.06, 0.06, 0.13, 0.05],
    },
    Region {
        name: "west",
        code: 'W',
        branches: 3,
        share: 0.13,
        languages: [0.76, 0.10, 0.07, 0.03, 0.04],
    },
    Region {
        name: "central",
        code: 'C',
        branches: 4,
        share: 0.17,
        languages: [0.77, 0.09, 0.06, 0.04, 0.04],
    },
    Region {
        name: "capital",
        code: 'K',
        branches: 5,
        share: 0.24,
        languages: [0.64, 0.12, 0.08, 0.05, 0.11],
    },
];

impl Region {
    /// The id of this region's branch number `index` (0-based): `BR-N01`, `BR-N02`, …
    pub fn branch_id(&self, index: usize) -> String {
        format!("BR-{}{:02}", self.code, index + 1)
    }

    /// The ids of all this region's branches.
    pub fn branch_ids(&self) -> Vec<String> {
        (0..self.branches).map(|b| self.branch_id(b)).collect()
    }

    /// Branch weights: the first branch is the region's flagship, twice as busy as the others.
    fn branch_weights(&self) -> Vec<f64> {
        (0..self.branches)
            .map(|b| if b == 0 { 2.0 } else { 1.0 })
            .collect()
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in the CSV files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Whether a customer is a person or a small business.
    CustomerKind {
        /// A private person (`individual`).
        Individual => "individual",
        /// A small or medium-sized enterprise (`sme`).
        Sme => "sme",
    }
);

text_enum!(
    /// A customer's stated attitude to investment risk.
    RiskPreference {
        /// `conservative`.
        Conservative => "conservative",
        /// `balanced`.
        Balanced => "balanced",
        /// `growth`.
        Growth => "growth",
        /// `aggressive`.
        Aggressive => "aggressive",
    }
);

text_enum!(
    /// A product a customer holds. Lists are written in this order.
    Product {
        /// `current_account`.
        CurrentAccount => "current_account",
        /// `savings`.
        Savings => "savings",
        /// `mortgage`.
        Mortgage => "mortgage",
        /// `credit_card`.
        CreditCard => "credit_card",
        /// `overdraft`.
        Overdraft => "overdraft",
        /// `investment_fund`.
        InvestmentFund => "investment_fund",
        /// `pension`.
        Pension => "pension",
        /// `insurance`.
        Insurance => "insurance",
        /// `business_loan` (mostly SMEs).
        BusinessLoan => "business_loan",
        /// `merchant_services` (card acceptance; SMEs only).
        MerchantServices => "merchant_services",
    }
);

text_enum!(
    /// A manager's certification.
    Certification {
        /// `private_banking`: may serve high-net-worth customers.
        PrivateBanking => "private_banking",
        /// `sme_credit`: may lend to small businesses.
        SmeCredit => "sme_credit",
        /// `mortgage`: may advise on mortgages.
        Mortgage => "mortgage",
        /// `investment`: may advise on investments.
        Investment => "investment",
    }
);

/// One customer, as one row of `customers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    /// `C-000001`, …
    pub id: String,
    /// The current manager's id; `None` (an empty cell) if nobody serves the customer. May name
    /// a manager who has left (see [`GeneratedBank::former_managers`](crate::GeneratedBank)).
    pub manager: Option<String>,
    /// Individual or SME.
    pub kind: CustomerKind,
    /// One of the [`REGIONS`]' names.
    pub region: &'static str,
    /// A branch of that region, `BR-N01`, …
    pub branch: String,
    /// Total assets held with the bank, in whole currency units.
    pub assets: i64,
    /// Annual income (individuals) or annual profit (SMEs), in whole currency units.
    pub income: i64,
    /// Age in years (for an SME, its principal's), 18–95.
    pub age: i64,
    /// Attitude to investment risk.
    pub risk_preference: RiskPreference,
    /// Products held, in [`Product::ALL`] order; never empty.
    pub products: Vec<Product>,
    /// Transactions in the 90 days up to `as_of` (0 when the last one is older).
    pub transactions_90d: i64,
    /// Days from the last transaction to `as_of`.
    pub days_since_last_txn: i64,
    /// `as_of` minus `days_since_last_txn`.
    pub last_txn_date: Date,
    /// When the customer joined; never after `last_txn_date`.
    pub onboarded: Date,
    /// Preferred language, one of [`LANGUAGES`].
    pub language: &'static str,
    /// Whether the customer has asked about a mortgage recently.
    pub has_mortgage_enquiry: bool,
    /// Credit score, 300–850.
    pub credit_score: i64,
}

/// One relationship manager, as one row of `managers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagerRow {
    /// `M-001`, …
    pub id: String,
    /// Full name.
    pub name: String,
    /// One of the [`REGIONS`]' names.
    pub region: &'static str,
    /// The branch the manager sits in.
    pub branch: String,
    /// Languages spoken: always `en` first, then any others in [`LANGUAGES`] order.
    pub languages: Vec<&'static str>,
    /// Certifications held, in [`Certification::ALL`] order; may be empty.
    pub certifications: Vec<Certification>,
    /// Years as a relationship manager.
    pub seniority_years: i64,
    /// The most customers the manager may serve.
    pub capacity: u32,
    /// The load to aim for, when below capacity (new joiners, part-timers).
    pub target: Option<u32>,
    /// Per-segment caps such as `HNW=25`, written `;`-separated.
    pub segment_caps: Vec<(&'static str, u32)>,
    /// The team the manager is in (see [`crate::org`]).
    pub group: String,
}

impl ManagerRow {
    /// The business line the manager works in: private banking if certified for it, else SME
    /// credit if certified for that, else retail.
    fn line(&self) -> &'static str {
        let has = |c| self.certifications.contains(&c);
        if has(Certification::PrivateBanking) {
            "PRIVATE"
        } else if has(Certification::SmeCredit) {
            "SME"
        } else {
            "RETAIL"
        }
    }
}

/// Puts every manager in a team (their `group`) and returns the groups (see [`crate::org`]):
/// three business lines, a desk per line and region, teams per line and branch.
pub(crate) fn organise(managers: &mut [ManagerRow]) -> Vec<GroupRow> {
    org::organise_managers(
        managers,
        |m| Seat {
            line: m.line(),
            region: m.region,
            branch: &m.branch,
            capacity: m.capacity,
            target_load: m.target.unwrap_or(m.capacity),
        },
        |m| &mut m.group,
    )
}

/// A manager who has left the bank but still appears as some customers' current manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerManager {
    /// The id customers still point to, `M-901`, …
    pub id: String,
    /// The region the manager worked in; their customers are in it.
    pub region: &'static str,
}

/// What [`generate_parts`] makes.
pub(crate) struct Parts {
    pub customers: Vec<CustomerRow>,
    pub managers: Vec<ManagerRow>,
    pub former_managers: Vec<FormerManager>,
}

/// Assets at or above this make a customer high-net-worth.
pub const HNW_ASSETS: i64 = 1_000_000;
/// Assets at or above this make a customer affluent.
pub const AFFLUENT_ASSETS: i64 = 100_000;

const STREAM_CUSTOMERS: u64 = 1;
const STREAM_MANAGERS: u64 = 2;
const STREAM_BOOK: u64 = 3;

/// Log-normal parameters of the assets score, tuned so ≈20% of customers hold ≥ 100,000 and
/// ≈2% hold ≥ 1,000,000.
const ASSETS_MU: f64 = 9.84;
const ASSETS_SIGMA: f64 = 1.80;

/// Generates the whole bank.
pub(crate) fn generate_parts(
    customer_count: usize,
    manager_count: usize,
    seed: u64,
    as_of: Date,
) -> Parts {
    // How far back dates may go: never before 0001-01-01, the earliest `Date`.
    let earliest = Date::from_ymd(1, 1, 1).map_or(as_of.days_since_epoch(), Date::days_since_epoch);
    let max_back = as_of.days_since_epoch() - earliest;
    let id_width = digits(customer_count).max(6);

    let mut customers: Vec<CustomerRow> = Vec::with_capacity(customer_count);
    let mut regions: Vec<usize> = Vec::with_capacity(customer_count);
    for index in 0..customer_count {
        let (row, region) = customer(seed, index, id_width, as_of, max_back);
        customers.push(row);
        regions.push(region);
    }

    let mut per_region = [0usize; REGIONS.len()];
    for &region in &regions {
        per_region[region] += 1;
    }
    let (managers, manager_regions) = managers(seed, manager_count, &per_region, customer_count);
    let former_managers = former_managers(manager_count);

    assign_book(
        seed,
        &mut customers,
        &regions,
        &managers,
        &manager_regions,
        &former_managers,
    );

    Parts {
        customers,
        managers,
        former_managers,
    }
}

pub(crate) fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

pub(crate) fn round_to(value: f64, step: f64) -> i64 {
    ((value / step).round() * step) as i64
}

/// Customer number `index` (0-based), without a manager, and its region's index.
fn customer(
    seed: u64,
    index: usize,
    id_width: usize,
    as_of: Date,
    max_back: i64,
) -> (CustomerRow, usize) {
    let mut rng = Rng::stream(seed, STREAM_CUSTOMERS, index as u64);
    let shares: Vec<f64> = REGIONS.iter().map(|r| r.share).collect();
    let region_index = rng.weighted(&shares);
    let region = &REGIONS[region_index];
    let branch = region.branch_id(rng.weighted(&region.branch_weights()));
    let kind = if rng.chance(0.12) {
        CustomerKind::Sme
    } else {
        CustomerKind::Individual
    };
    let sme = kind == CustomerKind::Sme;

    let age = if sme {
        rng.truncated_normal(51.0, 10.0, 21, 85)
    } else {
        rng.truncated_normal(46.0, 18.0, 18, 95)
    };

    // Income: log-normal, peaking in the early fifties and dropping in retirement.
    let z_income = rng.normal();
    let income = if sme {
        round_to(Rng::log_normal_from(ln(95_000.0), 0.95, z_income), 1_000.0)
    } else {
        let years = (age - 50) as f64 / 22.0;
        let retired = if age >= 67 { -0.35 } else { 0.0 };
        let mu = ln(38_000.0) - 0.45 * years * years + retired;
        round_to(Rng::log_normal_from(mu, 0.6, z_income), 100.0)
    };

    // Assets: heavy-tailed (log-normal), rising with income and age; SMEs hold more.
    let z_assets = 0.5 * z_income
        + 0.866 * rng.normal()
        + 0.25 * (age - 47) as f64 / 17.0
        + if sme { 0.45 } else { 0.0 };
    let assets = exp(ASSETS_MU + ASSETS_SIGMA * z_assets).round() as i64;

    let credit_score =
        (rng.gaussian(690.0, 60.0) + 30.0 * (age - 45) as f64 / 25.0 + 25.0 * z_income)
            .round()
            .clamp(300.0, 850.0) as i64;

    let risk_score =
        rng.normal() - (age - 45) as f64 / 20.0 + if assets >= AFFLUENT_ASSETS { 0.3 } else { 0.0 };
    let risk_preference = match risk_score {
        s if s < -0.6 => RiskPreference::Conservative,
        s if s < 0.5 => RiskPreference::Balanced,
        s if s < 1.5 => RiskPreference::Growth,
        _ => RiskPreference::Aggressive,
    };

    // Tenure: a few customers joined in the last 90 days; the rest years ago (never before 18).
    let max_tenure = ((age - 18) * 365 + rng.range(0, 364)).min(max_back);
    let is_new = rng.chance(0.045) || max_tenure < 90;
    let tenure = if is_new {
        rng.range(0, max_tenure.min(89))
    } else {
        let years = rng.exponential(7.5);
        (90 + (years * 365.25) as i64).min(max_tenure).min(45 * 365)
    };

    // Activity: most transact every few days; ≈10% lapsed for 3–12 months, ≈5% for over a year.
    let lapse = rng.unit();
    let days_since_last_txn = if lapse < 0.055 && tenure > 365 {
        (366 + rng.exponential(450.0) as i64).min(tenure)
    } else if lapse < 0.16 && tenure > 90 {
        rng.range(90, tenure.min(365))
    } else {
        (rng.exponential(if sme { 2.0 } else { 6.0 }) as i64)
            .min(89)
            .min(tenure)
    };
    let transactions_90d = if days_since_last_txn >= 90 {
        0
    } else {
        let median: f64 = if sme { 140.0 } else { 22.0 };
        let recency = if days_since_last_txn > 30 { 0.3 } else { 1.0 };
        let window = ((tenure + 1) as f64 / 90.0).min(1.0);
        let count = Rng::log_normal_from(ln(median), 1.0, rng.normal()) * recency * window;
        (count.round() as i64).max(1)
    };

    let products = products(&mut rng, sme, age, assets, credit_score);
    let has_mortgage = products.contains(&Product::Mortgage);
    let has_mortgage_enquiry = if sme {
        rng.chance(0.01)
    } else if !has_mortgage && (23..=50).contains(&age) {
        rng.chance(0.09)
    } else if has_mortgage {
        rng.chance(0.03)
    } else {
        rng.chance(0.015)
    };
    let language = LANGUAGES[rng.weighted(&region.languages)];

    let row = CustomerRow {
        id: format!("C-{:0width$}", index + 1, width = id_width),
        manager: None,
        kind,
        region: region.name,
        branch,
        assets,
        income,
        age,
        risk_preference,
        products,
        transactions_90d,
        days_since_last_txn,
        last_txn_date: days_before(as_of, days_since_last_txn),
        onboarded: days_before(as_of, tenure),
        language,
        has_mortgage_enquiry,
        credit_score,
    };
    (row, region_index)
}

/// `as_of` minus `days`; callers keep `days` within the representable range.
pub(crate) fn days_before(as_of: Date, days: i64) -> Date {
    Date::from_days_since_epoch(as_of.days_since_epoch() - days).unwrap_or(as_of)
}

fn products(rng: &mut Rng, sme: bool, age: i64, assets: i64, credit_score: i64) -> Vec<Product> {
    let good_credit = credit_score >= 620;
    let chances: [(Product, f64); 10] = if sme {
        [
            (Product::CurrentAccount, 0.97),
            (Product::Savings, 0.40),
            (Product::Mortgage, 0.04),
            (Product::CreditCard, if good_credit { 0.40 } else { 0.15 }),
            (Product::Overdraft, 0.35),
            (
                Product::InvestmentFund,
                if assets >= AFFLUENT_ASSETS {
                    0.25
                } else {
                    0.05
                },
            ),
            (Product::Pension, 0.15),
            (Product::Insurance, 0.45),
            (Product::BusinessLoan, if good_credit { 0.60 } else { 0.35 }),
            (Product::MerchantServices, 0.35),
        ]
    } else {
        let mortgage = match age {
            30..=55 => 0.40,
            25..=70 => 0.22,
            _ => 0.03,
        };
        let investment = match assets {
            a if a >= AFFLUENT_ASSETS => 0.55,
            a if a >= 20_000 => 0.20,
            _ => 0.04,
        };
        let pension = match age {
            ..25 => 0.05,
            25..=66 => 0.35,
            _ => 0.50,
        };
        [
            (Product::CurrentAccount, 0.93),
            (Product::Savings, if assets >= 20_000 { 0.70 } else { 0.45 }),
            (
                Product::Mortgage,
                if good_credit {
                    mortgage
                } else {
                    mortgage * 0.3
                },
            ),
            (Product::CreditCard, if good_credit { 0.60 } else { 0.30 }),
            (Product::Overdraft, 0.12),
            (Product::InvestmentFund, investment),
            (Product::Pension, pension),
            (Product::Insurance, 0.30),
            (Product::BusinessLoan, 0.01),
            (Product::MerchantServices, 0.0),
        ]
    };
    let mut held: Vec<Product> = chances
        .iter()
        .filter_map(|&(product, p)| rng.chance(p).then_some(product))
        .collect();
    if held.is_empty() {
        held.push(if sme {
            Product::CurrentAccount
        } else {
            Product::Savings
        });
    }
    held
}

const FIRST_NAMES: [&str; 48] = [
    "Aisha",
    "Alejandro",
    "Amelia",
    "Ananya",
    "Ben",
    "Carmen",
    "Chloe",
    "Clara",
    "Daniel",
    "David",
    "Elena",
    "Emma",
    "Fatima",
    "Felix",
    "Grace",
    "Hannah",
    "Hugo",
    "Isabel",
    "James",
    "Jonas",
    "Julia",
    "Karim",
    "Laura",
    "Leon",
    "Lucia",
    "Marco",
    "Maria",
    "Mei",
    "Mohammed",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Paul",
    "Priya",
    "Rafael",
    "Rosa",
    "Samuel",
    "Sara",
    "Sofia",
    "Thomas",
    "Tomas",
    "Valentina",
    "Wei",
    "William",
    "Yasmin",
    "Yusuf",
    "Zoe",
];

const LAST_NAMES: [&str; 48] = [
    "Adams", "Ahmed", "Alvarez", "Baker", "Becker", "Bernard", "Brown", "Campbell", "Chen",
    "Clarke", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Green", "Hall", "Hoffmann",
    "Hughes", "Ibrahim", "Jones", "Khan", "Kowalski", "Lambert", "Li", "Lopez", "Martin", "Moreau",
    "Murphy", "Nguyen", "Novak", "OBrien", "Patel", "Perez", "Quinn", "Richter", "Rossi",
    "Schmidt", "Silva", "Singh", "Taylor", "Wagner", "Walsh", "Wang", "Weber", "Wilson", "Young",
    "Zhang",
];

/// A full name not in `used` if one turns up in eight draws (then added to `used`), else the
/// last one drawn.
pub(crate) fn manager_name(rng: &mut Rng, used: &mut std::collections::HashSet<String>) -> String {
    let mut name = String::new();
    for _ in 0..8 {
        name = format!(
            "{} {}",
            FIRST_NAMES[rng.index(FIRST_NAMES.len())],
            LAST_NAMES[rng.index(LAST_NAMES.len())]
        );
        if used.insert(name.clone()) {
            break;
        }
    }
    name
}

/// Managers per area (a region, a province): proportional to the area's customers (to `shares`
/// when there are none), with at least two per area (one each for the certifications every area
/// must have) when there are enough managers.
pub(crate) fn managers_per_area(
    manager_count: usize,
    per_area: &[usize],
    shares: &[f64],
    customer_count: usize,
) -> Vec<usize> {
    let regions = per_area.len();
    let minimum = match manager_count {
        n if n >= 2 * regions => 2,
        n if n >= regions => 1,
        _ => 0,
    };
    let weights: Vec<f64> = if customer_count > 0 {
        per_area.iter().map(|&n| n as f64).collect()
    } else {
        shares.to_vec()
    };
    let mut counts = vec![minimum; regions];
    let spare = manager_count - minimum * regions;
    let total: f64 = weights.iter().sum();
    let ideal: Vec<f64> = weights
        .iter()
        .map(|w| {
            if total > 0.0 {
                w / total * spare as f64
            } else {
                0.0
            }
        })
        .collect();
    let mut given = 0;
    for (count, share) in counts.iter_mut().zip(&ideal) {
        let whole = share.floor() as usize;
        *count += whole;
        given += whole;
    }
    // Largest remainders get the rest (ties go to the earlier region).
    let mut order: Vec<usize> = (0..regions).collect();
    order.sort_by(|&a, &b| {
        let ra = ideal[a] - ideal[a].floor();
        let rb = ideal[b] - ideal[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &region in order.iter().cycle().take(spare.saturating_sub(given)) {
        counts[region] += 1;
    }
    counts
}

/// Splits `total` into integers proportional to `weights`, each within `low..=high` where
/// possible, summing to `total` where possible.
/// The range one manager's capacity may take: from 0.6 to 1.8 times the average, when the
/// managers together hold `ratio` times the customers.
pub(crate) fn capacity_band(ratio: f64, customers: usize, managers: usize) -> (u32, u32) {
    let average = if managers > 0 {
        ratio * customers as f64 / managers as f64
    } else {
        0.0
    };
    (
        (0.6 * average).ceil() as u32,
        (1.8 * average).floor() as u32,
    )
}

pub(crate) fn split_capacity(total: u32, weights: &[f64], low: u32, high: u32) -> Vec<u32> {
    let n = weights.len();
    let mut result = vec![0u32; n];
    if n == 0 {
        return result;
    }
    let mut fixed = vec![false; n];
    // Clamp, then share what is left among the unclamped; repeat until nothing moves.
    for _ in 0..=n {
        let fixed_sum: u64 = result
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| **f)
            .map(|(c, _)| u64::from(*c))
            .sum();
        let remaining = u64::from(total).saturating_sub(fixed_sum) as f64;
        let free_weight: f64 = weights
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|(w, _)| *w)
            .sum();
        let mut changed = false;
        for i in 0..n {
            if fixed[i] {
                continue;
            }
            let ideal = if free_weight > 0.0 {
                remaining * weights[i] / free_weight
            } else {
                0.0
            };
            if ideal < f64::from(low) {
                result[i] = low;
                fixed[i] = true;
                changed = true;
            } else if ideal > f64::from(high) {
                result[i] = high;
                fixed[i] = true;
                changed = true;
            } else {
                result[i] = ideal.round() as u32;
            }
        }
        if !changed {
            break;
        }
    }
    // Rounding leaves the sum a little off: nudge free entries one unit at a time.
    let mut sum: u64 = result.iter().map(|&c| u64::from(c)).sum();
    let free: Vec<usize> = (0..n).filter(|&i| !fixed[i]).collect();
    let mut cursor = 0;
    let mut stuck = 0;
    while sum != u64::from(total) && !free.is_empty() && stuck < free.len() {
        let i = free[cursor % free.len()];
        cursor += 1;
        if sum < u64::from(total) && result[i] < high {
            result[i] += 1;
            sum += 1;
            stuck = 0;
        } else if sum > u64::from(total) && result[i] > low {
            result[i] -= 1;
            sum -= 1;
            stuck = 0;
        } else {
            stuck += 1;
        }
    }
    result
}

/// The managers, and each one's region index.
fn managers(
    seed: u64,
    manager_count: usize,
    per_region: &[usize; REGIONS.len()],
    customer_count: usize,
) -> (Vec<ManagerRow>, Vec<usize>) {
    let mut rng = Rng::stream(seed, STREAM_MANAGERS, 0);
    let shares: Vec<f64> = REGIONS.iter().map(|r| r.share).collect();
    let counts = managers_per_area(manager_count, per_region, &shares, customer_count);

    // Manager ids are not grouped by region: shuffle the region slots.
    let mut slots: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(region, &count)| std::iter::repeat_n(region, count))
        .collect();
    shuffle(&mut rng, &mut slots);

    let width = manager_id_width(manager_count, REGIONS.len());
    let mut used_names = std::collections::HashSet::new();
    let mut managers: Vec<ManagerRow> = Vec::with_capacity(manager_count);
    for (index, &region_index) in slots.iter().enumerate() {
        let region = &REGIONS[region_index];
        let name = manager_name(&mut rng, &mut used_names);
        let seniority_years = (1.0 + rng.exponential(7.0)).min(35.0) as i64;
        let mut languages = vec!["en"];
        let extra: Vec<f64> = region.languages[1..].to_vec();
        if rng.chance(0.35) {
            languages.push(LANGUAGES[1 + rng.weighted(&extra)]);
            if rng.chance(0.2) {
                languages.push(LANGUAGES[1 + rng.weighted(&extra)]);
            }
        }
        managers.push(ManagerRow {
            id: format!("M-{:0width$}", index + 1, width = width),
            name,
            region: region.name,
            branch: region.branch_id(rng.weighted(&region.branch_weights())),
            languages,
            certifications: Vec::new(),
            seniority_years,
            capacity: 0,
            target: None,
            segment_caps: Vec::new(),
            group: String::new(),
        });
    }

    let (low, high) = capacity_band(1.1, customer_count, manager_count);

    for (region_index, region) in REGIONS.iter().enumerate() {
        let mut members: Vec<usize> = (0..managers.len())
            .filter(|&m| slots[m] == region_index)
            .collect();
        if members.is_empty() {
            continue;
        }
        shuffle(&mut rng, &mut members);
        // ≈20% private banking and ≈20% SME credit, at least one of each in every region.
        let n = members.len();
        let quota = ((0.2 * n as f64).round() as usize).max(1);
        let private: Vec<usize> = members.iter().copied().take(quota).collect();
        let sme: Vec<usize> = if n >= 2 * quota {
            members[quota..2 * quota].to_vec()
        } else {
            members.iter().rev().copied().take(quota).collect()
        };
        for &m in &members {
            let is_private = private.contains(&m);
            let is_sme = sme.contains(&m);
            let mut certifications = Vec::new();
            if is_private {
                certifications.push(Certification::PrivateBanking);
            }
            if is_sme {
                certifications.push(Certification::SmeCredit);
            }
            if rng.chance(if is_private { 0.15 } else { 0.30 }) {
                certifications.push(Certification::Mortgage);
            }
            if rng.chance(if is_private { 0.70 } else { 0.20 }) {
                certifications.push(Certification::Investment);
            }
            managers[m].certifications = certifications;
        }

        // Someone in the region speaks its most common language after English.
        let mut top = 1;
        for l in 2..LANGUAGES.len() {
            if region.languages[l] > region.languages[top] {
                top = l;
            }
        }
        let language = LANGUAGES[top];
        if !members
            .iter()
            .any(|&m| managers[m].languages.contains(&language))
        {
            let m = members[rng.index(n)];
            managers[m].languages.push(language);
        }
        for &m in &members {
            let languages = &mut managers[m].languages;
            languages.sort_by_key(|l| LANGUAGES.iter().position(|x| x == l));
            languages.dedup();
        }

        // Capacity: the region's managers can serve ≈1.1× its customers between them; private
        // bankers keep smaller books, seniors larger ones.
        let weights: Vec<f64> = members
            .iter()
            .map(|&m| {
                let manager = &managers[m];
                let private = manager
                    .certifications
                    .contains(&Certification::PrivateBanking);
                let seniority = 0.85 + 0.3 * (manager.seniority_years.min(15) as f64 / 15.0);
                (0.7 + 0.6 * rng.unit()) * seniority * if private { 0.75 } else { 1.0 }
            })
            .collect();
        let total = (1.1 * per_region[region_index] as f64).round() as u32;
        let capacities = split_capacity(total, &weights, low, high);
        for (&m, &capacity) in members.iter().zip(&capacities) {
            let manager = &mut managers[m];
            manager.capacity = capacity;
            manager.target = if manager.seniority_years <= 1 {
                Some((0.7 * f64::from(capacity)).round() as u32)
            } else if rng.chance(0.05) {
                Some((0.8 * f64::from(capacity)).round() as u32)
            } else {
                None
            };
            if manager
                .certifications
                .contains(&Certification::PrivateBanking)
                && rng.chance(0.6)
            {
                let mut caps = vec![("HNW", ((0.4 * f64::from(capacity)).round() as u32).max(1))];
                if rng.chance(0.35) {
                    caps.push(("SME", ((0.1 * f64::from(capacity)).round() as u32).max(1)));
                }
                manager.segment_caps = caps;
            }
        }
    }
    (managers, slots)
}

pub(crate) fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.index(i + 1);
        items.swap(i, j);
    }
}

/// Former managers' numbers start here: `M-901` for a bank of fewer than 900 managers.
fn former_base(manager_count: usize) -> usize {
    if manager_count < 900 {
        900
    } else {
        manager_count
    }
}

/// One former manager per ten current ones, at least one per area.
fn former_count(manager_count: usize, areas: usize) -> usize {
    (manager_count / 10).max(areas)
}

/// The digits in every manager id, current and former (at least three).
pub(crate) fn manager_id_width(manager_count: usize, areas: usize) -> usize {
    digits(former_base(manager_count) + former_count(manager_count, areas)).max(3)
}

/// The ids of the managers who have left (`M-901`, …); number `k` worked in area
/// `k % areas`.
pub(crate) fn former_manager_ids(manager_count: usize, areas: usize) -> Vec<String> {
    let base = former_base(manager_count);
    let width = manager_id_width(manager_count, areas);
    (0..former_count(manager_count, areas))
        .map(|k| format!("M-{:0width$}", base + k + 1, width = width))
        .collect()
}

/// Managers who have left, spread over the regions in turn.
fn former_managers(manager_count: usize) -> Vec<FormerManager> {
    former_manager_ids(manager_count, REGIONS.len())
        .into_iter()
        .enumerate()
        .map(|(k, id)| FormerManager {
            id,
            region: REGIONS[k % REGIONS.len()].name,
        })
        .collect()
}

/// Today's book: ≈10% of customers unserved (half of the new ones), ≈5% still with a manager who
/// has left, the rest with a manager of their region — favouring their branch, and specialists
/// for high-net-worth and SME customers, but not strictly, so there is something to improve.
fn assign_book(
    seed: u64,
    customers: &mut [CustomerRow],
    regions: &[usize],
    managers: &[ManagerRow],
    manager_regions: &[usize],
    former: &[FormerManager],
) {
    let mut by_region: Vec<Vec<usize>> = vec![Vec::new(); REGIONS.len()];
    for (m, &region) in manager_regions.iter().enumerate() {
        by_region[region].push(m);
    }
    let mut former_by_region: Vec<Vec<usize>> = vec![Vec::new(); REGIONS.len()];
    for (k, manager) in former.iter().enumerate() {
        if let Some(region) = REGIONS.iter().position(|r| r.name == manager.region) {
            former_by_region[region].push(k);
        }
    }

    for (index, (customer, &region)) in customers.iter_mut().zip(regions).enumerate() {
        let mut rng = Rng::stream(seed, STREAM_BOOK, index as u64);
        let tenure =
            customer.days_since_last_txn + customer.last_txn_date.days_since(customer.onboarded);
        let is_new = tenure < 90;
        let hnw = customer.assets >= HNW_ASSETS;
        let unserved = if is_new {
            0.45
        } else if hnw {
            0.02
        } else {
            0.085
        };
        let draw = rng.unit();
        customer.manager = if draw < unserved {
            None
        } else if draw < unserved + 0.05 {
            let local = &former_by_region[region];
            if local.is_empty() {
                former.get(rng.index(former.len())).map(|m| m.id.clone())
            } else {
                Some(former[local[rng.index(local.len())]].id.clone())
            }
        } else {
            let candidates = &by_region[region];
            let weights: Vec<f64> = candidates
                .iter()
                .map(|&m| {
                    let manager = &managers[m];
                    let mut weight = f64::from(manager.capacity).max(1.0);
                    if manager.branch == customer.branch {
                        weight *= 3.0;
                    }
                    if hnw
                        && manager
                            .certifications
                            .contains(&Certification::PrivateBanking)
                    {
                        weight *= 3.0;
                    }
                    if customer.kind == CustomerKind::Sme
                        && manager.certifications.contains(&Certification::SmeCredit)
                    {
                        weight *= 3.0;
                    }
                    weight
                })
                .collect();
            if candidates.is_empty() {
                None
            } else {
                Some(managers[candidates[rng.weighted(&weights)]].id.clone())
            }
        };
    }
}
