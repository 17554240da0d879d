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
        .filter_map(
            |candidate| match likeness(wanted, &wanted_folded, candidate, usize::MAX)? {
                Likeness::Folded => Some((0, candidate)),
                Likeness::Edits(distance) => Some((distance, candidate)),
            },
        )
        .collect();
    scored.sort_by_key(|(distance, _)| *distance);
    scored.dedup_by_key(|(_, candidate)| *candidate);
    scored.into_iter().take(max).map(|(_, c)| c).collect()
}

/// How two different names are alike enough to be one name mistyped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Likeness {
    /// They differ only in case, spaces, `_` and `-`.
    Folded,
    /// They are this many edits apart (and that is at most a third of the longer name).
    Edits(usize),
}

/// Whether `candidate` is a plausible typo of `wanted` (whose [`fold`] is `wanted_folded`):
/// the same name once folded, or at most `max_edits` edits apart where that is at most a third
/// of the longer name (short names are at least 3 here: `id` and `ip` are one typo apart).
pub(crate) fn likeness(
    wanted: &str,
    wanted_folded: &str,
    candidate: &str,
    max_edits: usize,
) -> Option<Likeness> {
    if fold(candidate) == wanted_folded {
        return Some(Likeness::Folded);
    }
    let (wanted_chars, candidate_chars) = (wanted.chars().count(), candidate.chars().count());
    // The difference in length is a lower bound of the distance: skip the table when it says no.
    let lower_bound = wanted_chars.abs_diff(candidate_chars);
    let longer = wanted_chars.max(candidate_chars).max(3);
    if lower_bound > max_edits || lower_bound * 3 > longer {
        return None;
    }
    let distance = edit_distance(wanted, candidate);
    (distance <= max_edits && distance * 3 <= longer).then_some(Likeness::Edits(distance))
}

/// The name with case, spaces, `_` and `-` ignored: `Order Placed`, `order_placed` and
/// `orderPlaced` are one name to a reader.
pub(crate) fn fold(name: &str) -> String {
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
