//! The small results as native, frozen classes with named attributes: what crosses into
//! Python is the class itself, never a positional tuple. Each compares by value, shows its
//! fields in its `repr` and pickles by its fields.

use apportion::{Basis, Skip};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

/// A frozen class of named fields: its constructor takes them in order (and by name), its
/// `repr` names them, it compares by value and pickles as its fields. Fields listed after
/// `optional` are `Option`s the constructor defaults to `None` (fields added later, so that
/// older calls still build the class).
macro_rules! value_class {
    (
        $(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),+ $(,)? }
        $(optional { $($opt:ident: $oty:ty),+ $(,)? })?
    ) => {
        $(#[$doc])*
        #[pyclass(frozen, eq, get_all, module = "apportion")]
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct $name {
            $(pub(crate) $field: $ty,)+
            $($(pub(crate) $opt: $oty,)+)?
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = ($($field,)+ $($($opt = None,)+)?))]
            #[allow(
                clippy::too_many_arguments,
                reason = "one argument per field, as the class is pickled and built"
            )]
            fn new($($field: $ty,)+ $($($opt: $oty,)+)?) -> Self {
                $name { $($field,)+ $($($opt,)+)? }
            }

            /// The class and its fields, each shown as Python shows it.
            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                let mut fields = Vec::new();
                $(fields.push(format!(
                    "{}={}",
                    stringify!($field),
                    slf.getattr(stringify!($field))?.repr()?
                ));)+
                $($(fields.push(format!(
                    "{}={}",
                    stringify!($opt),
                    slf.getattr(stringify!($opt))?.repr()?
                ));)+)?
                Ok(format!("{}({})", stringify!($name), fields.join(", ")))
            }

            /// The class and its fields as a tuple of any length (a Rust tuple converts
            /// only up to twelve).
            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
                let py = slf.py();
                let this = slf.get();
                let fields = [
                    $(this.$field.clone().into_bound_py_any(py)?,)+
                    $($(this.$opt.clone().into_bound_py_any(py)?,)+)?
                ];
                Ok((slf.get_type(), PyTuple::new(py, fields)?))
            }
        }
    };
}

value_class! {
    /// The objective the plan minimises, and its parts (the design's contract).
    ///
    /// Attributes
    /// ----------
    /// total : int
    ///     ``affinity + moves + balance + unassigned``: the minimum over every feasible plan.
    /// affinity : int
    ///     Minus the summed affinity of every customer to their manager.
    /// moves : int
    ///     The move penalty paid for every customer taken from a manager still in the book.
    /// balance : int
    ///     The balance term: each manager's load spread in proportion to their target.
    /// unassigned : int
    ///     The penalty paid for every customer left out.
    /// model_scores : int or None
    ///     Of ``affinity``, minus what the model's scores added to it (the sum of the
    ///     assignments' ``model_score``); ``None`` when the book has no scores.
    Objective { total: i64, affinity: i64, moves: i64, balance: i64, unassigned: i64 }
    optional { model_scores: Option<i64> }
}

value_class! {
    /// How the book looks after the plan.
    ///
    /// Attributes
    /// ----------
    /// assigned, unassigned : int
    ///     Customers placed, and left out (``Plan.unassigned`` says why).
    /// moved : int
    ///     Customers who had a manager and get another: ``paid_moves + rehomed``.
    /// paid_moves : int
    ///     Customers taken from a manager still here; each pays the move penalty.
    /// rehomed : int
    ///     Customers whose manager left, placed anew at no penalty.
    /// min_utilisation, max_utilisation, utilisation_std_dev : float
    ///     Load over capacity across managers: lowest, highest, standard deviation.
    Stats {
        assigned: usize,
        unassigned: usize,
        moved: usize,
        paid_moves: usize,
        rehomed: usize,
        min_utilisation: f64,
        max_utilisation: f64,
        utilisation_std_dev: f64,
    }
}

