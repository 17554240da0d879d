//! The comparison on any dashboard: a file compared with itself has no finding, and adding an
//! event then removing it is exactly one info and one error.

use bulletins_dashboard::{
    breaking, lint_file, Account, Dashboard, DashboardFile, EventDefinition, Level, Rule,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Event names and property keys CleverTap accepts, short enough to collide often.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 _-]{0,6}[A-Za-z0-9]|[a-z]"
}

fn event() -> impl Strategy<Value = EventDefinition> {
    (
        name(),
        proptest::collection::btree_set(name(), 0..6),
        any::<Vec<bool>>(),
        proptest::option::of(0..5u64),
    )
        .prop_map(|(name, keys, required, targets)| {
            let keys: Vec<String> = keys.into_iter().collect();
            let required = keys
                .iter()
                .zip(required.iter().chain(std::iter::repeat(&false)))
                .filter(|(_, r)| **r)
                .map(|(k, _)| k.clone());
            let event = EventDefinition::new(name)
                .properties(keys.clone())
                .required(required.collect::<Vec<_>>());
            match targets {
                Some(t) => event.targets(t),
                None => event,
            }
        })
}

fn dashboard() -> impl Strategy<Value = Dashboard> {
    (
        proptest::collection::vec(event(), 0..12),
        proptest::option::of(proptest::collection::btree_set("[A-Z]{2,4}", 1..4)),
    )
        .prop_map(|(events, accounts)| {
            let mut dashboard = Dashboard::new();
            let mut seen = std::collections::HashSet::new();
            for event in events {
                if seen.insert(event.name().to_owned()) {
                    dashboard.add_event(event);
                }
            }
            for (i, id) in accounts.into_iter().flatten().enumerate() {
                dashboard.add_account(Account::new(id, format!("PASS-{i}")));
            }
            dashboard
        })
}

fn file(dashboard: &Dashboard) -> DashboardFile {
    DashboardFile::from_dashboard(dashboard, "bulletins.json").expect("a valid dashboard")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_file_compared_with_itself_has_no_finding(a in dashboard()) {
        let a = file(&a);
        prop_assert_eq!(breaking(&a, &a), vec![]);
        // The lint runs on any valid file and never quotes an account's values.
        for finding in lint_file(&a) {
            prop_assert!(!finding.message().contains("PASS-"), "{}", finding);
        }
    }

    #[test]
    fn adding_then_removing_an_event_is_one_info_and_one_error(
        a in dashboard(),
        added in event(),
        at in any::<Index>(),
    ) {
        prop_assume!(a.event(added.name()).is_none());
        let mut events = a.events().to_vec();
        events.insert(at.index(events.len() + 1), added.clone());
        let mut with = Dashboard::new();
        for event in events {
            with.add_event(event);
        }
        for account in a.accounts().unwrap_or_default() {
            with.add_account(account.clone());
        }
        let (a, with) = (file(&a), file(&with));

        let adding = breaking(&a, &with);
        prop_assert_eq!(adding.len(), 1, "{:#?}", adding);
        prop_assert_eq!(adding[0].rule(), Rule::EventAdded);
        prop_assert_eq!(adding[0].level(), Level::Info);
        prop_assert_eq!(adding[0].event_name(), Some(added.name()));

        let removing = breaking(&with, &a);
        prop_assert_eq!(removing.len(), 1, "{:#?}", removing);
        prop_assert_eq!(removing[0].rule(), Rule::EventRemoved);
        prop_assert_eq!(removing[0].level(), Level::Error);
        prop_assert_eq!(removing[0].event_name(), Some(added.name()));
    }
}
