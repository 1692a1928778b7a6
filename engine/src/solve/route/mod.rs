//! Routing one lead at a time between batch plans, and the events that change the live book.
//!
//! The router keeps the book's loads. `route(lead)` profiles the lead, finds its pair class
//! (pair rules run once per class, then are remembered), and picks a manager among the
//! eligible ones with room:
//! 1. **Guided**: once the router follows a plan of forecast leads ([`Router::follow_forecast`]
//!    plans them into the room the book leaves), each forecast lead's placement is a quota for
//!    its (class, segment) and manager; a lead takes a quota of its own class where one is left.
//! 2. **Marginal**: otherwise the design's online rule, the smallest
//!    −a_ij + λ·⌈1000·(L_j+1)/t_j⌉, ties to the earliest manager — first among managers with
//!    room that no quota has reserved, then among any with room.
//!
//! Pure greedy strands leads when capacity is tight, because an early lead takes the room a
//! later, pickier lead needed; quotas carry the batch optimum's foresight into the live path.
//! The book's state sits behind one lock, so concurrent calls never exceed a capacity or book
//! a lead twice, and a given sequence of calls always gives the same decisions.

mod book;
mod choice;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde::Serialize;

use super::objective::Policy;
use super::prepare::TextField;
use crate::date::Date;
use crate::error::{BookError, InputError, Location, RecordKind, Result, RuleError};
use crate::eval::fields::{Evaluator, Worker};
use crate::eval::pair::{self, Eligible, PairEvaluator, Representative};
use crate::model::{Book, Customer, CustomerId, Customers, Manager, ManagerId, Managers, Value};
use crate::plan::{Plan, UnassignedReason};
use crate::profile::ProfileOptions;
use crate::rules::Rulebook;
use crate::rules::keys::{KeyMaker, KeyPart, Regions};
use crate::scores::{CustomerScores, PairScores};
use book::{LiveBook, Placement, QuotaKey};

/// Options of a router.
#[derive(Debug, Clone, Copy)]
pub struct RouterOptions {
    /// The date rules compare against.
    pub as_of: Date,
    /// The objective's weights; routing uses the balance weight λ.
    pub policy: Policy,
}

impl RouterOptions {
    /// Options as of `as_of` with the default policy.
    pub fn new(as_of: Date) -> RouterOptions {
        RouterOptions {
            as_of,
            policy: Policy::default(),
        }
    }
}

/// How a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A quota left by the batch plan for the lead's class.
    Quota,
    /// The smallest marginal cost of the objective.
    Marginal,
    /// Not placed: see the reason.
    Unplaced,
}

/// Why an eligible manager was passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Skip {
    /// At capacity.
    Full,
    /// At their cap for the lead's segment.
    SegmentFull {
        /// The segment.
        segment: String,
    },
    /// On leave or gone.
    Away,
    /// In a group of managers at its capacity.
    GroupFull {
        /// The group.
        group: String,
    },
    /// In a group of managers at its cap for the lead's segment.
    GroupSegmentFull {
        /// The group.
        group: String,
        /// The segment.
        segment: String,
    },
}

/// An eligible manager passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The manager.
    pub manager: ManagerId,
    /// Why.
    #[serde(flatten)]
    pub why: Skip,
}

/// One routing decision and why it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The lead.
    pub customer: CustomerId,
    /// The chosen manager, if any had room.
    pub manager: Option<ManagerId>,
    /// The next best manager with room, by marginal cost.
    pub runner_up: Option<ManagerId>,
    /// How the manager was chosen.
    pub basis: Basis,
    /// The chosen manager's marginal cost −a + λ·⌈1000·(L+1)/t⌉.
    pub cost: Option<i64>,
    /// The affinity of the chosen pair.
    pub affinity: Option<i64>,
    /// How many managers `eligible` ruled out.
    pub ineligible: usize,
    /// Eligible managers passed over, and why: shared by the decisions made while no
    /// manager's room changed.
    pub skipped: Arc<[Skipped]>,
    /// Why the lead was not placed.
    pub reason: Option<UnassignedReason>,
}