value_class! {
    /// How large the assignment's network was: what aggregation made of the customers.
    ///
    /// Attributes
    /// ----------
    /// pair_classes : int
    ///     Distinct customers as the pair rules see them: the rules ran once per class.
    /// supply_nodes : int
    ///     Groups of interchangeable customers, split by current manager (customers kept at
    ///     their current manager's node count in none).
    /// nodes : int
    ///     Nodes of the network.
    /// arcs : int
    ///     Every eligible pair's arc, whether the solve held it or not.
    /// arcs_held : int
    ///     Arcs the solve started from: on a large network, a few manager arcs per group.
    /// arcs_priced_in : int
    ///     Manager arcs left out at the start and brought in because the optimum needed them.
    /// pricing_rounds : int
    ///     Rounds of solving and bringing in the arcs that would pay.
    /// pivots : int
    ///     Simplex pivots the solve took (the same on any thread count).
    /// parts : int
    ///     Independent parts the network was solved in, in parallel (regions whose customers
    ///     share no eligible manager); 1 when it was solved whole, which is slower.
    /// joined_by_links : bool
    ///     Whether the parts are joined by groups over regions (business lines, national
    ///     desks): solved apart with each such group priced flat and each region held to a
    ///     share of its capacity, then whole from their optimum.
    /// limit_solves : int
    ///     Solves after the first that the groups' caps and minimums per segment took.
    /// optimality_gap : int
    ///     How far the plan may be above the optimum: 0 when proven optimal, as always
    ///     without caps and minimums per (group, segment).
    Network {
        pair_classes: usize,
        supply_nodes: usize,
        nodes: usize,
        arcs: usize,
        arcs_held: usize,
        arcs_priced_in: usize,
        pricing_rounds: u32,
        pivots: u64,
        parts: usize,
        joined_by_links: bool,
        limit_solves: u32,
        optimality_gap: i64,
    }
}

value_class! {
    /// Where an assignment's time went (a plan's equality never looks at it).
    ///
    /// Attributes
    /// ----------
    /// rules_seconds : float
    ///     Profiling the customers and running the pair rules.
    /// solve_seconds : float
    ///     Building the network, solving it (pricing rounds included) and writing the plan.
    Timings { rules_seconds: f64, solve_seconds: f64 }
}

value_class! {
    /// One manager's book in the router now.
    ///
    /// Attributes
    /// ----------
    /// manager : str
    ///     The manager's id.
    /// load, capacity, target : int
    ///     Customers now, the most they may serve, and the load the balance aims for.
    /// away : bool
    ///     Whether the manager is on leave.
    ManagerLoad { manager: String, load: u32, capacity: u32, target: u32, away: bool }
}

impl Objective {
    pub(crate) fn of(o: &apportion::Objective) -> Objective {
        let (total, affinity, moves, balance) = (o.total, o.affinity, o.moves, o.balance);
        Objective {
            total,
            affinity,
            moves,
            balance,
            unassigned: o.unassigned,
            model_scores: o.model_scores,
        }
    }
}

impl Stats {
    pub(crate) fn of(s: &apportion::BalanceStats) -> Stats {
        Stats {
            assigned: s.assigned,
            unassigned: s.unassigned,
            moved: s.moved,
            paid_moves: s.paid_moves,
            rehomed: s.rehomed,
            min_utilisation: s.min_utilisation,
            max_utilisation: s.max_utilisation,
            utilisation_std_dev: s.utilisation_std_dev,
        }
    }
}

impl Network {
    pub(crate) fn of(n: &apportion::NetworkStats) -> Network {
        Network {
            pair_classes: n.pair_classes,
            supply_nodes: n.supply_nodes,
            nodes: n.nodes,
            arcs: n.arcs,
            arcs_held: n.arcs_held,
            arcs_priced_in: n.arcs_priced_in,
            pricing_rounds: n.pricing_rounds,
            pivots: n.pivots,
            parts: n.parts,
            joined_by_links: n.joined_by_links,
            limit_solves: n.limit_solves,
            optimality_gap: n.optimality_gap,
        }
    }
}

impl Timings {
    pub(crate) fn of(t: &apportion::Timings) -> Timings {
        Timings {
            rules_seconds: t.rules.as_secs_f64(),
            solve_seconds: t.solve.as_secs_f64(),
        }
    }
}

