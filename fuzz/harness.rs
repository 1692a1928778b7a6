//! What each fuzz target checks, shared by the cargo-fuzz targets (`fuzz_targets/`), the
//! stable test that replays `regressions/` and `seeds/` (`engine/tests/it/fuzz_replay.rs`)
//! and the property tests, which build the same small `Instance`s.
//! A broken invariant panics: that is how a fuzzer notices.
#![allow(
    dead_code,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a harness reports a broken invariant by panicking, and each user calls a part of it"
)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use apportion::load::{self, Format, LoadOptions};
use apportion::{
    AssignOptions, Book, Customer, CustomerId, Customers, Date, Field, Manager, ManagerId,
    Managers, OnRuleError, Policy, ProfileOptions, Router, RouterOptions, Rulebook, Schema, Value,
    ValueType, assign as solve,
};

const AS_OF: Date = Date::EPOCH;

/// Arbitrary text as a rulebook, compiled and run over a small bank: a value or a typed error.
pub fn rulebook(data: &[u8]) {
    const BANK: &[u8] = b"id,manager,assets,kind,onboarded,products\n\
C-1,M-1,2500000,individual,2020-01-15,savings;mortgage\n\
C-2,,4000,sme,2026-05-01,business_loan\n\
C-3,M-9,,individual,,\n";
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let customers = load::parse_customers(BANK, Format::Csv, "bank", &LoadOptions::default())
        .expect("the bank loads");
    let Ok(rules) = Rulebook::compile(source) else {
        return;
    };
    let mut options = ProfileOptions::new(AS_OF);
    options.on_error = OnRuleError::Skip;
    if let Ok(profile) = rules.profile(&customers, &options) {
        // Nothing is lost: every customer is profiled or skipped with its error.
        assert_eq!(profile.customers.len() + profile.skipped.len(), 3);
    }
}

/// Arbitrary bytes as customers, managers, groups and scores in every format: a table or a
/// typed error, and a table keeps every record.
pub fn load(data: &[u8]) {
    let options = LoadOptions::default();
    for format in [Format::Csv, Format::Json, Format::JsonLines] {
        if let Ok(customers) = load::parse_customers(data, format, "fuzz", &options) {
            for customer in &customers.records {
                assert_eq!(customer.attributes.len(), customers.schema.len());
                assert!(!customer.id.as_str().trim().is_empty());
            }
        }
        let _ = load::parse_managers(data, format, "fuzz", &options);
        if let Ok(groups) = load::parse_groups(data, format, "fuzz", &options) {
            // Any groups read form a forest or are refused with a typed error, never a hang.
            let _ = Book::default().with_groups(groups, "fuzz");
        }
        if let Ok(scores) = load::parse_scores(data, format, "fuzz", &options) {
            // Every row read is a finite number for a named pair.
            for row in &scores {
                let finite = match row.score {
                    Value::Int(_) => true,
                    Value::Float(f) => f.is_finite(),
                    _ => false,
                };
                assert!(finite, "a score that is not a finite number");
            }
            let _ = Book::default().with_scores(scores, "fuzz");
        }
    }
}

/// Eligibility and affinity from small integers, as in the property tests.
pub const PAIR_RULES: &str = r#"
fn eligible(c, m) { (c.mask / m.bit) % 2 == 1 }
fn affinity(c, m) { (c.taste * m.bit) % 7 - 3 }
"#;
/// [`PAIR_RULES`]' eligibility, and its affinity as a running score with `$term`s added.
macro_rules! running_score {
    ($($term:literal),*) => {
        concat!(
            "fn eligible(c, m) { (c.mask / m.bit) % 2 == 1 }\n",
            "fn affinity(c, m) {\n    let score = 0;\n    score += (c.taste * m.bit) % 7 - 3;\n",
            $("    ", $term, "\n",)*
            "    score\n}\n"
        )
    };
}
/// [`PAIR_RULES`] with a bonus (or a penalty) for the customer's current manager, written as
/// a running score: the pair classes may then leave the current manager out.
pub const PAIR_RULES_WITH_STAY_BONUS: &str =
    running_score!("if c.manager == m.id { score += m.bit * 3 - 5; }");