/// The book as the router sees it at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookSnapshot {
    /// Per manager: (id, load, capacity, target, away).
    pub managers: Vec<(ManagerId, u32, u32, u32, bool)>,
    /// Customers placed.
    pub placed: usize,
    /// Quota places the batch plan still holds for forecast leads.
    pub quotas_left: usize,
}

impl BookSnapshot {
    /// Load over capacity of the most and the least loaded manager present, in [0, 1].
    pub fn utilisation_range(&self) -> (f64, f64) {
        let mut range: Option<(f64, f64)> = None;
        for &(_, load, capacity, _, away) in &self.managers {
            if away || capacity == 0 {
                continue;
            }
            let u = f64::from(load) / f64::from(capacity);
            range = Some(range.map_or((u, u), |(lo, hi)| (lo.min(u), hi.max(u))));
        }
        range.unwrap_or((0.0, 0.0))
    }

    /// The standard deviation of utilisation over the managers present.
    pub fn utilisation_std_dev(&self) -> f64 {
        let present: Vec<f64> = self
            .managers
            .iter()
            .filter(|m| !m.4 && m.2 > 0)
            .map(|m| f64::from(m.1) / f64::from(m.2))
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        let n = present.len() as f64;
        let mean = present.iter().sum::<f64>() / n;
        (present.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / n).sqrt()
    }
}

/// What the pair rules said about one class of customers, with a member to evaluate them
/// again when a manager joins.
struct Class {
    eligible: Result<Eligible, RuleError>,
    representative: Customer,
    derived: Vec<Value>,
    /// The scores its leads brought of their own, if they did.
    scores: Option<CustomerScores>,
}

/// Routes leads one at a time, consistently with the batch objective. `Send + Sync`.
///
/// ```
/// # use apportion::load::{self, Format, LoadOptions};
/// # fn main() -> apportion::Result<()> {
/// let options = LoadOptions::default();
/// let customers = load::parse_customers(
///     b"id,manager,region,assets\nC-1,M-1,north,2500000\nC-2,M-1,north,4000\nC-3,,south,9000\n",
///     Format::Csv, "customers", &options)?;
/// let managers = load::parse_managers(
///     b"id,region,capacity\nM-1,north,1\nM-2,north,1\nM-3,south,5\n",
///     Format::Csv, "managers", &options)?;
/// let book = apportion::Book::new(customers, managers);
/// let rules = apportion::Rulebook::compile(r#"
///     fn tier(c) { if c.assets >= 1_000_000 { "HNW" } else { "MASS" } }
///     fn eligible(c, m) { c.region == m.region }
///     fn affinity(c, m) { if c.tier == "HNW" && m.id == "M-1" { 10 } else { 0 } }
/// "#)?;
/// let as_of: apportion::Date = "2026-06-30".parse()?;
/// let router = apportion::Router::new(&rules, &book, apportion::RouterOptions::new(as_of))?;
/// let leads = load::parse_customers_like(
///     b"id,region,assets\nL-1,south,50000\n", Format::Csv, "leads",
///     &book.customers.schema, &options)?;
/// let decision = router.route(&leads.records[0])?;
/// // The only manager of the south.
/// assert_eq!(decision.manager.map(|m| m.to_string()), Some("M-3".to_owned()));
/// # Ok(())
/// # }
/// ```
pub struct Router {
    rulebook: Rulebook,
    options: RouterOptions,
    customer_schema: crate::model::Schema,
    /// The book's model scores: customers of the book keep theirs when they are placed again.
    scores: Arc<PairScores>,
    manager_schema: crate::model::Schema,
    evaluator: Evaluator,
    workers: Mutex<Vec<Worker>>,
    keys: KeyMaker,
    /// What the class keys abstract (see [`Regions`]), for the pair rules run on new classes.
    regions: Regions,
    segment: TextField,
    classes: RwLock<ClassTable>,
    /// Kept for classes met one at a time, rebuilt when a manager joins.
    pair: Mutex<Option<PairEvaluator>>,
    state: Mutex<LiveBook>,
}