value_class! {
    /// Where a lead went and why.
    ///
    /// Attributes
    /// ----------
    /// customer : str
    ///     The lead's id.
    /// manager : str or None
    ///     The manager chosen; ``None`` when the lead could not be placed.
    /// runner_up : str or None
    ///     The next best manager with room.
    /// basis : str
    ///     ``quota`` (a place the forecast plan held for leads like it), ``marginal`` (the
    ///     smallest marginal cost of the objective) or ``unplaced``.
    /// cost : int or None
    ///     The chosen manager's marginal cost.
    /// affinity : int or None
    ///     The lead's affinity to the chosen manager.
    /// ineligible : int
    ///     How many managers the pair rules ruled out.
    /// full : list of str
    ///     Eligible managers passed over as full.
    /// segment_full : list of (str, str)
    ///     Eligible (manager, segment) pairs passed over as full for the lead's segment.
    /// away : list of str
    ///     Eligible managers passed over as on leave.
    /// group_full : list of (str, str)
    ///     Eligible (manager, group) pairs passed over as in a group at its capacity.
    /// reason : str or None
    ///     Why an unplaced lead was not placed: ``no_eligible_manager`` or
    ///     ``capacity_exhausted``.
    /// group_segment_full : list of (str, str, str) or None
    ///     Eligible managers passed over as in a group at its cap for the lead's segment, as
    ///     (manager, group, segment); ``None`` only in a ``Decision`` built without it.
    Decision {
        customer: String,
        manager: Option<String>,
        runner_up: Option<String>,
        basis: String,
        cost: Option<i64>,
        affinity: Option<i64>,
        ineligible: usize,
        full: Vec<String>,
        segment_full: Vec<(String, String)>,
        away: Vec<String>,
        group_full: Vec<(String, String)>,
        reason: Option<String>,
    }
    optional {
        group_segment_full: Option<Vec<(String, String, String)>>,
    }
}

impl Decision {
    pub(crate) fn of(decision: apportion::Decision) -> Decision {
        let passed_over = |why: fn(&Skip) -> bool| -> Vec<String> {
            decision
                .skipped
                .iter()
                .filter(|s| why(&s.why))
                .map(|s| s.manager.to_string())
                .collect()
        };
        let segment_full = decision
            .skipped
            .iter()
            .filter_map(|s| match &s.why {
                Skip::SegmentFull { segment } => Some((s.manager.to_string(), segment.clone())),
                _ => None,
            })
            .collect();
        let group_full = decision
            .skipped
            .iter()
            .filter_map(|s| match &s.why {
                Skip::GroupFull { group } => Some((s.manager.to_string(), group.clone())),
                _ => None,
            })
            .collect();
        let group_segment_full = decision
            .skipped
            .iter()
            .filter_map(|s| match &s.why {
                Skip::GroupSegmentFull { group, segment } => {
                    Some((s.manager.to_string(), group.clone(), segment.clone()))
                }
                _ => None,
            })
            .collect();
        Decision {
            group_full,
            group_segment_full: Some(group_segment_full),
            full: passed_over(|why| matches!(why, Skip::Full)),
            away: passed_over(|why| matches!(why, Skip::Away)),
            segment_full,
            customer: decision.customer.to_string(),
            manager: decision.manager.map(|m| m.to_string()),
            runner_up: decision.runner_up.map(|m| m.to_string()),
            basis: basis_name(decision.basis).to_owned(),
            cost: decision.cost,
            affinity: decision.affinity,
            ineligible: decision.ineligible,
            reason: decision.reason.as_ref().map(|r| r.code().to_owned()),
        }
    }
}

fn basis_name(basis: Basis) -> &'static str {
    match basis {
        Basis::Quota => "quota",
        Basis::Marginal => "marginal",
        Basis::Unplaced => "unplaced",
    }
}