/// [`PAIR_RULES`] with a model's score added where it gave one: a term of its own.
pub const PAIR_RULES_WITH_SCORES: &str =
    running_score!("if pair_score(c, m) != () { score += pair_score(c, m); }");
/// [`PAIR_RULES_WITH_STAY_BONUS`] and [`PAIR_RULES_WITH_SCORES`] together, the score read in
/// its method form.
pub const PAIR_RULES_WITH_STAY_BONUS_AND_SCORES: &str = running_score!(
    "if c.manager == m.id { score += m.bit * 3 - 5; }",
    "let model = c.pair_score(m);",
    "if model != () { score += model; }"
);
const BITS: [i64; 3] = [1, 2, 4];
/// The unassigned penalty of every small instance.
pub const UNASSIGNED: i64 = 1_000_000;

/// A small assignment instance (also built by the property tests' strategies).
#[derive(Debug, Clone)]
pub struct Instance {
    /// (mask of eligible managers, taste, segment A, current manager: 0 none, 1..=m, else
    /// one who left)
    pub people: Vec<(i64, i64, bool, usize)>,
    /// (capacity, cap for segment A)
    pub staff: Vec<(u32, Option<u32>)>,
    /// M.
    pub move_penalty: i64,
    /// λ.
    pub balance: i64,
    /// Whether the rules are [`PAIR_RULES_WITH_STAY_BONUS`] rather than [`PAIR_RULES`].
    pub stay_bonus: bool,
    /// Groups of managers: (parent, an earlier group; capacity; target).
    pub groups: Vec<(Option<usize>, Option<u32>, Option<u32>)>,
    /// Each manager's group, if any (only read when there are groups).
    pub member_of: Vec<Option<usize>>,
    /// Each manager's target for segment A, if any (missing entries are none).
    pub a_targets: Vec<Option<u32>>,
    /// A model's scores: (person, manager, score), at most one per pair.
    pub scores: Vec<(usize, usize, i64)>,
    /// Per group, its minimum and cap for segment A (missing entries are none).
    pub a_limits: Vec<(u32, Option<u32>)>,
}

impl Instance {
    fn decode(data: &[u8]) -> Option<Instance> {
        let mut bytes = data.iter().copied();
        let mut next = || bytes.next();
        let m = 1 + usize::from(next()? % 3);
        let n = usize::from(next()? % 8);
        let move_penalty = i64::from(next()?);
        let balance = i64::from(next()? % 3);
        let mut staff = Vec::with_capacity(m);
        for _ in 0..m {
            let b = next()?;
            let c = next()?;
            staff.push((
                u32::from(b % 4),
                (c & 0x80 != 0).then_some(u32::from(c % 3)),
            ));
        }
        let mut people = Vec::with_capacity(n);
        for _ in 0..n {
            let (a, b, c) = (next()?, next()?, next()?);
            people.push((
                i64::from(a % 8),
                i64::from(b % 10),
                c & 1 == 1,
                usize::from(c / 2 % 5),
            ));
        }
        Some(Instance {
            people,
            staff,
            move_penalty,
            balance,
            stay_bonus: false,
            groups: Vec::new(),
            member_of: Vec::new(),
            a_targets: Vec::new(),
            scores: Vec::new(),
            a_limits: Vec::new(),
        })
    }

    pub fn current(&self, person: usize) -> Option<usize> {
        let current = self.people[person].3;
        (1..=self.staff.len())
            .contains(&current)
            .then(|| current - 1)
    }

    /// Manager `j`'s target for segment A, if any.
    pub fn a_target(&self, j: usize) -> Option<u32> {
        self.a_targets.get(j).copied().flatten()
    }

    /// Group `g`'s minimum and cap for segment A.
    pub fn a_limit(&self, g: usize) -> (u32, Option<u32>) {
        self.a_limits.get(g).copied().unwrap_or((0, None))
    }

    /// The groups manager `j`'s customers count towards: its own, its parent, and so on.
    pub fn chain(&self, j: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut at = self
            .member_of
            .get(j)
            .copied()
            .flatten()
            .filter(|_| !self.groups.is_empty());
        while let Some(g) = at {
            chain.push(g);
            at = self.groups[g].0;
        }
        chain
    }