#[derive(Default)]
struct ClassTable {
    by_key: HashMap<Vec<KeyPart>, u32>,
    classes: Vec<Arc<Class>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave the book half-updated: every update is complete before
    // the guard drops, so a poisoned lock's data is still consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Router {
    /// A router over `book`: its managers, and its customers with their current managers as
    /// the starting loads. Profiles the book once to know every customer's class and segment.
    pub fn new(rulebook: &Rulebook, book: &Book, options: RouterOptions) -> Result<Router> {
        options.policy.check()?;
        super::prepare::check_unique_ids(book)?;
        rulebook.check(&book.customers.schema)?;
        rulebook.check_managers(&book.managers.schema)?;
        let managers = &book.managers.records;
        let organisation = book.organisation.clone();
        let state = LiveBook::new(managers.clone(), organisation, options.policy.balance);
        let pair = rulebook.pair_rules();
        let regions = pair::regions(
            rulebook,
            &book.customers.schema,
            &book.managers.schema,
            options.as_of,
        );
        let router = Router {
            rulebook: rulebook.clone(),
            options,
            customer_schema: book.customers.schema.clone(),
            scores: Arc::clone(&book.scores),
            manager_schema: book.managers.schema.clone(),
            evaluator: Evaluator::new(rulebook, &book.customers.schema, options.as_of),
            workers: Mutex::new(Vec::new()),
            keys: KeyMaker::new(
                rulebook,
                (&book.customers.schema, &book.scores),
                &pair.customer_reads,
                &regions,
            ),
            regions,
            segment: TextField::new(rulebook, &book.customers.schema, "segment"),
            classes: RwLock::new(ClassTable::default()),
            pair: Mutex::new(None),
            state: Mutex::new(state),
        };
        let known = router.learn(&book.customers)?;
        let index: HashMap<&ManagerId, u32> = managers
            .iter()
            .enumerate()
            .map(|(j, m)| (&m.id, j as u32))
            .collect();
        let mut state = lock(&router.state);
        for (customer, (class, segment)) in book.customers.records.iter().zip(known) {
            let Some(&manager) = customer.manager.as_ref().and_then(|m| index.get(m)) else {
                continue;
            };
            state.add(
                customer.id.clone(),
                Placement {
                    manager,
                    class,
                    segment,
                    home: None,
                },
            );
        }
        drop(state);
        Ok(router)
    }

    /// Follows a batch plan made with a forecast of leads: every forecast customer the plan
    /// placed becomes a quota place for its class and segment with that manager, reserved
    /// until a lead of that class takes it. Replaces earlier guidance; returns the places.
    pub fn follow(&self, plan: &Plan, forecast: &Customers) -> Result<usize> {
        if forecast.schema != self.customer_schema {
            return Err(BookError::SchemaMismatch {
                what: "the forecast".to_owned(),
            }
            .into());
        }
        let known = self.learn(forecast)?;
        let mut state = lock(&self.state);
        let index: HashMap<&ManagerId, u32> = state
            .managers
            .iter()
            .enumerate()
            .map(|(j, m)| (&m.id, j as u32))
            .collect();
        let planned: HashMap<&CustomerId, u32> = plan
            .assignments
            .iter()
            .filter_map(|a| Some((&a.customer, *index.get(&a.manager)?)))
            .collect();
        let mut quotas: HashMap<QuotaKey, BTreeMap<u32, u32>> = HashMap::new();
        let mut places = 0;
        for (customer, (class, segment)) in forecast.records.iter().zip(known) {
            if let Some(&manager) = planned.get(&customer.id) {
                *quotas
                    .entry((class, segment))
                    .or_default()
                    .entry(manager)
                    .or_default() += 1;
                places += 1;
            }
        }
        let mut reserved = vec![0; state.managers.len()];
        state.quotas = quotas
            .into_iter()
            .map(|(key, managers)| {
                for (&manager, &n) in &managers {
                    reserved[manager as usize] += n;
                }
                (key, managers.into_iter().collect())
            })
            .collect();
        state.reserved = reserved;
        Ok(places)
    }

