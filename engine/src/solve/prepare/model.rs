//! What a model's scores add to the affinity of the pairs they score, for the plan's cost
//! parts: a pair's affinity less what it would be were the model silent on it. Found per
//! (pair class, scored manager), so the work is bounded by the score table's rows.

use super::classes::PairClasses;
use crate::date::Date;
use crate::eval::pair::{self, Representative, Verdicts};
use crate::model::{Book, Customer, Value};
use crate::rules::Rulebook;
use crate::scores::SCORE_READ;

/// Per (pair class, manager) the model scores and the class finds eligible: what the score
/// adds to the class's affinity there.
pub(crate) type ScoreParts = foldhash::HashMap<(u32, u32), i64>;

/// The score parts of every eligible scored pair of `classes`, whose verdicts are `eligibility`
/// and whose customers' derived values are `derived`; `masked`, the classes were made without
/// the current manager (a stay bonus kept apart), so the rules see none. Empty when the
/// book has no scores or `affinity` does not read them. A class whose rule fails without its
/// score counts its whole affinity as the score's.
pub(crate) fn score_parts(
    book: &Book,
    rulebook: &Rulebook,
    (classes, eligibility, derived): (&PairClasses, &Verdicts, &[Option<&[Value]>]),
    masked: bool,
    as_of: Date,
) -> ScoreParts {
    let reads_scores = rulebook
        .pair_rules()
        .affinity_reads
        .iter()
        .any(|read| read == SCORE_READ);
    if book.scores.is_empty() || !reads_scores {
        return ScoreParts::default();
    }
    let customers = &book.customers.records;
    let managers = &book.managers.records;
    // (class, manager, affinity with the score) for every scored eligible pair.
    let mut scored = Vec::new();
    let mut masked_customers: Vec<Customer> = Vec::new();
    let mut rows = Vec::new();
    for (class, &row) in classes.representatives.iter().enumerate() {
        let customer = &customers[row];
        if book.scores.profile(customer.id.as_str()).is_none() || derived[row].is_none() {
            continue;
        }
        let Ok(eligible) = eligibility.get(class) else {
            continue;
        };
        let before = scored.len();
        for &(m, affinity) in eligible.iter() {
            let manager = managers[m as usize].id.as_str();
            if book.scores.get(customer.id.as_str(), manager).is_some() {
                scored.push((class as u32, m, affinity));
            }
        }
        if scored.len() > before {
            rows.push((row, scored.len() - before));
            if masked {
                masked_customers.push(Customer {
                    manager: None,
                    ..customer.clone()
                });
            }
        }
    }
    let mut pairs = Vec::with_capacity(scored.len());
    let mut next = scored.iter();
    for (i, &(row, count)) in rows.iter().enumerate() {
        let customer = masked_customers.get(i).unwrap_or(&customers[row]);
        for &(_, m, _) in next.by_ref().take(count) {
            let representative = Representative {
                customer,
                derived: derived[row].unwrap_or_default(),
                scores: None,
            };
            pairs.push((representative, m));
        }
    }
    let unscored = pair::affinities_unscored(
        rulebook,
        (&book.customers.schema, &book.managers),
        &pairs,
        as_of,
    );
    scored
        .iter()
        .zip(unscored)
        .map(|(&(class, m, affinity), without)| {
            let part = without.map_or(affinity, |without| affinity.saturating_sub(without));
            ((class, m), part)
        })
        .collect()
}
