use std::collections::{HashMap, HashSet};

use super::*;

fn small(seed: u64) -> BankConfig {
    BankConfig {
        customers: 600,
        managers: 14,
        seed,
        as_of: default_as_of(),
    }
}

fn share(bank: &GeneratedBank, predicate: impl Fn(&CustomerRow) -> bool) -> f64 {
    bank.customers.iter().filter(|c| predicate(c)).count() as f64 / bank.customers.len() as f64
}

fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn the_same_seed_gives_the_same_bank() {
    let a = generate(&small(11));
    let b = generate(&small(11));
    assert_eq!(a, b);
    assert_eq!(customers_csv(&a).unwrap(), customers_csv(&b).unwrap());
    assert_eq!(managers_csv(&a).unwrap(), managers_csv(&b).unwrap());
}

#[test]
fn a_different_seed_gives_a_different_bank() {
    let a = generate(&small(11));
    let b = generate(&small(12));
    assert_ne!(customers_csv(&a).unwrap(), customers_csv(&b).unwrap());
    assert_ne!(managers_csv(&a).unwrap(), managers_csv(&b).unwrap());
    let differing = a
        .customers
        .iter()
        .zip(&b.customers)
        .filter(|(x, y)| x.assets != y.assets)
        .count();
    assert!(differing > 500, "{differing}");
}

#[test]
fn a_customers_attributes_do_not_depend_on_the_bank_size() {
    let smaller = generate(&small(3));
    let larger = generate(&BankConfig {
        customers: 1_000,
        managers: 40,
        ..small(3)
    });
    for (a, b) in smaller.customers.iter().zip(&larger.customers) {
        let (mut a, mut b) = (a.clone(), b.clone());
        a.manager = None;
        b.manager = None;
        assert_eq!(a, b);
    }
}

#[test]
fn the_default_bank_has_the_described_proportions() {
    let bank = generate(&BankConfig::default());
    assert_eq!(bank.customers.len(), 3_000);
    assert_eq!(bank.managers.len(), 50);
    let as_of = bank.config.as_of;
    let former: HashSet<&str> = bank.former_managers.iter().map(|m| m.id.as_str()).collect();
    let checks: [(&str, f64, f64, f64); 11] = [
        (
            "HNW (assets >= 1,000,000)",
            share(&bank, |c| c.assets >= HNW_ASSETS),
            0.01,
            0.04,
        ),
        (
            "affluent (assets >= 100,000)",
            share(&bank, |c| c.assets >= AFFLUENT_ASSETS),
            0.15,
            0.25,
        ),
        (
            "SME",
            share(&bank, |c| c.kind == CustomerKind::Sme),
            0.09,
            0.15,
        ),
        (
            "no manager",
            share(&bank, |c| c.manager.is_none()),
            0.07,
            0.13,
        ),
        (
            "former manager",
            share(&bank, |c| {
                c.manager.as_deref().is_some_and(|m| former.contains(m))
            }),
            0.03,
            0.07,
        ),
        (
            "no transaction for 90+ days",
            share(&bank, |c| c.days_since_last_txn > 90),
            0.11,
            0.19,
        ),
        (
            "no transaction for a year",
            share(&bank, |c| c.days_since_last_txn > 365),
            0.03,
            0.07,
        ),
        (
            "onboarded in the last 90 days",
            share(&bank, |c| as_of.days_since(c.onboarded) < 90),
            0.02,
            0.08,
        ),
        (
            "English speakers",
            share(&bank, |c| c.language == "en"),
            0.65,
            0.75,
        ),
        (
            "mortgage enquiries",
            share(&bank, |c| c.has_mortgage_enquiry),
            0.02,
            0.08,
        ),
        (
            "capital region",
            share(&bank, |c| c.region == "capital"),
            0.20,
            0.28,
        ),
    ];
    for (what, value, low, high) in checks {
        assert!(
            (low..=high).contains(&value),
            "{what}: {value:.4} not in {low}..={high}"
        );
    }
    // SMEs borrow; individuals rarely do.
    let sme_loans = share(&bank, |c| {
        c.kind == CustomerKind::Sme && c.products.contains(&Product::BusinessLoan)
    }) / share(&bank, |c| c.kind == CustomerKind::Sme);
    let individual_loans = share(&bank, |c| {
        c.kind == CustomerKind::Individual && c.products.contains(&Product::BusinessLoan)
    }) / share(&bank, |c| c.kind == CustomerKind::Individual);
    assert!(
        sme_loans > 0.4 && individual_loans < 0.05,
        "{sme_loans} {individual_loans}"
    );
    // Every risk preference and product occurs.
    for risk in RiskPreference::ALL {
        assert!(
            share(&bank, |c| c.risk_preference == *risk) > 0.05,
            "{risk}"
        );
    }
    for product in Product::ALL {
        assert!(
            share(&bank, |c| c.products.contains(product)) > 0.01,
            "{product}"
        );
    }

    let private = bank
        .managers
        .iter()
        .filter(|m| m.certifications.contains(&Certification::PrivateBanking))
        .count();
    let sme = bank
        .managers
        .iter()
        .filter(|m| m.certifications.contains(&Certification::SmeCredit))
        .count();
    assert!(
        (8..=14).contains(&private) && (8..=14).contains(&sme),
        "{private} {sme}"
    );
    assert!(bank.managers.iter().filter(|m| m.target.is_some()).count() < 15);
    assert!(bank.managers.iter().any(|m| !m.segment_caps.is_empty()));
}

