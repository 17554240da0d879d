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

/// Edit distance in characters, counting an insertion, a deletion, a substitution or a swap of
/// two neighbours as one edit (optimal string alignment): `dispaly` is one edit from `display`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: the distance between the first i characters of a and the first j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("語語", "語"), 1);
        assert_eq!(edit_distance("dispaly", "display"), 1);
        assert_eq!(edit_distance("requried", "requires"), 2);
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
