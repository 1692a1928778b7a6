//! What the pair rules `eligible(c, m)` and `affinity(c, m)` are and read, found from the
//! script when the rulebook is compiled. Running them is `eval::pair`'s.

use std::collections::BTreeMap;

use super::analysis::Analysis;
use super::{AFFINITY, ELIGIBLE, MANAGER_PROPERTIES};
use crate::error::{Position, Result, RuleError};
use crate::model::Schema;
use crate::scores::SCORE_READ;
use crate::suggest;

/// What the pair rules are and read, found from the script itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PairRules {
    /// Where `eligible(c, m)` is defined; without it every manager is eligible.
    pub eligible: Option<Position>,
    /// Where `affinity(c, m)` is defined; without it every affinity is 0.
    pub affinity: Option<Position>,
    /// Customer fields (input or derived) the pair rules read, sorted.
    pub customer_reads: Vec<String>,
    /// Those `eligible` reads, and those `affinity` reads: each rule runs once per class of
    /// customers agreeing on its own reads.
    pub eligible_reads: Vec<String>,
    /// See `eligible_reads`.
    pub affinity_reads: Vec<String>,
    /// Manager fields the pair rules read, sorted.
    pub manager_reads: Vec<String>,
    /// Whether they read the customer in a way the analysis cannot follow: then every customer
    /// is its own class (correct, slower).
    pub reads_customer_dynamically: bool,
    /// (rule, manager field, first place read), to check against the managers' schema.
    manager_read_sites: Vec<(String, String, Option<Position>)>,
}

impl PairRules {
    pub(crate) fn of(analysis: &Analysis) -> PairRules {
        let mut pair = PairRules::default();
        let mut customer_reads = BTreeMap::new();
        let mut manager_reads = BTreeMap::new();
        for name in [ELIGIBLE, AFFINITY] {
            let Some(index) = analysis.find(name, 2) else {
                continue;
            };
            let position = analysis.functions[index].position;
            if name == ELIGIBLE {
                pair.eligible = position.or(Some(Position { line: 1, column: 1 }));
            } else {
                pair.affinity = position.or(Some(Position { line: 1, column: 1 }));
            }
            let customer = analysis.reads(index, 0);
            pair.reads_customer_dynamically |= customer.dynamic;
            let reads: Vec<String> = customer.fields.keys().cloned().collect();
            if name == ELIGIBLE {
                pair.eligible_reads = reads;
            } else {
                pair.affinity_reads = reads;
            }
            customer_reads.extend(customer.fields);
            for (field, at) in analysis.reads(index, 1).fields {
                pair.manager_read_sites
                    .push((name.to_owned(), field.clone(), at));
                manager_reads.insert(field, at);
            }
        }
        pair.customer_reads = customer_reads.into_keys().collect();
        pair.manager_reads = manager_reads.into_keys().collect();
        pair
    }

    /// Whether a pair rule reads a model's scores (`pair_score(c, m)`): without, scores given
    /// with the book change nothing.
    pub fn reads_scores(&self) -> bool {
        self.customer_reads.iter().any(|read| read == SCORE_READ)
    }

    /// Whether the rulebook has any pair rule.
    pub fn is_empty(&self) -> bool {
        self.eligible.is_none() && self.affinity.is_none()
    }

    /// Where a pair rule reads `field` of a manager, if anywhere.
    pub(crate) fn manager_read(&self, field: &str) -> Option<(&str, Option<Position>)> {
        self.manager_read_sites
            .iter()
            .find(|(_, read, _)| read == field)
            .map(|(rule, _, position)| (rule.as_str(), *position))
    }

    pub(crate) fn check_managers(&self, schema: &Schema) -> Result<()> {
        for (rule, field, position) in &self.manager_read_sites {
            if schema.position(field).is_none() && !MANAGER_PROPERTIES.contains(&field.as_str()) {
                let names = schema.fields().iter().map(|f| f.name.as_str());
                return Err(RuleError::UnknownManagerField {
                    rule: rule.clone(),
                    field: field.clone(),
                    position: *position,
                    suggestion: suggest::nearest(
                        field,
                        names.chain(MANAGER_PROPERTIES.iter().copied()),
                    ),
                }
                .into());
            }
        }
        Ok(())
    }
}
