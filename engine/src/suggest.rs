//! "Did you mean `assets`?": the known name nearest to a misspelt one, for errors about an
//! unknown field or column.

use std::fmt;

/// The candidate nearest to `name` by edit distance (letters inserted, deleted or changed,
/// ignoring case), if one is close enough to be a typo: at most a third of the name's length,
/// and at least 1. Ties go to the first candidate, so the answer depends only on the order
/// the caller gives.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let name: Vec<char> = name.to_lowercase().chars().collect();
    let allowed = (name.len() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let lower: Vec<char> = candidate.to_lowercase().chars().collect();
        // Lengths apart by more than allowed cannot be within it.
        if lower.len().abs_diff(name.len()) > allowed {
            continue;
        }
        let distance = edit_distance(&name, &lower);
        if distance <= allowed && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance, one row at a time.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Formats an optional suggestion as ` (did you mean `x`?)`, or nothing.
pub(crate) struct DidYouMean<'a>(pub(crate) &'a Option<String>);

impl fmt::Display for DidYouMean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(name) => write!(f, " (did you mean `{name}`?)"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_name_it_was_meant_to_be() {
        let names = ["assets", "products", "segment", "opened"];
        assert_eq!(nearest("produts", names).as_deref(), Some("products"));
        assert_eq!(nearest("asets", names).as_deref(), Some("assets"));
        assert_eq!(nearest("Segmnet", names).as_deref(), Some("segment"));
    }

    #[test]
    fn a_name_unlike_any_gets_no_suggestion() {
        let names = ["assets", "products"];
        assert_eq!(nearest("region", names), None);
        assert_eq!(nearest("x", ["assets"]), None);
        assert_eq!(nearest("anything", []), None);
    }

    #[test]
    fn the_closest_of_several_wins_and_ties_go_to_the_first() {
        assert_eq!(
            nearest("tier", ["tiers", "tier2", "tie"]).as_deref(),
            Some("tiers")
        );
        assert_eq!(nearest("abcd", ["abcx", "abcd_"]).as_deref(), Some("abcx"));
        assert_eq!(nearest("abcd", ["abce", "abcf"]).as_deref(), Some("abce"));
        assert_eq!(edit_distance(&['a', 'b'], &['b', 'a']), 2);
    }
}