/// Where a plan comes from: engine, rulebook, date, policy and the inputs' digests.
///
/// Attributes
/// ----------
/// engine_version : str
///     The version of the apportion engine that made the plan.
/// rulebook_sha256 : str
///     SHA-256 of the rulebook's source, in hex: one character changed changes it.
/// as_of : str
///     The date the rules compared against, ``YYYY-MM-DD``.
/// move_penalty, balance : int
///     M and λ of the objective (for a rebalance, the move penalty its search settled on).
/// unassigned_penalty : int or None
///     U as given; ``None`` for the default, large enough to place everyone who fits.
/// customers_blake3, managers_blake3 : str
///     BLAKE3 of the inputs as loaded, in hex (ids, managers, every value, the columns and their
///     types): the same whatever the table's flavour, its batches or the threads.
/// groups_blake3 : str or None
///     BLAKE3 of the groups of managers, when the book has any.
/// scores_blake3 : str or None
///     BLAKE3 of the model's scores for pairs, when the book has any.
/// private_fields : list of str
///     Input fields no rule could read.
/// threads : int
///     Worker threads the run used: how the plan was made, not what it is, so equality
///     leaves it out.
#[pyclass(frozen, get_all, module = "apportion")]
#[derive(Debug, Clone)]
pub(crate) struct Provenance {
    engine_version: String,
    rulebook_sha256: String,
    as_of: String,
    move_penalty: i64,
    balance: i64,
    unassigned_penalty: Option<i64>,
    customers_blake3: String,
    managers_blake3: String,
    private_fields: Vec<String>,
    threads: usize,
    groups_blake3: Option<String>,
    scores_blake3: Option<String>,
}

impl Provenance {
    pub(crate) fn of(p: &apportion::Provenance) -> Provenance {
        Provenance {
            engine_version: p.engine_version.clone(),
            rulebook_sha256: p.rulebook_sha256.clone(),
            as_of: p.as_of.to_string(),
            move_penalty: p.policy.move_penalty,
            balance: p.policy.balance,
            unassigned_penalty: p.policy.unassigned_penalty,
            customers_blake3: p.customers_blake3.clone(),
            managers_blake3: p.managers_blake3.clone(),
            private_fields: p.private_fields.clone(),
            threads: p.threads,
            groups_blake3: p.groups_blake3.clone(),
            scores_blake3: p.scores_blake3.clone(),
        }
    }

    /// Everything but the threads.
    fn key(&self) -> impl PartialEq + '_ {
        (
            (&self.engine_version, &self.rulebook_sha256, &self.as_of),
            (self.move_penalty, self.balance, self.unassigned_penalty),
            (
                &self.customers_blake3,
                &self.managers_blake3,
                &self.groups_blake3,
                &self.scores_blake3,
                &self.private_fields,
            ),
        )
    }
}

#[pymethods]
impl Provenance {
    #[new]
    #[pyo3(signature = (
        engine_version, rulebook_sha256, as_of, move_penalty, balance, unassigned_penalty,
        customers_blake3, managers_blake3, private_fields, threads, groups_blake3 = None,
        scores_blake3 = None
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per field, as the class is pickled and built"
    )]
    fn new(
        engine_version: String,
        rulebook_sha256: String,
        as_of: String,
        move_penalty: i64,
        balance: i64,
        unassigned_penalty: Option<i64>,
        customers_blake3: String,
        managers_blake3: String,
        private_fields: Vec<String>,
        threads: usize,
        groups_blake3: Option<String>,
        scores_blake3: Option<String>,
    ) -> Provenance {
        Provenance {
            groups_blake3,
            scores_blake3,
            engine_version,
            rulebook_sha256,
            as_of,
            move_penalty,
            balance,
            unassigned_penalty,
            customers_blake3,
            managers_blake3,
            private_fields,
            threads,
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Provenance>()
            .is_ok_and(|other| self.key() == other.get().key())
    }

    fn __repr__(&self) -> String {
        format!(
            "Provenance(engine_version={:?}, rulebook_sha256={:?}, as_of={:?}, threads={})",
            self.engine_version, self.rulebook_sha256, self.as_of, self.threads
        )
    }

    #[allow(
        clippy::type_complexity,
        reason = "the constructor's arguments, in order"
    )]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> (
        Bound<'py, PyType>,
        (
            String,
            String,
            String,
            i64,
            i64,
            Option<i64>,
            String,
            String,
            Vec<String>,
            usize,
            Option<String>,
            Option<String>,
        ),
    ) {
        let p = slf.get().clone();
        (
            slf.get_type(),
            (
                p.engine_version,
                p.rulebook_sha256,
                p.as_of,
                p.move_penalty,
                p.balance,
                p.unassigned_penalty,
                p.customers_blake3,
                p.managers_blake3,
                p.private_fields,
                p.threads,
                p.groups_blake3,
                p.scores_blake3,
            ),
        )
    }
}