    /// Plans a forecast of leads into the room the book leaves — every manager's capacity and
    /// segment caps less what they hold now — and follows that plan ([`Router::follow`]).
    /// The book's customers are not in the plan, so a forecast never displaces one. Returns
    /// the quota places made.
    pub fn follow_forecast(&self, forecast: &Customers) -> Result<usize> {
        let managers = {
            let state = lock(&self.state);
            let records = state
                .managers
                .iter()
                .enumerate()
                .map(|(j, m)| {
                    let mut residual = m.clone();
                    residual.capacity = if state.away[j] {
                        0
                    } else {
                        m.capacity.saturating_sub(state.loads[j])
                    };
                    for (segment, cap) in &mut residual.segment_caps {
                        let held = state.segment_loads[j].get(segment.as_str()).copied();
                        *cap = cap.saturating_sub(held.unwrap_or(0));
                    }
                    residual
                })
                .collect();
            Managers {
                schema: self.manager_schema.clone(),
                records,
            }
        };
        let book = Book::new(forecast.clone(), managers);
        let options = super::AssignOptions {
            policy: self.options.policy,
            ..super::AssignOptions::new(self.options.as_of)
        };
        let plan = super::assign(&book, &self.rulebook, &options)?;
        self.follow(&plan, forecast)
    }

    /// Routes one lead: profiles it, picks a manager, and books it. A lead already in the book
    /// is an error; a lead that fits nowhere is a decision with a reason, not an error.
    pub fn route(&self, lead: &Customer) -> Result<Decision> {
        self.route_scored(lead, &[])
    }

    /// Routes one lead with a model's scores for it (manager id, score), which the pair rules
    /// read as `pair_score(c, m)`, as [`Router::route`] routes one without: the scores of a
    /// book's customer come with the book, a lead's come with it. Leads key their classes by
    /// their scores too, so a scored lead shares a class only with leads scored alike, and the
    /// parts of its rules that do not read the score are answered from what the router
    /// remembers. A manager not in the book, a pair scored twice or a score that is not a finite
    /// number is an error.
    pub fn route_scored(&self, lead: &Customer, scores: &[(ManagerId, Value)]) -> Result<Decision> {
        if lead.attributes.len() != self.customer_schema.len() {
            return Err(BookError::SchemaMismatch {
                what: format!("lead `{}`", lead.id),
            }
            .into());
        }
        let derived = self.profile(lead)?;
        let own = match scores {
            [] => None,
            scores => {
                let state = lock(&self.state);
                for (manager, _) in scores {
                    state.index(manager)?;
                }
                drop(state);
                Some(PairScores::own(scores, "the lead's scores")?)
            }
        };
        let class = self.classes_of(&[(lead, &derived, own.as_ref())])[0];
        self.book_lead(lead, &derived, class)
    }

    /// Books `lead` (with its `derived` values) in class `class`: the manager the marginal
    /// rule picks, or a decision saying why none.
    fn book_lead(&self, lead: &Customer, derived: &[Value], class: u32) -> Result<Decision> {
        let segment = self.segment.get(lead, Some(derived));
        let class_rules = self.class(class);
        let eligible = match &class_rules.eligible {
            Ok(eligible) => eligible.as_slice(),
            Err(error) => return Err(error.clone().into()),
        };
        let mut state = lock(&self.state);
        if let Some(placed) = state.placed.get(&lead.id) {
            return Err(BookError::AlreadyPlaced {
                customer: lead.id.to_string(),
                manager: state.managers[placed.manager as usize].id.to_string(),
            }
            .into());
        }
        let (decision, choice) = state.decide(&lead.id, (class, segment.as_ref()), eligible, true);
        if let Some(manager) = choice {
            state.add(
                lead.id.clone(),
                Placement {
                    manager,
                    class,
                    segment,
                    home: None,
                },
            );
        }
        Ok(decision)
    }

