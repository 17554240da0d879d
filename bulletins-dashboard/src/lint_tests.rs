//! Every lint rule, with its exact message, level and position.

use crate::finding::testing::check;
use crate::{lint, Finding, Level, Position, Rule};

/// The lint of a file with these events, one per line from line 3.
fn lint_events(events: &[&str]) -> Vec<Finding> {
    let text = crate::finding::testing::events_file(events);
    lint(text.as_bytes(), "bulletins.json")
}

#[test]
fn a_clean_file_has_no_findings() {
    let findings = lint_events(&[
        r#"{"name": "order_placed", "properties": ["order_id", "coupon_code"]}"#,
        r#"{"name": "order_shipped", "properties": ["order_id", "carrier"]}"#,
        r#"{"name": "refund_issued"}"#,
    ]);
    assert_eq!(findings, []);
}

#[test]
fn what_the_file_is_refused_for_is_an_error_at_its_position() {
    let findings = lint_events(&[r#"{"name": "e", "properties": ["a"], "required": ["b"]}"#]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    check(
        &findings[0],
        Rule::InvalidFile,
        (3, 53),
        "business event \"e\": required key \"b\" is not among its `properties`; add it there or remove it from `required`",
    );
    assert_eq!(findings[0].level(), Level::Error);
    let findings = lint(b"{\"business_events\": [,]}", "f");
    assert_eq!(findings[0].rule(), Rule::InvalidFile);
    assert_eq!(
        findings[0].position(),
        Position {
            line: 1,
            column: 22
        }
    );
}

#[test]
fn events_differing_only_in_case_spaces_or_separators_are_warned_about() {
    let findings = lint_events(&[r#"{"name": "order_placed"}"#, r#"{"name": "Order-Placed"}"#]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    check(
        &findings[0],
        Rule::SimilarEventNames,
        (4, 14),
        "business events \"Order-Placed\" and \"order_placed\" (line 3) differ only in case, spaces, `_` or `-`: probably one event written two ways; keep one name",
    );
    assert_eq!(findings[0].level(), Level::Warning);
    assert_eq!(findings[0].event_name(), Some("Order-Placed"));
}

#[test]
fn events_one_or_two_edits_apart_are_warned_about_at_the_boundary() {
    let findings = lint_events(&[
        r#"{"name": "order_placed"}"#,
        r#"{"name": "order_placd"}"#,
        r#"{"name": "ordr_plcd"}"#,
    ]);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    check(
        &findings[0],
        Rule::SimilarEventNames,
        (4, 14),
        "business events \"order_placd\" and \"order_placed\" (line 3) are 1 edit apart: probably a typo shipped to the dashboard; keep one name",
    );
    // Three edits from "order_placed": too far; two from "order_placd": close.
    check(
        &findings[1],
        Rule::SimilarEventNames,
        (5, 14),
        "business events \"ordr_plcd\" and \"order_placd\" (line 4) are 2 edits apart: probably a typo shipped to the dashboard; keep one name",
    );
}

#[test]
fn names_under_four_characters_are_not_called_typos() {
    // "lat" and "lon", "id" and "ip": one edit apart, but different names. "sku" and "skus" are
    // at the boundary: the longer has four characters.
    let findings = lint_events(&[
        r#"{"name": "e", "properties": ["lat", "lon", "id", "ip", "sku", "skus", "ID"]}"#,
    ]);
    let keys: Vec<_> = findings
        .iter()
        .map(|f| (f.rule(), f.property_key()))
        .collect();
    assert_eq!(
        keys,
        [
            (Rule::SimilarPropertyKeys, Some("skus")),
            (Rule::SimilarPropertyKeys, Some("ID")),
            (Rule::MixedNamingStyles, Some("ID")),
        ]
    );
}

#[test]
fn properties_of_one_event_that_look_alike_are_warned_about() {
    let findings = lint_events(&[
        r#"{"name": "e", "properties": ["coupon_code", "couponCode"]}"#,
        r#"{"name": "refund_issued", "properties": ["coupon_code"]}"#,
    ]);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    check(
        &findings[0],
        Rule::SimilarPropertyKeys,
        (3, 49),
        "business event \"e\": properties \"couponCode\" and \"coupon_code\" (line 3) differ only in case, spaces, `_` or `-`: probably one property written two ways; keep one key",
    );
    assert_eq!(findings[0].property_key(), Some("couponCode"));
    // Also a camelCase key among snake_case ones.
    assert_eq!(findings[1].rule(), Rule::MixedNamingStyles);
    let findings = lint_events(&[r#"{"name": "e", "properties": ["program_id", "program_ids"]}"#]);
    assert_eq!(
        findings[0].message(),
        "business event \"e\": properties \"program_ids\" and \"program_id\" (line 3) are 1 edit apart: probably one property written two ways; keep one key"
    );
}

#[test]
fn a_name_in_another_style_than_most_is_warned_about_with_the_majority_named() {
    let findings = lint_events(&[
        r#"{"name": "Program Released", "properties": ["program_id", "language", "prevProgramId"]}"#,
        r#"{"name": "Price Drop", "properties": ["product_id", "new_price"]}"#,
        r#"{"name": "order_placed", "properties": ["order_id"]}"#,
    ]);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    check(
        &findings[0],
        Rule::MixedNamingStyles,
        (3, 75),
        "business event \"Program Released\": property \"prevProgramId\" is camelCase, but most property keys in this file are snake_case (5 of 6); keep one style",
    );
    assert_eq!(findings[0].property_key(), Some("prevProgramId"));
    check(
        &findings[1],
        Rule::MixedNamingStyles,
        (5, 14),
        "business event \"order_placed\" is snake_case, but most event names in this file are Title Case (2 of 3); keep one style",
    );
    assert_eq!(findings[1].level(), Level::Warning);
}

#[test]
fn without_a_majority_the_most_common_style_is_named() {
    let findings = lint_events(&[
        r#"{"name": "Program Released"}"#,
        r#"{"name": "orderPlaced"}"#,
    ]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].message(),
        "business event \"Program Released\" is Title Case, but the most common style of event names in this file is camelCase (1 of 2); keep one style"
    );
}

#[test]
fn one_word_names_fit_any_majority_and_odd_names_are_not_judged() {
    let findings = lint_events(&[
        r#"{"name": "order_placed"}"#,
        r#"{"name": "refund"}"#,
        r#"{"name": "Order placed (v2)"}"#,
    ]);
    assert_eq!(findings, []);
}

#[test]
fn a_numbered_series_is_not_a_typo() {
    let findings = lint_events(&[
        r#"{"name": "Level 1 Completed", "properties": ["address_line1", "address_line2"]}"#,
        r#"{"name": "Level 2 Completed"}"#,
        r#"{"name": "Level 10 Completed"}"#,
        r#"{"name": "Level 2 Complete"}"#,
    ]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        findings[0].message(),
        "business events \"Level 2 Complete\" and \"Level 2 Completed\" (line 4) are 1 edit apart: probably a typo shipped to the dashboard; keep one name"
    );
}

#[test]
fn a_name_like_several_earlier_ones_is_reported_once_with_the_closest() {
    let findings = lint_events(&[
        r#"{"name": "order_placed"}"#,
        r#"{"name": "order_placd"}"#,
        r#"{"name": "order_plcd"}"#,
    ]);
    let pairs: Vec<_> = findings
        .iter()
        .map(|f| (f.event_name(), f.position().line))
        .collect();
    assert_eq!(pairs, [(Some("order_placd"), 4), (Some("order_plcd"), 5)]);
    assert!(
        findings[1]
            .message()
            .contains("and \"order_placd\" (line 4) are 1 edit apart"),
        "{}",
        findings[1]
    );
}
