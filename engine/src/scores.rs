//! Model scores for (customer, manager) pairs: a bank's own model of fit, handed in as a table
//! and read by the pair rules as `pair_score(c, m)` (`()` where the model gave none).
//!
//! Customers given exactly the same scores share a *profile*, and pair classes key customers by
//! their profile, as by a field the rules read: customers without scores have none and still
//! aggregate as they would without the table, and a model that scores in buckets aggregates
//! too. A table names customers and managers of its book; a score is an integer or a float.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{InputError, Location, RecordKind};
use crate::model::{CustomerId, Customers, ManagerId, Managers, Value, ValueType};
use crate::suggest;

/// The name of a built-in that pair rules call as `pair_score(c, m)`.
pub(crate) const PAIR_SCORE: &str = "pair_score";

/// What the pair rules' reads call the score: keyed like a customer field, it puts a
/// customer's profile into its pair class.
pub(crate) const SCORE_READ: &str = "pair_score(c, m)";

/// One customer's scores, by manager id (sorted): what a record carries, so that
/// `pair_score(c, m)` needs no table, and a lead can bring its own.
pub(crate) type CustomerScores = Arc<[(Arc<str>, Value)]>;

/// One row of a score table: a model's score for a customer and a manager.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    /// The customer.
    pub customer: CustomerId,
    /// The manager.
    pub manager: ManagerId,
    /// The score: [`Value::Int`] or [`Value::Float`], as the model wrote it.
    pub score: Value,
    /// The row's line in its input, when it came from one (errors name it).
    pub line: Option<u64>,
}

/// A book's model scores, by profile: empty when the book has none, and then every run is
/// exactly what it is without them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairScores {
    /// Each scored customer's profile.
    profile_of: foldhash::HashMap<Arc<str>, u32>,
    /// Each profile's scores.
    profiles: Vec<CustomerScores>,
    rows: usize,
    digest: Option<String>,
}

impl PairScores {
    /// The scores of `rows`, checked against the book: every customer and manager must be in
    /// it, every score a finite integer or float, and no pair scored twice. `source` is what
    /// errors call the table.
    pub fn new(
        rows: Vec<PairScore>,
        customers: &Customers,
        managers: &Managers,
        source: &str,
    ) -> Result<PairScores, InputError> {
        if rows.is_empty() {
            return Ok(PairScores::default());
        }
        let customer_ids: foldhash::HashMap<&str, u32> = customers
            .records
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i as u32))
            .collect();
        let manager_ids: HashMap<&str, u32> = managers
            .records
            .iter()
            .enumerate()
            .map(|(j, m)| (m.id.as_str(), j as u32))
            .collect();
        let at = |row: &PairScore| Location {
            line: row.line,
            ..Location::in_source(source).in_record(row.customer.as_str())
        };
        let mut pairs = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(&customer) = customer_ids.get(row.customer.as_str()) else {
                return Err(InputError::ScoreForUnknown {
                    kind: RecordKind::Customer,
                    id: row.customer.to_string(),
                    suggestion: None,
                    at: Box::new(at(row).in_column("customer")),
                });
            };
            let Some(&manager) = manager_ids.get(row.manager.as_str()) else {
                return Err(InputError::ScoreForUnknown {
                    kind: RecordKind::Manager,
                    id: row.manager.to_string(),
                    suggestion: suggest::nearest(
                        row.manager.as_str(),
                        managers.records.iter().map(|m| m.id.as_str()),
                    ),
                    at: Box::new(at(row).in_column("manager")),
                });
            };
            check_score(&row.score, || at(row).in_column("score"))?;
            pairs.push((customer, manager, row));
        }
        pairs.sort_unstable_by_key(|&(customer, manager, _)| (customer, manager));
        if let Some(pair) = pairs
            .windows(2)
            .find(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1)
        {
            let row = pair[1].2;
            return Err(InputError::DuplicateScore {
                manager: row.manager.to_string(),
                at: Box::new(at(row)),
            });
        }
        let mut scores = PairScores {
            rows: rows.len(),
            ..PairScores::default()
        };
        let mut interned: HashMap<Vec<(u32, ScoreKey)>, u32> = HashMap::new();
        for of_customer in pairs.chunk_by(|a, b| a.0 == b.0) {
            let key: Vec<(u32, ScoreKey)> = of_customer
                .iter()
                .map(|&(_, m, row)| (m, ScoreKey::of(&row.score)))
                .collect();
            let next = scores.profiles.len() as u32;
            let profile = *interned.entry(key).or_insert_with(|| {
                let by_manager = of_customer
                    .iter()
                    .map(|&(_, _, row)| (Arc::from(row.manager.as_str()), row.score.clone()));
                scores.profiles.push(sorted(by_manager.collect()));
                next
            });
            let customer = &customers.records[of_customer[0].0 as usize].id;
            scores
                .profile_of
                .insert(Arc::from(customer.as_str()), profile);
        }
        scores.digest = Some(digest(&pairs, customers, managers));
        Ok(scores)
    }

    /// Whether there are no scores at all.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// How many (customer, manager) pairs have a score.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// How many distinct sets of scores customers have: scored customers fall into at least
    /// this many pair classes.
    pub fn profiles(&self) -> usize {
        self.profiles.len()
    }

    /// The profile of the customer with id `customer`, if the model scored them.
    pub(crate) fn profile(&self, customer: &str) -> Option<u32> {
        if self.rows == 0 {
            return None;
        }
        self.profile_of.get(customer).copied()
    }

    /// The scores of the customer with id `customer`, if the model scored them.
    pub(crate) fn of_customer(&self, customer: &str) -> Option<&CustomerScores> {
        self.profiles.get(self.profile(customer)? as usize)
    }

    /// The model's score of the pair of customer `customer` and manager `manager` (ids).
    pub fn get(&self, customer: &str, manager: &str) -> Option<&Value> {
        score_for(self.of_customer(customer)?, manager)
    }

    /// One customer's own scores (a lead's), by manager id: each manager scored once, each
    /// score a finite integer or float (the caller checks the managers are in the book).
    /// `source` is what errors call them.
    pub(crate) fn own(
        scores: &[(crate::ManagerId, Value)],
        source: &str,
    ) -> Result<CustomerScores, InputError> {
        let at = || Location::in_source(source).in_column("score");
        for (_, score) in scores {
            check_score(score, at)?;
        }
        let own = sorted(
            scores
                .iter()
                .map(|(m, score)| (Arc::from(m.as_str()), score.clone()))
                .collect(),
        );
        if let Some(pair) = own.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(InputError::DuplicateScore {
                manager: pair[1].0.to_string(),
                at: Box::new(Location::in_source(source)),
            });
        }
        Ok(own)
    }

    /// BLAKE3 of every (customer, manager, score), in hex; `None` without scores.
    pub(crate) fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }
}

