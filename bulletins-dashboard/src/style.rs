//! Naming styles: `order_placed` is snake_case, `Program Released` Title Case.

/// A naming style. The order is the preference when two styles fit as many names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Snake,
    Camel,
    Pascal,
    Kebab,
    ScreamingSnake,
    Title,
    Sentence,
    LowerWords,
}

impl Style {
    pub(crate) const ALL: [Style; 8] = [
        Style::Snake,
        Style::Camel,
        Style::Pascal,
        Style::Kebab,
        Style::ScreamingSnake,
        Style::Title,
        Style::Sentence,
        Style::LowerWords,
    ];

    /// The style's name, written in the style where it can be.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Style::Snake => "snake_case",
            Style::Camel => "camelCase",
            Style::Pascal => "PascalCase",
            Style::Kebab => "kebab-case",
            Style::ScreamingSnake => "SCREAMING_SNAKE_CASE",
            Style::Title => "Title Case",
            Style::Sentence => "Sentence case",
            Style::LowerWords => "lower case words",
        }
    }

    /// Whether `name` is written in this style. A one-word name fits several
    /// (`language` is snake_case, camelCase, kebab-case and lower case words).
    pub(crate) fn fits(self, name: &str) -> bool {
        let lower = |w: &str| {
            w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        let upper = |w: &str| {
            w.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        let alnum = |w: &str| w.bytes().all(|b| b.is_ascii_alphanumeric());
        let first = name.bytes().next().unwrap_or_default();
        match self {
            Style::Snake => words(name, '_', lower) && has(name, u8::is_ascii_lowercase),
            Style::Kebab => words(name, '-', lower) && has(name, u8::is_ascii_lowercase),
            Style::ScreamingSnake => words(name, '_', upper) && has(name, u8::is_ascii_uppercase),
            Style::LowerWords => words(name, ' ', lower) && has(name, u8::is_ascii_lowercase),
            Style::Camel => alnum(name) && first.is_ascii_lowercase(),
            Style::Pascal => alnum(name) && first.is_ascii_uppercase(),
            Style::Title => {
                words(name, ' ', |w| {
                    alnum(w) && !w.as_bytes()[0].is_ascii_lowercase()
                }) && first.is_ascii_uppercase()
            }
            Style::Sentence => {
                let mut parts = name.split(' ');
                let head = parts.next().unwrap_or_default();
                name.contains(' ')
                    && first.is_ascii_uppercase()
                    && lower(&head[1..])
                    && words(&name[head.len() + 1..], ' ', lower)
            }
        }
    }

    /// The first style, in order of preference, that `name` fits.
    pub(crate) fn of(name: &str) -> Option<Style> {
        Style::ALL.into_iter().find(|style| style.fits(name))
    }
}

/// Whether `name` is non-empty words joined by single `separator`s, each word passing `word`.
fn words(name: &str, separator: char, word: impl Fn(&str) -> bool) -> bool {
    name.split(separator).all(|w| !w.is_empty() && word(w))
}

fn has(name: &str, class: fn(&u8) -> bool) -> bool {
    name.bytes().any(|b| class(&b))
}

/// The style most `names` fit (the first in order of preference among equals), with how many
/// fit it and how many fit any style; `None` when fewer than two names fit one.
pub(crate) fn majority<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Option<(Style, usize, usize)> {
    let mut counts = [0usize; Style::ALL.len()];
    let mut classified = 0;
    for name in names {
        let mut any = false;
        for (count, style) in counts.iter_mut().zip(Style::ALL) {
            if style.fits(name) {
                *count += 1;
                any = true;
            }
        }
        classified += usize::from(any);
    }
    let (best, count) =
        counts.iter().enumerate().fold(
            (0, 0),
            |best, (i, &c)| if c > best.1 { (i, c) } else { best },
        );
    (classified >= 2).then_some((Style::ALL[best], count, classified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_style_is_recognised() {
        for (name, style) in [
            ("order_placed", Style::Snake),
            ("orderPlaced", Style::Camel),
            ("OrderPlaced", Style::Pascal),
            ("order-placed", Style::Kebab),
            ("ORDER_PLACED", Style::ScreamingSnake),
            ("Program Released", Style::Title),
            ("Program released", Style::Sentence),
            ("program released", Style::LowerWords),
            ("order_id2", Style::Snake),
            ("Top 10 Picks", Style::Title),
        ] {
            assert_eq!(Style::of(name), Some(style), "{name}");
        }
    }

    #[test]
    fn one_word_fits_several_and_odd_names_fit_none() {
        for style in [Style::Snake, Style::Camel, Style::Kebab, Style::LowerWords] {
            assert!(style.fits("language"), "{style:?}");
        }
        assert!(Style::Title.fits("Language") && Style::Pascal.fits("Language"));
        assert!(!Style::Sentence.fits("Language"));
        for odd in [
            "order__placed",
            "_order",
            "Order-Placed v2",
            "Program  Released",
            "é",
            "123",
        ] {
            assert_eq!(Style::of(odd), None, "{odd}");
        }
    }

    #[test]
    fn the_majority_needs_two_names_and_prefers_the_earlier_style_on_a_tie() {
        assert_eq!(majority(["order_placed"]), None);
        assert_eq!(majority(["order_placed", "??"]), None);
        assert_eq!(
            majority(["order_placed", "orderShipped", "refund_issued"]),
            Some((Style::Snake, 2, 3))
        );
        assert_eq!(
            majority(["Program Released", "orderPlaced"]),
            Some((Style::Camel, 1, 2))
        );
    }
}