#[test]
fn every_region_has_a_private_banker_and_an_sme_lender() {
    for (customers, managers, seed) in [
        (3_000, 50, 7),
        (500, 6, 1),
        (500, 7, 2),
        (500, 12, 3),
        (20_000, 330, 4),
    ] {
        let bank = generate(&BankConfig {
            customers,
            managers,
            seed,
            as_of: default_as_of(),
        });
        for region in REGIONS {
            let here: Vec<&ManagerRow> = bank
                .managers
                .iter()
                .filter(|m| m.region == region.name)
                .collect();
            for certification in [Certification::PrivateBanking, Certification::SmeCredit] {
                assert!(
                    here.iter()
                        .any(|m| m.certifications.contains(&certification)),
                    "{managers} managers, seed {seed}: no {certification} in {}",
                    region.name
                );
            }
        }
    }
}

#[test]
fn capacity_covers_the_customers_with_room_to_spare() {
    let bank = generate(&BankConfig::default());
    let total: u32 = bank.managers.iter().map(|m| m.capacity).sum();
    assert!((3_270..=3_330).contains(&total), "{total}");
    for manager in &bank.managers {
        assert!(
            (40..=120).contains(&manager.capacity),
            "{}: {}",
            manager.id,
            manager.capacity
        );
        if let Some(target) = manager.target {
            assert!(target < manager.capacity);
        }
        for (segment, cap) in &manager.segment_caps {
            assert!(!segment.is_empty() && *cap > 0 && *cap <= manager.capacity);
        }
    }
    // Per region too, so region-bound assignment is feasible.
    for region in REGIONS {
        let customers = bank
            .customers
            .iter()
            .filter(|c| c.region == region.name)
            .count() as u32;
        let capacity: u32 = bank
            .managers
            .iter()
            .filter(|m| m.region == region.name)
            .map(|m| m.capacity)
            .sum();
        assert!(
            capacity >= customers,
            "{}: {capacity} < {customers}",
            region.name
        );
    }
}

#[test]
fn the_current_book_stays_within_regions() {
    let bank = generate(&BankConfig::default());
    let regions: HashMap<&str, &str> = bank
        .managers
        .iter()
        .map(|m| (m.id.as_str(), m.region))
        .chain(
            bank.former_managers
                .iter()
                .map(|m| (m.id.as_str(), m.region)),
        )
        .collect();
    assert_eq!(
        regions.len(),
        bank.managers.len() + bank.former_managers.len(),
        "ids collide"
    );
    for customer in &bank.customers {
        if let Some(manager) = &customer.manager {
            assert_eq!(
                regions.get(manager.as_str()),
                Some(&customer.region),
                "{}",
                customer.id
            );
        }
    }
    for former in &bank.former_managers {
        assert!(former.id.starts_with("M-9"), "{}", former.id);
        assert!(
            bank.customers
                .iter()
                .any(|c| c.manager.as_ref() == Some(&former.id))
        );
    }
}