/// An optimal assignment, its tables in the flavour the customers came in.
///
/// Attributes
/// ----------
/// assignments : table
///     One row per placed customer: ``customer``, ``manager``, ``previous_manager``,
///     ``moved``, ``affinity``, ``move_penalty``; for a book with model scores, also
///     ``model_score``: what the model's score added to the affinity.
/// unassigned : table
///     One row per customer left out: ``customer``, ``previous_manager``, ``reason``,
///     ``full_managers``, ``full_segments``, ``message``.
/// loads : table
///     One row per manager: ``manager``, ``load``, ``capacity``, ``target``,
///     ``utilisation``, ``shadow_price`` (how much the objective would fall with one more
///     place), ``load_<segment>`` per segment (0 where it has none), and
///     ``shadow_price_<segment>`` per segment capped somewhere (0 where the cap does not
///     bind).
/// orphans : table
///     Customers whose current manager is not in the book: ``customer``,
///     ``former_manager``.
/// groups : table
///     One row per group of managers (none without groups): ``group``, ``parent``,
///     ``managers``, ``load``, ``capacity``, ``target``, ``utilisation``, ``moved_in``,
///     ``moved_out``, its managers' ``min_utilisation``, ``max_utilisation`` and
///     ``utilisation_std_dev``; then ``load_<segment>`` per segment, and ``cap_<segment>``
///     and ``minimum_<segment>`` per segment limited somewhere (null where the group has
///     none).
/// objective : Objective
///     The objective's value and parts.
/// stats : Stats
///     Counts and utilisation after the plan.
/// network : Network
///     The size of the network solved.
/// provenance : Provenance
///     Where the plan comes from: engine, rulebook, date, policy, the inputs' digests.
/// timings : Timings or None
///     How long :func:`assign` took; ``None`` for a plan made otherwise (a rebalance).
///     Never part of equality.
///
/// Notes
/// -----
/// Ids are plain text in every flavour, so a plan joins on them. Two plans are equal when
/// their parts are, compared as a tuple compares its items.
#[pyclass(frozen, generic, module = "apportion")]
pub(crate) struct Plan {
    /// The engine's plan with its inputs, for `explain`: only on a plan `assign` just made
    /// (never pickled, never compared).
    explainer: Option<Py<Explainer>>,
    #[pyo3(get)]
    assignments: Py<PyAny>,
    #[pyo3(get)]
    unassigned: Py<PyAny>,
    #[pyo3(get)]
    loads: Py<PyAny>,
    #[pyo3(get)]
    orphans: Py<PyAny>,
    #[pyo3(get)]
    groups: Py<PyAny>,
    #[pyo3(get)]
    objective: Py<Objective>,
    #[pyo3(get)]
    stats: Py<Stats>,
    #[pyo3(get)]
    network: Py<Network>,
    #[pyo3(get)]
    provenance: Py<Provenance>,
    #[pyo3(get)]
    timings: Option<Py<Timings>>,
}

impl Plan {
    /// The parts equality and pickling look at, in order (timings last).
    fn parts<'py>(&self, py: Python<'py>) -> [Bound<'py, PyAny>; 9] {
        [
            self.assignments.bind(py).clone(),
            self.unassigned.bind(py).clone(),
            self.loads.bind(py).clone(),
            self.orphans.bind(py).clone(),
            self.groups.bind(py).clone(),
            self.objective.bind(py).clone().into_any(),
            self.stats.bind(py).clone().into_any(),
            self.network.bind(py).clone().into_any(),
            self.provenance.bind(py).clone().into_any(),
        ]
    }
}

