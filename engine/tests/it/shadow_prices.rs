//! Shadow prices against the objective itself: one more place at a manager (or under one of
//! its segment caps) lowers the optimum by at most the price, and one place fewer raises it
//! by at least the price, on small books solved again each way.

use apportion::{AssignOptions, Book, Rulebook, assign};
use proptest::prelude::*;

use crate::assign_properties::{self, instance};

/// The optimum of `book`.
fn optimum(book: &Book, rules: &Rulebook, options: &AssignOptions) -> i64 {
    assign(book, rules, options).unwrap().objective.total
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn one_place_more_saves_at_most_the_price_and_one_fewer_costs_at_least_it(
        instance in instance(),
    ) {
        let rules = Rulebook::compile(instance.rules()).unwrap();
        let mut book = instance.book();
        // One more place keeps the target where it is.
        for manager in &mut book.managers.records {
            manager.target = Some(manager.target_load());
        }
        let options = assign_properties::options(&instance, true, 1);
        let plan = assign(&book, &rules, &options).unwrap();
        let base = plan.objective.total;
        for (j, load) in plan.loads.iter().enumerate() {
            let with = |change: i64| {
                let mut changed = book.clone();
                let manager = &mut changed.managers.records[j];
                manager.capacity = (i64::from(manager.capacity) + change) as u32;
                optimum(&changed, &rules, &options)
            };
            prop_assert!(load.shadow_price >= 0);
            prop_assert!(base - with(1) <= load.shadow_price, "manager {}", j);
            if load.capacity > 0 {
                prop_assert!(with(-1) - base >= load.shadow_price, "manager {}", j);
            }
            if load.load < load.capacity {
                prop_assert_eq!(load.shadow_price, 0);
            }
            for (segment, &price) in &load.segment_shadow_prices {
                let cap = book.managers.records[j].segment_caps[segment];
                prop_assert_eq!(load.segments.get(segment).copied().unwrap_or(0), cap);
                let with_cap = |change: i64| {
                    let mut changed = book.clone();
                    let caps = &mut changed.managers.records[j].segment_caps;
                    caps.insert(segment.clone(), (i64::from(cap) + change) as u32);
                    optimum(&changed, &rules, &options)
                };
                prop_assert!(base - with_cap(1) <= price, "manager {} segment {}", j, segment);
                if cap > 0 {
                    prop_assert!(with_cap(-1) - base >= price, "manager {} segment {}", j, segment);
                }
            }
        }
    }
}