#[test]
fn rows_are_consistent_and_in_range() {
    let bank = generate(&BankConfig::default());
    let as_of = bank.config.as_of;
    let mut ids = HashSet::new();
    for c in &bank.customers {
        assert!(ids.insert(c.id.clone()), "duplicate {}", c.id);
        assert!(c.id.starts_with("C-") && c.id.len() == 8, "{}", c.id);
        assert!((18..=95).contains(&c.age), "{}", c.age);
        assert!((300..=850).contains(&c.credit_score));
        assert!(c.assets >= 0 && c.income >= 0);
        assert!(!c.products.is_empty());
        assert!(
            c.products.windows(2).all(|w| w[0] < w[1]),
            "products in canonical order"
        );
        assert_eq!(as_of.days_since(c.last_txn_date), c.days_since_last_txn);
        assert!(c.onboarded <= c.last_txn_date && c.last_txn_date <= as_of);
        assert_eq!(
            c.transactions_90d == 0,
            c.days_since_last_txn >= 90,
            "{}",
            c.id
        );
        assert!(c.branch.starts_with("BR-"));
        let region = REGIONS.iter().find(|r| r.name == c.region).unwrap();
        assert!(region.branch_ids().contains(&c.branch));
        assert!(LANGUAGES.contains(&c.language));
    }
    let mut names = HashSet::new();
    for m in &bank.managers {
        assert!(ids.insert(m.id.clone()), "duplicate {}", m.id);
        assert!(m.id.starts_with("M-") && m.id.len() == 5, "{}", m.id);
        assert!(names.insert(m.name.clone()), "duplicate name {}", m.name);
        assert_eq!(m.languages.first(), Some(&"en"));
        assert!(m.seniority_years >= 1);
        let region = REGIONS.iter().find(|r| r.name == m.region).unwrap();
        assert!(region.branch_ids().contains(&m.branch));
    }
}

/// Every cell of a column has the column's type, so type inference sees one type per column.
#[test]
fn csv_columns_are_consistently_typed() {
    let bank = generate(&BankConfig::sized(5_000));
    let is_int = |s: &str| s.parse::<i64>().is_ok();
    let is_date = |s: &str| s.parse::<apportion::Date>().is_ok();
    let is_bool = |s: &str| s == "true" || s == "false";
    let is_list = |s: &str| {
        s.split(';')
            .all(|item| !item.is_empty() && item.trim() == item)
    };
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-= ".contains(c))
    };

    let (header, rows) = parse_csv(&customers_csv(&bank).unwrap());
    assert_eq!(header, CUSTOMER_COLUMNS);
    assert_eq!(rows.len(), bank.customers.len());
    for row in &rows {
        for (column, cell) in CUSTOMER_COLUMNS.iter().zip(row) {
            let ok = match *column {
                "manager" => cell.is_empty() || word(cell),
                "assets"
                | "income"
                | "age"
                | "transactions_90d"
                | "days_since_last_txn"
                | "credit_score" => is_int(cell),
                "last_txn_date" | "onboarded" => is_date(cell),
                "has_mortgage_enquiry" => is_bool(cell),
                "products" => !cell.is_empty() && is_list(cell),
                _ => word(cell),
            };
            assert!(ok, "customers.{column}: `{cell}`");
        }
    }
    assert!(
        rows.iter().any(|r| r[9].contains(';')),
        "products must look like a list"
    );

    let (header, rows) = parse_csv(&managers_csv(&bank).unwrap());
    assert_eq!(header, MANAGER_COLUMNS);
    assert_eq!(rows.len(), bank.managers.len());
    for row in &rows {
        for (column, cell) in MANAGER_COLUMNS.iter().zip(row) {
            let ok = match *column {
                "seniority_years" | "capacity" => is_int(cell),
                "target" => cell.is_empty() || is_int(cell),
                "languages" => !cell.is_empty() && is_list(cell),
                "certifications" => cell.is_empty() || is_list(cell),
                "segment_caps" => {
                    cell.is_empty()
                        || cell.split(';').all(|entry| {
                            entry
                                .split_once('=')
                                .is_some_and(|(segment, cap)| !segment.is_empty() && is_int(cap))
                        })
                }
                _ => word(cell),
            };
            assert!(ok, "managers.{column}: `{cell}`");
        }
    }
    assert!(
        rows.iter().any(|r| r[4].contains(';')),
        "languages must look like a list"
    );
    assert!(
        rows.iter().any(|r| r[5].contains(';')),
        "certifications must look like a list"
    );
}

