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
    let wanted = Name::new(wanted);
    let mut scored: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter(|candidate| *candidate != wanted.text)
        .filter_map(
            |candidate| match likeness(&wanted, &Name::new(candidate), usize::MAX)? {
                Likeness::Folded => Some((0, candidate)),
                Likeness::Edits(distance) => Some((distance, candidate)),
            },
        )
        .collect();
    scored.sort_by_key(|(distance, _)| *distance);
    scored.dedup_by_key(|(_, candidate)| *candidate);
    scored.into_iter().take(max).map(|(_, c)| c).collect()
}

/// The one candidate [`closest`] would put first, with each name prepared once: for callers
/// that compare many names with many (the comparison of two files, the lint).
pub(crate) fn best<'a>(wanted: &Name<'_>, candidates: &[Name<'a>]) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates.iter().filter(|c| c.text != wanted.text) {
        // Only a strictly closer candidate replaces the best, as the stable sort in `closest`.
        let max_edits = best.map_or(usize::MAX, |(distance, _)| distance - 1);
        match likeness(wanted, candidate, max_edits) {
            Some(Likeness::Folded) => return Some(candidate.text),
            Some(Likeness::Edits(distance)) => best = Some((distance, candidate.text)),
            None => {}
        }
    }
    best.map(|(_, text)| text)
}

/// How many buckets a name's characters are counted in, for [`Name::bag_distance`].
const BAGS: usize = 64;

/// A character's bucket: one for each ASCII letter and digit (numbered names differ in their
/// digits), one for the separators, one for everything else.
fn bucket(c: char) -> usize {
    match c {
        'a'..='z' => c as usize - 'a' as usize,
        'A'..='Z' => 26 + (c as usize - 'A' as usize),
        '0'..='9' => 52 + (c as usize - '0' as usize),
        ' ' | '_' | '-' => 62,
        _ => 63,
    }
}

/// A name prepared for comparison: its characters, its [`fold`] and how many of its characters
/// fall in each bucket, computed once.
#[derive(Debug, Clone)]
pub(crate) struct Name<'a> {
    pub(crate) text: &'a str,
    folded: String,
    chars: Vec<char>,
    bag: [u8; BAGS],
}

impl<'a> Name<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut bag = [0u8; BAGS];
        for c in &chars {
            let count = &mut bag[bucket(*c)];
            *count = count.saturating_add(1);
        }
        Self {
            text,
            folded: fold(text),
            chars,
            bag,
        }
    }

    /// A lower bound of the edit distance, in one pass over the buckets: each edit changes at
    /// most one character on each side, so it moves each side's surplus by at most one.
    /// (Characters sharing a bucket, or counts past 255, only make the bound lower.)
    fn bag_distance(&self, other: &Name<'_>) -> usize {
        let (mut more, mut fewer) = (0usize, 0usize);
        for (a, b) in self.bag.iter().zip(&other.bag) {
            more += usize::from(a.saturating_sub(*b));
            fewer += usize::from(b.saturating_sub(*a));
        }
        more.max(fewer)
    }

    /// Its length in characters.
    pub(crate) fn chars(&self) -> usize {
        self.chars.len()
    }
}

/// How two different names are alike enough to be one name mistyped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Likeness {
    /// They differ only in case, spaces, `_` and `-`.
    Folded,
    /// They are this many edits apart (and that is at most a third of the longer name).
    Edits(usize),
}

/// Whether `candidate` is a plausible typo of `wanted`: the same name once folded, or at most
/// `max_edits` edits apart where that is at most a third of the longer name (short names count
/// as 3 here: `id` and `ip` are one typo apart).
pub(crate) fn likeness(
    wanted: &Name<'_>,
    candidate: &Name<'_>,
    max_edits: usize,
) -> Option<Likeness> {
    if candidate.folded == wanted.folded {
        return Some(Likeness::Folded);
    }
    let longer = wanted.chars().max(candidate.chars()).max(3);
    let max = max_edits.min(longer / 3);
    if wanted.bag_distance(candidate) > max {
        return None;
    }
    distance_within(&wanted.chars, &candidate.chars, max).map(Likeness::Edits)
}