    /// A customer leaves the book: their manager's place is free again.
    pub fn release(&self, customer: &CustomerId) -> Result<ManagerId> {
        let mut state = lock(&self.state);
        let placement = state.remove(customer)?;
        Ok(state.managers[placement.manager as usize].id.clone())
    }

    /// A manager goes on leave: each of their customers is covered by the peer the marginal
    /// rule picks (most constrained customers first), and handed back by [`Router::end_leave`].
    /// Customers no peer can take stay with the manager; their decisions say why.
    pub fn start_leave(&self, manager: &ManagerId) -> Result<Vec<Decision>> {
        let mut state = lock(&self.state);
        let j = state.present(manager)?;
        state.away[j as usize] = true;
        state.refresh(j as usize);
        self.replace(&mut state, j, Some(j))
    }

    /// A manager is back: every customer covered for them returns; returns how many.
    pub fn end_leave(&self, manager: &ManagerId) -> Result<usize> {
        let mut state = lock(&self.state);
        let j = state.index(manager)?;
        if !state.away[j as usize] || state.gone[j as usize] {
            return Err(BookError::NotOnLeave {
                manager: manager.to_string(),
            }
            .into());
        }
        state.away[j as usize] = false;
        state.refresh(j as usize);
        let mut returning: Vec<CustomerId> = state
            .placed
            .iter()
            .filter(|(_, p)| p.home == Some(j))
            .map(|(id, _)| id.clone())
            .collect();
        returning.sort_unstable();
        for customer in &returning {
            let mut placement = state.remove(customer)?;
            placement.manager = j;
            placement.home = None;
            state.add(customer.clone(), placement);
        }
        Ok(returning.len())
    }

    /// A manager leaves for good: only their book is placed again, over their peers.
    pub fn depart(&self, manager: &ManagerId) -> Result<Vec<Decision>> {
        let mut state = lock(&self.state);
        let j = state.index(manager)?;
        if state.gone[j as usize] {
            return Err(BookError::UnknownManager {
                manager: manager.to_string(),
            }
            .into());
        }
        state.away[j as usize] = true;
        state.gone[j as usize] = true;
        state.refresh(j as usize);
        // Nobody waits for a manager who will not return.
        for placement in state.placed.values_mut() {
            if placement.home == Some(j) {
                placement.home = None;
            }
        }
        let decisions = self.replace(&mut state, j, None)?;
        // Whoever could not be placed leaves the departed manager's book.
        let stranded: Vec<CustomerId> = state
            .placed
            .iter()
            .filter(|(_, p)| p.manager == j)
            .map(|(id, _)| id.clone())
            .collect();
        for customer in stranded {
            state.remove(&customer)?;
        }
        state.reserved[j as usize] = 0;
        for places in state.quotas.values_mut() {
            places.retain(|&(m, _)| m != j);
        }
        Ok(decisions)
    }