#[test]
fn odd_configurations_do_not_fail() {
    let earliest = apportion::Date::from_ymd(1, 3, 1).unwrap();
    for config in [
        BankConfig {
            customers: 0,
            managers: 0,
            seed: 1,
            as_of: default_as_of(),
        },
        BankConfig {
            customers: 50,
            managers: 0,
            seed: 1,
            as_of: default_as_of(),
        },
        BankConfig {
            customers: 0,
            managers: 9,
            seed: 1,
            as_of: default_as_of(),
        },
        BankConfig {
            customers: 300,
            managers: 3,
            seed: u64::MAX,
            as_of: earliest,
        },
    ] {
        let bank = generate(&config);
        assert_eq!(bank.customers.len(), config.customers);
        assert_eq!(bank.managers.len(), config.managers);
        for c in &bank.customers {
            assert_eq!(
                config.as_of.days_since(c.last_txn_date),
                c.days_since_last_txn
            );
            assert!(c.onboarded <= c.last_txn_date);
        }
        assert!(customers_csv(&bank).is_ok() && managers_csv(&bank).is_ok());
    }
}

#[test]
fn ids_widen_for_large_banks() {
    let bank = generate(&BankConfig {
        customers: 1_200,
        managers: 1_000,
        seed: 5,
        as_of: default_as_of(),
    });
    assert_eq!(bank.managers[0].id, "M-0001");
    assert_eq!(bank.managers[999].id, "M-1000");
    assert_eq!(bank.former_managers[0].id, "M-1001");
    assert_eq!(bank.customers[0].id, "C-000001");
}

#[test]
fn write_csv_writes_every_file() {
    let dir = std::env::temp_dir().join(format!("apportion-examples-test-{}", std::process::id()));
    let bank = generate(&small(8));
    write_csv(&bank, &dir).unwrap();
    assert_eq!(
        std::fs::read(dir.join("customers.csv")).unwrap(),
        customers_csv(&bank).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.join("managers.csv")).unwrap(),
        managers_csv(&bank).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.join("groups.csv")).unwrap(),
        groups_csv(&bank).unwrap()
    );
    assert_eq!(
        std::fs::read(dir.join("model_scores.csv")).unwrap(),
        scores_csv(&bank).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The shipped data set is exactly what the generator makes, so the two cannot drift apart.
/// After an intended change to the generator, regenerate it with the command in
/// `examples/data/README.md`.
#[test]
fn the_shipped_data_set_matches_the_generator() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let bank = generate(&BankConfig::default());
    // Tolerate a checkout that turned line endings into CRLF.
    let normalise = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap().replace("\r\n", "\n");
    for (file, expected) in [
        ("customers.csv", customers_csv(&bank).unwrap()),
        ("managers.csv", managers_csv(&bank).unwrap()),
        ("groups.csv", groups_csv(&bank).unwrap()),
        ("model_scores.csv", scores_csv(&bank).unwrap()),
    ] {
        let shipped = std::fs::read(data.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            normalise(shipped) == normalise(expected),
            "examples/data/{file} differs from the generator's output: regenerate it with \
             `cargo run -p apportion-examples --bin generate-bank`"
        );
    }
}

#[test]
fn every_scenario_holds_on_the_shipped_bank() {
    let bank = generate(&BankConfig::default());
    for (name, scenario) in crate::scenarios::SCENARIOS {
        if let Err(problem) = scenario(&bank) {
            panic!("{name}: {problem}");
        }
    }
}

#[test]
fn guided_routing_stays_near_the_batch_optimum_where_greedy_strands_leads() {
    let gap = crate::live::held_out_gap(20_000, 7).unwrap();
    let (guided, greedy) = (gap.above_batch(gap.guided), gap.above_batch(gap.greedy));
    assert!(
        guided < 0.05,
        "guided routing {:.1}% above the batch optimum",
        100.0 * guided
    );
    assert!(
        greedy > 0.25,
        "greedy routing only {:.1}% above",
        100.0 * greedy
    );
    // Greedy loses by stranding: it leaves customers out that the batch places.
    assert!(gap.placed.2 < gap.placed.0, "{gap:?}");
}

#[test]
fn a_day_of_a_branch_keeps_the_book_whole_and_within_its_churn_budget() {
    let day = crate::day::day_of_a_branch(&generate(&BankConfig::default())).unwrap();
    assert_eq!(day.log.len(), 4, "{:?}", day.log);
    assert!(
        day.leads_placed > 400 && day.leads_placed <= crate::day::LEADS,
        "{day:?}"
    );
    let (book, placed) = day.departed_book;
    assert!(book > 0 && placed <= book, "{day:?}");
    assert!(day.evening_moves <= crate::day::CHURN_BUDGET, "{day:?}");
    // The evening places customers the day left without a manager.
    assert!(day.evening_unplaced.1 < day.evening_unplaced.0, "{day:?}");
}
