//! Linking quality against synthetic ground truth: pairwise precision and recall.
//!
//! Every pair of referrals placed in one subject is a predicted pair; every pair with the same true suspect is
//! a true pair. Precision is the share of predicted pairs that are true, recall the share of true pairs found.

use crate::gate::Why;
use crate::{App, Result};
use serde::Serialize;
use severn_domain::access::{Action, Actor};
use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    pub referrals: u64,
    pub predicted_pairs: u64,
    pub true_pairs: u64,
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Compares predicted clusters with true ones over the references both know.
pub fn pairwise<P: Eq + Hash + Copy, T: Eq + Hash + Clone>(
    predicted: &HashMap<String, P>,
    truth: &HashMap<String, T>,
) -> Quality {
    let mut by_predicted: HashMap<P, u64> = HashMap::new();
    let mut by_truth: HashMap<T, u64> = HashMap::new();
    let mut by_both: HashMap<(P, T), u64> = HashMap::new();
    let mut referrals = 0;
    for (reference, p) in predicted {
        let Some(t) = truth.get(reference) else {
            continue;
        };
        referrals += 1;
        *by_predicted.entry(*p).or_default() += 1;
        *by_truth.entry(t.clone()).or_default() += 1;
        *by_both.entry((*p, t.clone())).or_default() += 1;
    }
    let predicted_pairs: u64 = by_predicted.values().map(|n| pairs(*n)).sum();
    let true_pairs: u64 = by_truth.values().map(|n| pairs(*n)).sum();
    let correct_pairs: u64 = by_both.values().map(|n| pairs(*n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Quality {
        referrals,
        predicted_pairs,
        true_pairs,
        correct_pairs,
        precision: ratio(correct_pairs, predicted_pairs),
        recall: ratio(correct_pairs, true_pairs),
    }
}

/// Reads `ground-truth.csv` (`source_ref,suspect`) as written by `severn synth`.
pub fn read_ground_truth(path: &std::path::Path) -> std::io::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .map(|(reference, suspect)| (reference.to_owned(), suspect.trim().to_owned()))
        .collect())
}

impl App {
    /// Linking quality against `truth` (source reference → true suspect). Operators only: it reads which
    /// subject every referral of every force is in, and a reference in `truth` that is found would tell the
    /// caller it exists.
    pub async fn quality_report(
        &self,
        actor: &Actor,
        truth: &HashMap<String, String>,
    ) -> Result<Quality> {
        let tx = self.db().begin_read().await?;
        let tx = self
            .authorise(
                tx,
                actor,
                Action::MeasureLinking,
                "referrals:all",
                Why {
                    detail: Some(format!("{} references of ground truth", truth.len())),
                    ..Why::default()
                },
            )
            .await?;
        let grant = tx.scope().clone();
        tx.commit().await?;
        let mut predicted = HashMap::new();
        let mut after = 0;
        loop {
            let mut tx = self.gate.begin_read_under(&grant).await?;
            let page = tx.referral_subjects_after(after, 10_000).await?;
            tx.commit().await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.0;
            for (_, reference, subject) in page {
                predicted.insert(reference, subject.0);
            }
        }
        Ok(pairwise(&predicted, truth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_counts_pairs() {
        let truth: HashMap<String, &str> = [("a", "x"), ("b", "x"), ("c", "x"), ("d", "y")]
            .iter()
            .map(|(r, t)| (r.to_string(), *t))
            .collect();
        // {a,b} {c,d}: one correct pair of two predicted; three true pairs.
        let predicted: HashMap<String, i32> = [("a", 1), ("b", 1), ("c", 2), ("d", 2)]
            .iter()
            .map(|(r, p)| (r.to_string(), *p))
            .collect();
        let q = pairwise(&predicted, &truth);
        assert_eq!(
            (q.predicted_pairs, q.true_pairs, q.correct_pairs),
            (2, 3, 1)
        );
        assert!((q.precision - 0.5).abs() < 1e-9);
        assert!((q.recall - 1.0 / 3.0).abs() < 1e-9);
    }
}