#[pymethods]
impl Plan {
    #[new]
    #[pyo3(signature = (assignments, unassigned, loads, orphans, groups, objective, stats, network, provenance, timings = None, explainer = None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per part, as the class is pickled and built"
    )]
    fn new(
        assignments: Py<PyAny>,
        unassigned: Py<PyAny>,
        loads: Py<PyAny>,
        orphans: Py<PyAny>,
        groups: Py<PyAny>,
        objective: Py<Objective>,
        stats: Py<Stats>,
        network: Py<Network>,
        provenance: Py<Provenance>,
        timings: Option<Py<Timings>>,
        explainer: Option<Py<Explainer>>,
    ) -> Plan {
        Plan {
            explainer,
            assignments,
            unassigned,
            loads,
            orphans,
            groups,
            objective,
            stats,
            network,
            provenance,
            timings,
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = other.py();
        let Ok(other) = other.cast::<Plan>() else {
            return Ok(false);
        };
        let mine = PyTuple::new(py, self.parts(py))?;
        let theirs = PyTuple::new(py, other.get().parts(py))?;
        mine.eq(theirs)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyType>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let mut parts: Vec<Bound<'py, PyAny>> = this.parts(py).into();
        parts.push(match &this.timings {
            Some(timings) => timings.bind(py).clone().into_any(),
            None => py.None().into_bound(py),
        });
        Ok((slf.get_type(), PyTuple::new(py, parts)?))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let stats = self.stats.bind(py).get();
        let objective = self.objective.bind(py).get();
        Ok(format!(
            "Plan(assigned={}, unassigned={}, moved={}, objective={})",
            stats.assigned, stats.unassigned, stats.moved, objective.total
        ))
    }

    /// The plan as HTML, for notebooks.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        html_of(slf.as_any(), "plan_html")
    }

    /// Why one customer goes where the plan puts them, and what every manager would mean.
    ///
    /// Only that customer's rules run again: an explanation takes milliseconds. A plan
    /// keeps its inputs for this, until it is deleted.
    ///
    /// Parameters
    /// ----------
    /// customer : str
    ///     The customer's id.
    ///
    /// Returns
    /// -------
    /// dict
    ///     ``customer``, ``manager``, ``previous_manager``, ``unassigned_reason`` and
    ///     ``segment``; ``fields``: the derived fields the pair rules read, each with its
    ///     ``name``, ``value`` and, for a running score, ``terms`` (``line``, ``column``,
    ///     ``text`` and the ``value`` it added); ``managers``: one entry per manager with its
    ///     ``verdict``: ``assigned``, ``eligible`` (with ``affinity``, its ``terms`` and the
    ///     ``extra_cost`` of moving this customer alone there: ``total``, ``affinity``,
    ///     ``moves``, ``balance``, ``unassigned``), ``full``, ``at_segment_cap``,
    ///     ``in_full_group`` (with its ``group``), ``in_group_at_segment_cap`` or
    ///     ``leaves_group_at_segment_minimum`` (each with its ``group`` and ``segment``) or
    ///     ``ineligible`` (with the ``clause`` of ``eligible`` that ruled it out: ``line``,
    ///     ``column``, ``text``, whether it is a ``guard`` that held, and the condition it
    ///     sat ``under``); and, where the model scored the pair, its ``model_score``.
    ///
    /// Raises
    /// ------
    /// ValueError
    ///     A plan without its inputs: unpickled, or from a rebalance.
    /// BookError
    ///     A customer the book does not have (``unknown_customer``).
    ///
    /// Examples
    /// --------
    /// >>> import apportion
    /// >>> rules = apportion.Rulebook('fn eligible(c, m) { c.region == m.region }')
    /// >>> plan = apportion.assign(
    /// ...     [{"id": "C-1", "region": "north"}],
    /// ...     [{"id": "M-1", "region": "north", "capacity": 1},
    /// ...      {"id": "M-2", "region": "south", "capacity": 1}],
    /// ...     rules, as_of="2026-06-30")
    /// >>> why = plan.explain("C-1")
    /// >>> [(m["manager"], m["verdict"]) for m in why["managers"]]
    /// [('M-1', 'assigned'), ('M-2', 'ineligible')]
    /// >>> why["managers"][1]["clause"]["text"]
    /// 'c.region == m.region'
    fn explain<'py>(&self, py: Python<'py>, customer: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(explainer) = &self.explainer else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "this plan cannot explain: only a plan apportion.assign made in this process \
                 keeps the inputs an explanation needs (not one unpickled or rebalanced); \
                 assign again to explain",
            ));
        };
        let Explainer {
            plan,
            book,
            rulebook,
        } = explainer.get();
        let explanation = py
            .detach(|| plan.explain(book, rulebook, customer))
            .map_err(crate::errors::to_py)?;
        plain(py, &explanation)
    }

    /// What changed from this plan to `other`: moves, flows between managers, loads and the
    /// objective part by part.
    ///
    /// Parameters
    /// ----------
    /// other : Plan
    ///     The second plan, of the same book.
    ///
    /// Returns
    /// -------
    /// dict
    ///     ``moves`` (``customer``, ``before``, ``after``: managers or None), ``flows``
    ///     (``from``, ``to``, ``customers``, most first), ``loads`` (``manager``, ``before``,
    ///     ``after``, for those that changed), ``objective`` (``before``, ``after``,
    ///     ``change``, each with its parts), ``only_before`` and ``only_after``.
    ///
    /// Raises
    /// ------
    /// ValueError
    ///     A plan without its inputs: unpickled, or from a rebalance.
    fn diff<'py>(&self, py: Python<'py>, other: &Bound<'py, Plan>) -> PyResult<Bound<'py, PyAny>> {
        let (Some(mine), Some(theirs)) = (&self.explainer, &other.get().explainer) else {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "these plans cannot be compared: only plans apportion.assign or \
                 apportion.compare made in this process keep what a diff reads",
            ));
        };
        let written = |e: &Py<Explainer>| apportion::WrittenPlan::from(&e.get().plan);
        plain(py, &apportion::diff(&written(mine), &written(theirs)))
    }
}