    /// A new manager joins: the pair rules run for them against every known class, and new
    /// leads may be routed to them at once. Moving existing customers towards them is a batch
    /// rebalance ([`rebalance`](super::rebalance())).
    pub fn join(&self, manager: Manager) -> Result<()> {
        if manager.attributes.len() != self.manager_schema.len() {
            return Err(BookError::SchemaMismatch {
                what: format!("manager `{}`", manager.id),
            }
            .into());
        }
        let mut state = lock(&self.state);
        if state.managers.iter().any(|m| m.id == manager.id) {
            return Err(InputError::DuplicateId {
                kind: RecordKind::Manager,
                id: manager.id.to_string(),
                at: Location::in_source("<router>").in_record(manager.id.as_str()),
            }
            .into());
        }
        let newcomer = Managers {
            schema: self.manager_schema.clone(),
            records: vec![manager.clone()],
        };
        let j = state.managers.len() as u32;
        let mut table = self.classes.write().unwrap_or_else(PoisonError::into_inner);
        let representatives: Vec<Representative<'_>> = table
            .classes
            .iter()
            .map(|c| Representative {
                customer: &c.representative,
                derived: &c.derived,
                scores: c.scores.as_ref(),
            })
            .collect();
        let results = pair::evaluate(
            &self.rulebook,
            (&self.customer_schema, &self.scores),
            &newcomer,
            &representatives,
            (self.options.as_of, Some(&self.regions)),
            None,
        )
        .into_rows();
        let classes: Vec<Arc<Class>> = table
            .classes
            .iter()
            .zip(results)
            .map(|(class, result)| {
                let eligible = match (&class.eligible, result) {
                    (Ok(before), Ok(new)) => Ok(before
                        .iter()
                        .copied()
                        .chain(new.into_iter().map(|(_, a)| (j, a)))
                        .collect()),
                    (Err(e), _) => Err(e.clone()),
                    (_, Err(e)) => Err(e),
                };
                Arc::new(Class {
                    eligible,
                    representative: class.representative.clone(),
                    derived: class.derived.clone(),
                    scores: class.scores.clone(),
                })
            })
            .collect();
        let mut organisation = state.organisation.clone();
        organisation.admit(&self.manager_schema, &manager, j as usize)?;
        table.classes = classes;
        drop(table);
        state.organisation = organisation;
        state.join(manager);
        Ok(())
    }

    /// The book's loads now.
    pub fn snapshot(&self) -> BookSnapshot {
        let state = lock(&self.state);
        BookSnapshot {
            managers: state
                .managers
                .iter()
                .enumerate()
                .filter(|(j, _)| !state.gone[*j])
                .map(|(j, m)| {
                    (
                        m.id.clone(),
                        state.loads[j],
                        m.capacity,
                        m.target_load(),
                        state.away[j],
                    )
                })
                .collect(),
            placed: state.placed.len(),
            quotas_left: state.reserved.iter().map(|&r| r as usize).sum(),
        }
    }

    /// Every placed customer and their manager, by customer id.
    pub fn book(&self) -> BTreeMap<CustomerId, ManagerId> {
        let state = lock(&self.state);
        state
            .placed
            .iter()
            .map(|(c, p)| (c.clone(), state.managers[p.manager as usize].id.clone()))
            .collect()
    }

    /// Places the customers of manager `from` again over the peers with room, most
    /// constrained first; each keeps `home` to be handed back.
    fn replace(&self, state: &mut LiveBook, from: u32, home: Option<u32>) -> Result<Vec<Decision>> {
        let classes = self.classes.read().unwrap_or_else(PoisonError::into_inner);
        let eligible_of = |class: u32| -> &[(u32, i64)] {
            match &classes.classes[class as usize].eligible {
                Ok(eligible) => eligible,
                Err(_) => &[],
            }
        };
        let mut book: Vec<(usize, CustomerId, Placement)> = state
            .placed
            .iter()
            .filter(|(_, p)| p.manager == from)
            .map(|(id, p)| (eligible_of(p.class).len(), id.clone(), p.clone()))
            .collect();
        book.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut decisions = Vec::with_capacity(book.len());
        for (_, customer, placement) in book {
            state.remove(&customer)?;
            let eligible = eligible_of(placement.class);
            let (decision, choice) = state.decide(
                &customer,
                (placement.class, placement.segment.as_ref()),
                eligible,
                false,
            );
            // A customer already covered for someone else keeps waiting for them.
            let moved = Placement {
                manager: choice.unwrap_or(from),
                home: match choice {
                    Some(_) => placement.home.or(home),
                    None => placement.home,
                },
                ..placement
            };
            state.add(customer, moved);
            decisions.push(decision);
        }
        Ok(decisions)
    }

    /// The lead's derived fields, with a worker of the pool (or a new one).
    fn profile(&self, lead: &Customer) -> Result<Vec<Value>> {
        let mut worker = lock(&self.workers)
            .pop()
            .unwrap_or_else(|| self.evaluator.worker(None));
        let result = self.evaluator.customer(&mut worker, lead);
        lock(&self.workers).push(worker);
        Ok(result?)
    }