/// The name with case, spaces, `_` and `-` ignored: `Order Placed`, `order_placed` and
/// `orderPlaced` are one name to a reader.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The edit distance between `a` and `b` when it is at most `max`, counting an insertion, a
/// deletion, a substitution or a swap of two neighbours as one edit (optimal string
/// alignment): `dispaly` is one edit from `display`.
///
/// Only the cells within `max` of the diagonal are computed (the others are more than `max`
/// already), and the walk stops at the first row whose cells all exceed `max`: a 500 × 500
/// comparison of two files' names costs milliseconds, not seconds.
fn distance_within(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Any value above `max` is as good as infinite.
    let over = max.saturating_add(1);
    let width = b.len() + 1;
    // Rows i - 2, i - 1 and i of the table d[i][j] (the distance between the first i
    // characters of a and the first j of b).
    let mut two_back = vec![over; width];
    let mut previous: Vec<usize> = (0..width).map(|j| j.min(over)).collect();
    let mut current = vec![over; width];
    for i in 1..=a.len() {
        let low = i.saturating_sub(max).max(1);
        let high = i.saturating_add(max).min(b.len());
        current[0] = i.min(over);
        // The cells beside the band read as out of reach, whatever an older row left there.
        current[low - 1] = if low == 1 { current[0] } else { over };
        if high < b.len() {
            current[high + 1] = over;
        }
        let mut row_min = current[0];
        for j in low..=high {
            let substitution = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut d = substitution.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            current[j] = d.min(over);
            row_min = row_min.min(current[j]);
        }
        // Every path to the end crosses this row (a swap skips a row, but the cell it skips
        // from is at most one more): nothing below can come back within `max`.
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut two_back, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The whole table, as the distance was computed before it was banded: the oracle.
    fn edit_distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
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

    fn within(a: &str, b: &str, max: usize) -> Option<usize> {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        distance_within(&a, &b, max)
    }

    #[test]
    fn distance_counts_edits() {
        for (a, b, distance) in [
            ("kitten", "sitting", 3),
            ("", "abc", 3),
            ("語語", "語", 1),
            ("dispaly", "display", 1),
            ("requried", "requires", 2),
            ("ca", "abc", 3),
        ] {
            assert_eq!(edit_distance(a, b), distance, "{a} {b}");
            assert_eq!(within(a, b, 9), Some(distance), "{a} {b}");
            assert_eq!(within(a, b, distance), Some(distance), "{a} {b}");
            assert_eq!(within(a, b, distance - 1), None, "{a} {b}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_banded_distance_is_the_whole_tables(
            a in "[abc_]{0,9}",
            b in "[abc_]{0,9}",
            max in 0usize..6,
        ) {
            let whole = edit_distance(&a, &b);
            prop_assert_eq!(within(&a, &b, max), (whole <= max).then_some(whole));
        }

        #[test]
        fn the_bag_distance_is_a_lower_bound(a in "[a-zA-Z0-9 _語]{0,12}", b in "[a-zA-Z0-9 _語]{0,12}") {
            prop_assert!(Name::new(&a).bag_distance(&Name::new(&b)) <= edit_distance(&a, &b));
        }

        #[test]
        fn best_is_what_closest_puts_first(
            wanted in "[aAbB _]{1,6}",
            candidates in proptest::collection::vec("[aAbB _]{1,6}", 0..8),
        ) {
            let names: Vec<Name<'_>> = candidates.iter().map(|c| Name::new(c)).collect();
            let first = closest(&wanted, candidates.iter().map(String::as_str), 1);
            prop_assert_eq!(best(&Name::new(&wanted), &names), first.first().copied());
        }
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
