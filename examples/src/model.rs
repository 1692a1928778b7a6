//! The example bank's fit model: a made-up model that scores how well the managers of an
//! affluent customer's region would suit them, as a bank's data team would hand its scores
//! over (`model_scores.csv`: customer, manager, score). The rulebook adds a score to the
//! pair's affinity where there is one (`pair_score(c, m)`). Each customer's scores come from a
//! stream of their own, so they never change the rest of the bank.

use crate::bank::{AFFLUENT_ASSETS, CustomerRow, ManagerRow};
use crate::rng::Rng;

/// The stream of the model's scores (the bank's own streams are 1 to 3).
const STREAM_SCORES: u64 = 4;

/// Managers the model scores for each customer it scores.
const SCORED_MANAGERS: usize = 3;

/// One row of `model_scores.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRow {
    /// The customer's id.
    pub customer: String,
    /// The manager's id.
    pub manager: String,
    /// Fit points, 10 to 60 in steps of 10: the model's probability scaled as the bank's
    /// analysts scale it.
    pub score: i64,
}

/// The columns of `model_scores.csv`, in order.
pub const SCORE_COLUMNS: [&str; 3] = ["customer", "manager", "score"];

impl ScoreRow {
    /// The row's CSV cells, in [`SCORE_COLUMNS`] order.
    pub fn record(&self) -> [String; 3] {
        [
            self.customer.clone(),
            self.manager.clone(),
            self.score.to_string(),
        ]
    }
}

/// The model's scores: for each affluent customer (assets of at least [`AFFLUENT_ASSETS`]),
/// three managers of their region, those who speak the customer's language likelier and
/// scored higher. In customer order, then manager order.
pub fn scores(customers: &[CustomerRow], managers: &[ManagerRow], seed: u64) -> Vec<ScoreRow> {
    let mut rows = Vec::new();
    for (index, customer) in customers.iter().enumerate() {
        if customer.assets < AFFLUENT_ASSETS {
            continue;
        }
        let local: Vec<&ManagerRow> = managers
            .iter()
            .filter(|m| m.region == customer.region)
            .collect();
        let mut rng = Rng::stream(seed, STREAM_SCORES, index as u64);
        let mut weights: Vec<f64> = local
            .iter()
            .map(|m| match m.languages.contains(&customer.language) {
                true => 3.0,
                false => 1.0,
            })
            .collect();
        // Drawn without replacement: a manager drawn weighs nothing after.
        let mut chosen: Vec<usize> = (0..SCORED_MANAGERS.min(local.len()))
            .map(|_| {
                let pick = rng.weighted(&weights);
                weights[pick] = 0.0;
                pick
            })
            .collect();
        chosen.sort_unstable();
        for pick in chosen {
            let speaks = local[pick].languages.contains(&customer.language);
            let score = 10 * rng.range(1, 4) + if speaks { 20 } else { 0 };
            rows.push(ScoreRow {
                customer: customer.id.clone(),
                manager: local[pick].id.clone(),
                score,
            });
        }
    }
    rows
}