    /// The pair rules' verdict on class `class`.
    fn class(&self, class: u32) -> Arc<Class> {
        Arc::clone(
            &self
                .classes
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .classes[class as usize],
        )
    }

    /// Each customer's pair class, running the pair rules (in parallel) for classes not seen
    /// before.
    fn classes_of(&self, customers: &[(&Customer, &[Value], Option<&CustomerScores>)]) -> Vec<u32> {
        let dynamic = self.rulebook.pair_rules().reads_customer_dynamically;
        let keys: Vec<Vec<KeyPart>> = customers
            .iter()
            .map(|&(customer, derived, own)| {
                if dynamic {
                    vec![KeyPart::Str(Arc::from(customer.id.as_str()))]
                } else {
                    self.keys.key(customer, derived, own)
                }
            })
            .collect();
        {
            let table = self.classes.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(known) = keys.iter().map(|k| table.by_key.get(k).copied()).collect() {
                return known;
            }
        }
        let (managers, gone) = {
            let state = lock(&self.state);
            (state.managers.clone(), state.gone.clone())
        };
        let managers = Managers {
            schema: self.manager_schema.clone(),
            records: managers,
        };
        let mut table = self.classes.write().unwrap_or_else(PoisonError::into_inner);
        let mut new: HashMap<&[KeyPart], usize> = HashMap::new();
        let mut representatives = Vec::new();
        for (key, &(customer, derived, scores)) in keys.iter().zip(customers) {
            if !table.by_key.contains_key(key) && !new.contains_key(key.as_slice()) {
                new.insert(key, representatives.len());
                representatives.push(Representative {
                    customer,
                    derived,
                    scores,
                });
            }
        }
        let results = match representatives.as_slice() {
            [one] => {
                let mut kept = lock(&self.pair);
                let evaluator = match kept.take() {
                    Some(evaluator) if evaluator.managers() == managers.records.len() => evaluator,
                    _ => PairEvaluator::new(
                        &self.rulebook,
                        (&self.customer_schema, &self.scores),
                        &managers,
                        self.options.as_of,
                    ),
                };
                let evaluator = kept.insert(evaluator);
                vec![evaluator.class(&self.rulebook, one)]
            }
            _ => pair::evaluate(
                &self.rulebook,
                (&self.customer_schema, &self.scores),
                &managers,
                &representatives,
                (self.options.as_of, Some(&self.regions)),
                None,
            )
            .into_rows(),
        };
        for (representative, eligible) in representatives.iter().zip(results) {
            let key = self.keys.key(
                representative.customer,
                representative.derived,
                representative.scores,
            );
            let key = if dynamic {
                vec![KeyPart::Str(Arc::from(representative.customer.id.as_str()))]
            } else {
                key
            };
            // Managers who left are never eligible again.
            let eligible =
                eligible.map(|e| e.into_iter().filter(|(j, _)| !gone[*j as usize]).collect());
            let class = table.classes.len() as u32;
            table.classes.push(Arc::new(Class {
                eligible,
                representative: representative.customer.clone(),
                derived: representative.derived.to_vec(),
                scores: representative.scores.cloned(),
            }));
            table.by_key.insert(key, class);
        }
        keys.iter()
            .map(|k| table.by_key.get(k).copied().unwrap_or(0))
            .collect()
    }

    /// Profiles `customers`, runs the pair rules for classes not seen before, and returns
    /// each customer's (class, segment).
    fn learn(&self, customers: &Customers) -> Result<Vec<(u32, Option<Arc<str>>)>> {
        let profile = self
            .rulebook
            .profile(customers, &ProfileOptions::new(self.options.as_of))?;
        let rows: Vec<(&Customer, &[Value], _)> = customers
            .records
            .iter()
            .zip(&profile.customers)
            .map(|(c, row)| (c, row.values.as_slice(), None))
            .collect();
        let classes = self.classes_of(&rows);
        Ok(rows
            .iter()
            .zip(classes)
            .map(|((customer, derived, _), class)| {
                (class, self.segment.get(customer, Some(derived)))
            })
            .collect())
    }
}