/// `value` as plain Python values (dicts, lists, text and numbers), through JSON.
pub(crate) fn plain<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// What `Plan.explain` needs: the plan as the engine made it, its book and its rulebook.
#[pyclass(frozen, module = "apportion")]
pub(crate) struct Explainer {
    plan: apportion::Plan,
    book: std::sync::Arc<apportion::Book>,
    rulebook: apportion::Rulebook,
}

impl Explainer {
    pub(crate) fn new(
        plan: apportion::Plan,
        book: std::sync::Arc<apportion::Book>,
        rulebook: apportion::Rulebook,
    ) -> Explainer {
        Explainer {
            plan,
            book,
            rulebook,
        }
    }
}

/// Derived fields per customer.
///
/// Attributes
/// ----------
/// customers : table
///     ``id`` and one column per derived field, in the flavour the customers came in.
/// skipped : list of dict
///     Customers skipped for a failing rule (with ``skip_errors=True``): ``customer``,
///     ``code`` and ``message``.
#[pyclass(frozen, generic, module = "apportion")]
pub(crate) struct Profile {
    #[pyo3(get)]
    customers: Py<PyAny>,
    #[pyo3(get)]
    skipped: Py<PyAny>,
}

#[pymethods]
impl Profile {
    #[new]
    fn new(customers: Py<PyAny>, skipped: Py<PyAny>) -> Profile {
        Profile { customers, skipped }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = other.py();
        let Ok(other) = other.cast::<Profile>() else {
            return Ok(false);
        };
        let other = other.get();
        let mine = PyTuple::new(py, [&self.customers, &self.skipped])?;
        let theirs = PyTuple::new(py, [&other.customers, &other.skipped])?;
        mine.eq(theirs)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyType>, (Py<PyAny>, Py<PyAny>)) {
        let py = slf.py();
        let this = slf.get();
        (
            slf.get_type(),
            (this.customers.clone_ref(py), this.skipped.clone_ref(py)),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let skipped = self.skipped.bind(py).len()?;
        Ok(format!("Profile(customers=<table>, skipped={skipped})"))
    }

    /// The profile as HTML, for notebooks.
    fn _repr_html_(slf: &Bound<'_, Self>) -> PyResult<String> {
        html_of(slf.as_any(), "profile_html")
    }
}

/// `result` rendered by the package's HTML helper `helper` (in `apportion._results`).
fn html_of(result: &Bound<'_, PyAny>, helper: &str) -> PyResult<String> {
    result
        .py()
        .import("apportion._results")?
        .getattr(helper)?
        .call1((result,))?
        .extract()
}