    pub fn eligible(&self, person: usize, j: usize) -> bool {
        (self.people[person].0 / BITS[j]) % 2 == 1
    }

    pub fn affinity(&self, person: usize, j: usize) -> i64 {
        let bonus = match self.stay_bonus && self.current(person) == Some(j) {
            true => BITS[j] * 3 - 5,
            false => 0,
        };
        let model = self
            .scores
            .iter()
            .find(|&&(p, m, _)| (p, m) == (person, j))
            .map_or(0, |&(.., score)| score);
        (self.people[person].1 * BITS[j]) % 7 - 3 + bonus + model
    }

    /// The source of the instance's pair rules.
    pub fn rules(&self) -> &'static str {
        match (self.stay_bonus, self.scores.is_empty()) {
            (true, true) => PAIR_RULES_WITH_STAY_BONUS,
            (false, true) => PAIR_RULES,
            (true, false) => PAIR_RULES_WITH_STAY_BONUS_AND_SCORES,
            (false, false) => PAIR_RULES_WITH_SCORES,
        }
    }

    pub fn book(&self) -> Book {
        let field = |name: &str, value_type| Field {
            name: name.to_owned(),
            value_type,
        };
        let customers = self
            .people
            .iter()
            .enumerate()
            .map(|(i, &(mask, taste, a, current))| Customer {
                id: CustomerId::from(format!("C-{i}").as_str()),
                manager: match current {
                    0 => None,
                    j if j <= self.staff.len() => {
                        Some(ManagerId::from(format!("M-{}", j - 1).as_str()))
                    }
                    _ => Some(ManagerId::from("M-gone")),
                },
                attributes: vec![
                    Value::Int(mask),
                    Value::Int(taste),
                    Value::Str(Arc::from(if a { "A" } else { "B" })),
                ],
            })
            .collect();
        let managers = self
            .staff
            .iter()
            .enumerate()
            .map(|(j, &(capacity, cap))| Manager {
                id: ManagerId::from(format!("M-{j}").as_str()),
                capacity,
                target: None,
                segment_caps: cap.map(|c| ("A".to_owned(), c)).into_iter().collect(),
                segment_targets: self
                    .a_target(j)
                    .map(|t| ("A".to_owned(), t))
                    .into_iter()
                    .collect(),
                attributes: vec![Value::Int(BITS[j])],
            })
            .collect();
        let mut manager_fields = vec![field("bit", ValueType::Int)];
        let mut managers: Vec<Manager> = managers;
        if !self.groups.is_empty() {
            manager_fields.push(field("group", ValueType::Str));
            for (j, manager) in managers.iter_mut().enumerate() {
                let group = self.member_of.get(j).copied().flatten();
                manager.attributes.push(match group {
                    Some(g) => Value::Str(Arc::from(format!("G-{g}").as_str())),
                    None => Value::Null,
                });
            }
        }
        let book = Book::new(
            Customers {
                schema: Schema::new(vec![
                    field("mask", ValueType::Int),
                    field("taste", ValueType::Int),
                    field("segment", ValueType::Str),
                ])
                .expect("distinct names"),
                records: customers,
            },
            Managers {
                schema: Schema::new(manager_fields).expect("distinct names"),
                records: managers,
            },
        );
        let groups = self
            .groups
            .iter()
            .enumerate()
            .map(|(g, &(parent, capacity, target))| {
                let (minimum, cap) = self.a_limit(g);
                apportion::ManagerGroup {
                    id: format!("G-{g}").as_str().into(),
                    parent: parent.map(|p| format!("G-{p}").as_str().into()),
                    capacity,
                    target,
                    segment_caps: cap.map(|c| ("A".to_owned(), c)).into_iter().collect(),
                    segment_minimums: (minimum > 0)
                        .then(|| ("A".to_owned(), minimum))
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
        let scores = self
            .scores
            .iter()
            .map(|&(person, j, score)| apportion::PairScore {
                customer: CustomerId::from(format!("C-{person}").as_str()),
                manager: ManagerId::from(format!("M-{j}").as_str()),
                score: Value::Int(score),
                line: None,
            })
            .collect();
        book.with_groups(groups, "groups")
            .expect("the groups are a forest")
            .with_scores(scores, "scores")
            .expect("the scores name people and staff")
    }

    /// The contract's objective for a choice per person, and how many it places, if feasible.
    pub fn objective(&self, choice: &[Option<usize>]) -> Option<(i64, usize)> {
        let mut loads = vec![0u32; self.staff.len()];
        let mut a_loads = vec![0u32; self.staff.len()];
        let mut total = 0;
        let mut placed = 0;
        for (person, chosen) in choice.iter().enumerate() {
            let Some(j) = *chosen else {
                total += UNASSIGNED;
                continue;
            };
            if !self.eligible(person, j) {
                return None;
            }
            placed += 1;
            loads[j] += 1;
            if self.people[person].2 {
                a_loads[j] += 1;
            }
            if self.current(person).is_some_and(|c| c != j) {
                total += self.move_penalty;
            }
            total -= self.affinity(person, j);
        }
        let term = |load: u32, target: u32| {
            let target = i64::from(target.max(1));
            (1..=i64::from(load))
                .map(|k| self.balance * ((1000 * k + target - 1) / target))
                .sum::<i64>()
        };
        let mut group_loads = vec![0u32; self.groups.len()];
        let mut group_a_loads = vec![0u32; self.groups.len()];
        for (j, &(capacity, cap_a)) in self.staff.iter().enumerate() {
            if loads[j] > capacity || cap_a.is_some_and(|c| a_loads[j] > c) {
                return None;
            }
            total += term(loads[j], capacity);
            total += self.a_target(j).map_or(0, |t| term(a_loads[j], t));
            for g in self.chain(j) {
                group_loads[g] += loads[j];
                group_a_loads[g] += a_loads[j];
            }
        }
        for (g, &(_, capacity, target)) in self.groups.iter().enumerate() {
            let (load, a_load) = (group_loads[g], group_a_loads[g]);
            let (minimum, cap_a) = self.a_limit(g);
            if capacity.is_some_and(|c| load > c)
                || a_load < minimum
                || cap_a.is_some_and(|c| a_load > c)
            {
                return None;
            }
            total += target.or(capacity).map_or(0, |t| term(load, t));
        }
        Some((total, placed))
    }

    /// (the optimum, the most that can be placed), by trying every choice.
    pub fn brute_force(&self) -> (i64, usize) {
        let (n, m) = (self.people.len(), self.staff.len());
        let mut best = (i64::MAX, 0);
        let mut choice = vec![None; n];
        for code in 0..(m + 1).pow(n as u32) {
            let mut rest = code;
            for slot in choice.iter_mut() {
                *slot = (rest % (m + 1)).checked_sub(1);
                rest /= m + 1;
            }
            if let Some((objective, placed)) = self.objective(&choice) {
                best = (best.0.min(objective), best.1.max(placed));
            }
        }
        best
    }
}

/// A small instance from bytes, solved and checked against brute force: the optimum, the
/// most that can be placed, capacities, caps and eligibility, nobody lost.
pub fn assign(data: &[u8]) {
    let Some(instance) = Instance::decode(data) else {
        return;
    };
    static RULES: OnceLock<Rulebook> = OnceLock::new();
    let rules =
        RULES.get_or_init(|| Rulebook::compile(PAIR_RULES).expect("the pair rules compile"));
    let book = instance.book();
    let options = AssignOptions {
        policy: Policy {
            move_penalty: instance.move_penalty,
            balance: instance.balance,
            unassigned_penalty: Some(UNASSIGNED),
        },
        ..AssignOptions::new(AS_OF)
    };
    let plan = solve(&book, rules, &options).expect("a valid instance solves");
    let (optimum, most) = instance.brute_force();
    assert_eq!(
        plan.objective.total, optimum,
        "objective against brute force"
    );
    assert_eq!(
        plan.assignments.len(),
        most,
        "placed against the most placeable"
    );
    assert_eq!(
        plan.assignments.len() + plan.unassigned.len(),
        instance.people.len()
    );
    let mut loads: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for a in &plan.assignments {
        let person: usize = a.customer.as_str()[2..].parse().expect("C-<n>");
        let j: usize = a.manager.as_str()[2..].parse().expect("M-<n>");
        assert!(
            instance.eligible(person, j),
            "{} with {}",
            a.customer,
            a.manager
        );
        let entry = loads.entry(a.manager.as_str()).or_default();
        entry.0 += 1;
        entry.1 += u32::from(instance.people[person].2);
    }
    for (manager, (load, a_load)) in loads {
        let j: usize = manager[2..].parse().expect("M-<n>");
        let (capacity, cap_a) = instance.staff[j];
        assert!(
            load <= capacity && cap_a.is_none_or(|c| a_load <= c),
            "{manager} overfull"
        );
    }
}

/// Rules for the routing target: regions and an HNW certification, and language affinity.
const ROUTE_RULES: &str = r#"
fn tier(c) { if c.assets >= 1000 { "HNW" } else { "MASS" } }
fn segment(c) { c.tier }
fn eligible(c, m) { c.region == m.region && (c.tier != "HNW" || m.banker) }
fn affinity(c, m) { if c.language == m.language { 30 } else { 0 } }
"#;

fn route_schemas() -> (Schema, Schema) {
    let field = |name: &str, value_type| Field {
        name: name.to_owned(),
        value_type,
    };
    let customers = Schema::new(vec![
        field("region", ValueType::Str),
        field("assets", ValueType::Int),
        field("language", ValueType::Str),
    ])
    .expect("distinct names");
    let managers = Schema::new(vec![
        field("region", ValueType::Str),
        field("banker", ValueType::Bool),
        field("language", ValueType::Str),
    ])
    .expect("distinct names");
    (customers, managers)
}

fn text(options: &[&str], byte: u8) -> Value {
    Value::Str(Arc::from(options[usize::from(byte) % options.len()]))
}

fn manager(index: usize, bytes: [u8; 3]) -> Manager {
    Manager {
        id: ManagerId::from(format!("M-{index}").as_str()),
        capacity: u32::from(bytes[0] % 6),
        target: None,
        segment_caps: if bytes[1] & 0x80 != 0 {
            [("HNW".to_owned(), u32::from(bytes[1] % 3))].into()
        } else {
            Default::default()
        },
        segment_targets: Default::default(),
        attributes: vec![
            text(&["north", "south"], bytes[1]),
            Value::Bool(bytes[2] & 1 == 1),
            text(&["en", "fr"], bytes[2] / 2),
        ],
    }
}

/// One step of a routing session, and what it did, for comparing two replays.
type Outcome = Result<String, String>;

/// A sequence of routing calls and book events from bytes, against the router's invariants:
/// no manager above capacity or segment cap, nobody booked twice, nobody reaches a manager who
/// is away, loads add up to the book, only the documented errors, and the same sequence
/// always gives the same decisions.
pub fn route(data: &[u8]) {
    let first = route_session(data);
    let second = route_session(data);
    assert_eq!(first, second, "the same calls gave different decisions");
}

fn route_session(data: &[u8]) -> Vec<Outcome> {
    let (customer_schema, manager_schema) = route_schemas();
    let mut bytes = data.iter().copied();
    let Some(m) = bytes.next().map(|b| 1 + usize::from(b % 4)) else {
        return Vec::new();
    };
    let mut staff = Vec::new();
    for j in 0..m {
        let (Some(a), Some(b), Some(c)) = (bytes.next(), bytes.next(), bytes.next()) else {
            return Vec::new();
        };
        staff.push(manager(j, [a, b, c]));
    }
    let book = Book::new(
        Customers {
            schema: customer_schema,
            records: Vec::new(),
        },
        Managers {
            schema: manager_schema,
            records: staff.clone(),
        },
    );
    static RULES: OnceLock<Rulebook> = OnceLock::new();
    let rules =
        RULES.get_or_init(|| Rulebook::compile(ROUTE_RULES).expect("the routing rules compile"));
    let router = Router::new(rules, &book, RouterOptions::new(AS_OF)).expect("an empty book");
    let mut outcomes = Vec::new();
    let mut leads = 0usize;
    let mut joined = m;
    let mut away_loads: BTreeMap<ManagerId, u32> = BTreeMap::new();
    let mut hnw: BTreeMap<CustomerId, bool> = BTreeMap::new();
    let allowed = [
        "unknown_customer",
        "unknown_manager",
        "manager_on_leave",
        "manager_not_on_leave",
        "already_in_book",
        "duplicate_manager_id",
    ];
    while let (Some(op), Some(arg)) = (bytes.next(), bytes.next()) {
        let manager_id = ManagerId::from(format!("M-{}", usize::from(arg) % (joined + 1)).as_str());
        let result: apportion::Result<String> = match op % 8 {
            0..=2 => {
                // A lead; now and then one already routed.
                let id = if op & 0x80 != 0 && leads > 0 {
                    format!("L-{}", usize::from(arg) % leads)
                } else {
                    leads += 1;
                    format!("L-{}", leads - 1)
                };
                let is_hnw = i64::from(arg) * 10 >= 1000;
                let lead = Customer {
                    id: CustomerId::from(id.as_str()),
                    manager: None,
                    attributes: vec![
                        text(&["north", "south"], arg),
                        Value::Int(i64::from(arg) * 10),
                        text(&["en", "fr"], op / 8),
                    ],
                };
                router.route(&lead).map(|d| {
                    // A lead released earlier may come back with other attributes.
                    hnw.insert(lead.id.clone(), is_hnw);
                    if let Some(chosen) = &d.manager {
                        assert!(!away_loads.contains_key(chosen), "{chosen} is away");
                    }
                    format!("{:?}", (d.manager, d.runner_up, d.basis, d.cost))
                })
            }
            3 => {
                let id = CustomerId::from(format!("L-{}", usize::from(arg) % (leads + 1)).as_str());
                router.release(&id).map(|m| m.to_string())
            }
            4 => router
                .start_leave(&manager_id)
                .map(|d| format!("{}", d.len())),
            5 => router.end_leave(&manager_id).map(|n| n.to_string()),
            6 => router.depart(&manager_id).map(|d| format!("{}", d.len())),
            _ => {
                let newcomer = manager(joined, [arg, op, arg ^ op]);
                let result = router.join(newcomer).map(|()| String::new());
                if result.is_ok() {
                    joined += 1;
                    staff.push(manager(joined - 1, [arg, op, arg ^ op]));
                }
                result
            }
        };
        if let Err(error) = &result {
            assert!(allowed.contains(&error.code()), "unexpected error {error}");
        }
        check_book(&router, &staff, &hnw, &mut away_loads);
        outcomes.push(result.map_err(|e| e.code().to_owned()));
    }
    outcomes
}

fn check_book(
    router: &Router,
    staff: &[Manager],
    hnw: &BTreeMap<CustomerId, bool>,
    away: &mut BTreeMap<ManagerId, u32>,
) {
    let snapshot = router.snapshot();
    let book = router.book();
    assert_eq!(snapshot.placed, book.len());
    let total: u32 = snapshot.managers.iter().map(|m| m.1).sum();
    assert_eq!(total as usize, book.len(), "loads add up to the book");
    for (id, load, capacity, _, is_away) in &snapshot.managers {
        assert!(load <= capacity, "{id} holds {load} of {capacity}");
        let held = book.values().filter(|m| *m == id).count() as u32;
        assert_eq!(held, *load, "{id}'s load is its customers");
        if *is_away {
            let before = *away.entry(id.clone()).or_insert(*load);
            assert!(*load <= before, "{id} gained customers while away");
        } else {
            away.remove(id);
        }
    }
    for manager in staff {
        if let Some(&cap) = manager.segment_caps.get("HNW") {
            let held = book
                .iter()
                .filter(|(c, m)| **m == manager.id && hnw.get(*c).copied().unwrap_or(false))
                .count() as u32;
            assert!(
                held <= cap,
                "{} holds {held} HNW customers, cap {cap}",
                manager.id
            );
        }
        // Departed managers hold nobody.
        if !snapshot.managers.iter().any(|m| m.0 == manager.id) {
            assert!(
                book.values().all(|m| *m != manager.id),
                "{} left",
                manager.id
            );
        }
    }
}
