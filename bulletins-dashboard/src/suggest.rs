//! "Did you mean": the known names closest to a mistyped one.

/// The candidates closest to `wanted`, best first: at most `max` of them, and only those
/// close enough to be a plausible typo (an edit distance of at most a third of the longer
/// name, or differing only in case, spaces, `_` and `-`).
///
/// ```
/// let known = ["Program Released", "Program Removed", "order_placed"];
/// assert_eq!(
///     bulletins_dashboard::closest("Program Releasd", known, 2),
///     ["Program Released", "Program Removed"],
/// );
/// assert!(bulletins_dashboard::closest("zzz", known, 2).is_empty());
/// ```
pub fn closest<'a, I>(wanted: &str, candidates: I, max: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_folded = fold(wanted);
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter(|candidate| *candidate != wanted)
        .filter_map(|candidate| {
            if fold(candidate) == wanted_folded {
                return Some((0, candidate));
            }
            let distance = edit_distance(wanted, candidate);
            let longer = wanted.chars().count().max(candidate.chars().count());
            (distance * 3 <= longer.max(3)).then_some((distance, candidate))
        })
        .collect();
    scored.sort_by_key(|(distance, _)| *distance);
    scored.dedup_by_key(|(_, candidate)| *candidate);
    scored.into_iter().take(max).map(|(_, c)| c).collect()
}

/// The name with case, spaces, `_` and `-` ignored: `Order Placed`, `order_placed` and
/// `orderPlaced` are one name to a reader.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance in characters, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("語語", "語"), 1);
    }

    #[test]
    fn case_and_separators_count_as_the_same_name() {
        let known = ["order_placed", "OrderShipped"];
        assert_eq!(closest("Order Placed", known, 3), ["order_placed"]);
        assert_eq!(closest("order-shipped", known, 3), ["OrderShipped"]);
    }

    #[test]
    fn far_names_are_not_suggested_and_max_is_kept() {
        let known = ["language", "languages", "langage", "program_id"];
        assert_eq!(closest("languag", known, 2), ["language", "languages"]);
        assert!(closest("x", known, 2).is_empty());
    }
}