/// The score of `manager` (an id) among one customer's `scores`.
pub(crate) fn score_for<'a>(scores: &'a CustomerScores, manager: &str) -> Option<&'a Value> {
    let at = scores.binary_search_by(|(m, _)| (**m).cmp(manager)).ok()?;
    Some(&scores[at].1)
}

/// `scores` sorted by manager id.
fn sorted(mut scores: Vec<(Arc<str>, Value)>) -> CustomerScores {
    scores.sort_by(|a, b| a.0.cmp(&b.0));
    scores.into()
}

/// Fails unless `score` is a finite integer or float; `at` is where it is.
fn check_score(score: &Value, at: impl Fn() -> Location) -> Result<(), InputError> {
    match score {
        Value::Int(_) => Ok(()),
        Value::Float(f) if f.is_finite() => Ok(()),
        Value::Float(_) => Err(InputError::NonFinite { at: at() }),
        _ => Err(InputError::InvalidValue {
            at: at(),
            expected: ValueType::Float,
        }),
    }
}

/// A score as an exact, hashable key: floats by their bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ScoreKey {
    Int(i64),
    Float(u64),
}

impl ScoreKey {
    fn of(value: &Value) -> ScoreKey {
        match value {
            Value::Float(f) => ScoreKey::Float(f.to_bits()),
            Value::Int(i) => ScoreKey::Int(*i),
            // Checked before: every score is one or the other.
            _ => ScoreKey::Int(0),
        }
    }
}

/// The digest of checked scores sorted by (customer position, manager position).
fn digest(pairs: &[(u32, u32, &PairScore)], customers: &Customers, managers: &Managers) -> String {
    let mut bytes = b"apportion scores v1\0".to_vec();
    for &(customer, manager, row) in pairs {
        for id in [
            customers.records[customer as usize].id.as_str(),
            managers.records[manager as usize].id.as_str(),
        ] {
            bytes.extend_from_slice(&(id.len() as u64).to_le_bytes());
            bytes.extend_from_slice(id.as_bytes());
        }
        match ScoreKey::of(&row.score) {
            ScoreKey::Int(i) => {
                bytes.push(0);
                bytes.extend_from_slice(&i.to_le_bytes());
            }
            ScoreKey::Float(bits) => {
                bytes.push(1);
                bytes.extend_from_slice(&bits.to_le_bytes());
            }
        }
    }
    blake3::hash(&bytes).to_hex().to_string()
}
