//! The one public error type. Every error has a stable snake_case `code()` that the CLI and the
//! Python module carry too, and a one-line message naming what was wrong and where.

use std::fmt;

use crate::model::ValueType;
use crate::suggest::DidYouMean;

/// Anything that can go wrong in apportion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Customers or managers could not be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A rulebook is invalid, or a rule failed while running.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The assignment problem could not be set up or solved.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// A live-book event or routing call does not fit the book.
    #[error(transparent)]
    Book(#[from] BookError),
    /// The run was stopped through its [`Cancel`](crate::Cancel) flag.
    #[error("the run was cancelled")]
    Cancelled,
    /// The system could not start the worker threads asked for.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// The threads asked for.
        threads: usize,
        /// What the system said.
        message: String,
    },
}

impl Error {
    /// A stable, snake_case code for scripts and bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input(e) => e.code(),
            Error::Rule(e) => e.code(),
            Error::Solve(e) => e.code(),
            Error::Book(e) => e.code(),
            Error::Cancelled => "cancelled",
            Error::ThreadPool { .. } => "thread_pool_failed",
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input a problem is: the source (a file name), and the line, column and record
/// when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file name, or a description such as `<customers>`.
    pub source: String,
    /// 1-based line (CSV: the physical line of the record; JSON Lines: the line).
    pub line: Option<u64>,
    /// The column or key.
    pub column: Option<String>,
    /// The record's id, once it is known.
    pub record: Option<String>,
}

impl Location {
    /// A location in `source`, with no line yet.
    pub fn in_source(source: impl Into<String>) -> Location {
        Location {
            source: source.into(),
            ..Location::default()
        }
    }

    /// This location at `line`.
    pub fn at_line(mut self, line: u64) -> Location {
        self.line = Some(line);
        self
    }

    /// This location in `column`.
    pub fn in_column(mut self, column: impl Into<String>) -> Location {
        self.column = Some(column.into());
        self
    }

    /// This location in the record with id `record`.
    pub fn in_record(mut self, record: impl Into<String>) -> Location {
        self.record = Some(record.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.source)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(record) = &self.record {
            write!(f, ", record `{record}`")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// Which kind of record an input error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKind {
    /// A customer.
    Customer,
    /// A manager.
    Manager,
    /// A ticket queue.
    Queue,
    /// A service ticket.
    Ticket,
    /// A group of managers.
    Group,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordKind::Customer => "customer",
            RecordKind::Manager => "manager",
            RecordKind::Queue => "queue",
            RecordKind::Ticket => "ticket",
            RecordKind::Group => "group",
        })
    }
}

/// Bad input data. Messages name the place and never repeat attribute values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("cannot read `{source_name}`: {message}")]
    Io {
        /// The file.
        source_name: String,
        /// What the operating system said.
        message: String,
    },
    /// The file is not valid CSV, JSON or JSON Lines (or not UTF-8, or truncated).
    #[error("malformed input at {at}: {message}")]
    Malformed {
        /// Where.
        at: Location,
        /// What the parser said.
        message: String,
    },
    /// The format could not be told from the file name.
    #[error("unknown input format for `{source_name}`: use a .csv, .json or .jsonl file")]
    UnknownFormat {
        /// The file.
        source_name: String,
    },
    /// A required column (such as `id` or `capacity`) is absent.
    #[error("missing column `{column}` in `{source_name}`")]
    MissingColumn {
        /// The file.
        source_name: String,
        /// The column.
        column: String,
    },
    /// Two columns share a name.
    #[error("duplicate column `{column}` in `{source_name}`")]
    DuplicateColumn {
        /// The file.
        source_name: String,
        /// The column.
        column: String,
    },
    /// A record has an empty id.
    #[error("empty {kind} id at {at}")]
    EmptyId {
        /// Customer or manager.
        kind: RecordKind,
        /// Where.
        at: Location,
    },
    /// Two records share an id.
    #[error("duplicate {kind} id `{id}` at {at}")]
    DuplicateId {
        /// Customer or manager.
        kind: RecordKind,
        /// The id.
        id: String,
        /// Where the second one is.
        at: Location,
    },
    /// A value cannot be read as its column's type.
    #[error("invalid value at {at}: expected {expected}")]
    InvalidValue {
        /// Where.
        at: Location,
        /// The column's type.
        expected: ValueType,
    },
    /// A cell nests mappings deeper than the loader reads (an invalid value too).
    #[error("invalid value at {at}: mappings nested more than {limit} deep")]
    NestedTooDeep {
        /// Where.
        at: Location,
        /// The deepest nesting read.
        limit: usize,
    },
    /// A number is NaN or infinite.
    #[error("non-finite number at {at}: NaN and infinity are not allowed")]
    NonFinite {
        /// Where.
        at: Location,
    },
    /// A capacity, target or segment cap is negative, fractional or too large.
    #[error("invalid capacity at {at}: {message}")]
    InvalidCapacity {
        /// Where.
        at: Location,
        /// What is wrong with it.
        message: String,
    },
    /// A cell larger than the loader accepts.
    #[error("cell too large at {at}: more than {limit} bytes")]
    CellTooLarge {
        /// Where.
        at: Location,
        /// The most bytes a cell may hold.
        limit: usize,
    },
    /// A column the records must not have: leads with a column their book does not know.
    #[error("unknown column `{column}` in `{source_name}`: the book has no such attribute")]
    UnknownColumn {
        /// The input.
        source_name: String,
        /// The column.
        column: String,
    },
    /// A run asked for no worker threads, or for more than [`MAX_THREADS`](crate::MAX_THREADS).
    #[error("invalid thread count `{threads}`: use 1 to {max} worker threads", max = crate::MAX_THREADS)]
    InvalidThreads {
        /// The count asked for.
        threads: usize,
    },
    /// A date given as text (an as-of date, a parsed value) that is not `YYYY-MM-DD` or names
    /// no real day.
    #[error("invalid date: expected `YYYY-MM-DD`, a day that exists")]
    InvalidDate,
    /// A type override (`types=`, `--type`) names a column no input has.
    #[error(
        "a type is given for column `{column}`, but {inputs} have no such column{}",
        DidYouMean(suggestion)
    )]
    UnknownTypeColumn {
        /// The column named.
        column: String,
        /// The inputs searched, as the message names them ("the customers and managers").
        inputs: String,
        /// The column nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
    },
    /// A manager's `group`, or a group's `parent`, names no group.
    #[error("unknown group `{group}` at {at}{}", DidYouMean(suggestion))]
    UnknownGroup {
        /// The group named.
        group: String,
        /// The group nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
        /// Where it is named (boxed, so that every error stays small).
        at: Box<Location>,
    },
    /// A score table names a customer or manager that is not in the book.
    #[error(
        "the scores name {kind} `{id}`, which is not in the book, at {at}{}",
        DidYouMean(suggestion)
    )]
    ScoreForUnknown {
        /// Customer or manager.
        kind: RecordKind,
        /// The id named.
        id: String,
        /// The manager nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
        /// Where it is named.
        at: Box<Location>,
    },
    /// A (customer, manager) pair scored twice.
    #[error("a second score for manager `{manager}` at {at}: a pair has one score")]
    DuplicateScore {
        /// The manager.
        manager: String,
        /// Where the second score is (its record is the customer).
        at: Box<Location>,
    },
    /// Groups whose parents lead round a cycle.
    #[error("groups nest in a cycle at {at}: a group cannot be within itself")]
    GroupCycle {
        /// A group whose parents lead into the cycle (or one on it).
        at: Location,
    },
    /// Groups nested deeper than a run takes.
    #[error("groups nest more than {limit} deep at {at}")]
    GroupsTooDeep {
        /// The deepest group.
        at: Location,
        /// The deepest nesting taken.
        limit: usize,
    },
    /// A groups input has a column that is not one of theirs.
    #[error(
        "column `{column}` in `{source_name}` is not a group's: use id, parent, capacity and target{}",
        DidYouMean(suggestion)
    )]
    UnknownGroupColumn {
        /// The input.
        source_name: String,
        /// The column.
        column: String,
        /// The column nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
    },
    /// A score table has a column that is not one of its three.
    #[error(
        "column `{column}` in `{source_name}` is not a score table's: use customer, manager and score{}",
        DidYouMean(suggestion)
    )]
    UnknownScoreColumn {
        /// The input.
        source_name: String,
        /// The column.
        column: String,
        /// The column nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
    },
    /// A type override names an unknown type.
    #[error(
        "unknown type `{type_name}` for column `{column}`: use int, float, bool, string, list or date"
    )]
    UnknownType {
        /// The column.
        column: String,
        /// The type name given.
        type_name: String,
    },
}

/// `?` on a date parse in a function returning [`Result`]: `"2026-06-30".parse::<Date>()?`.
impl From<crate::date::ParseDateError> for Error {
    fn from(_: crate::date::ParseDateError) -> Error {
        Error::Input(InputError::InvalidDate)
    }
}

/// `?` on a file read in a function returning [`Result`]. The error cannot say which file:
/// [`Rulebook::from_file`](crate::Rulebook::from_file) and the readers in
/// [`load`](crate::load) name it.
impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Error {
        Error::Input(InputError::Io {
            source_name: "a file".to_owned(),
            message: error.to_string(),
        })
    }
}

impl InputError {
    /// A stable, snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Io { .. } => "io_error",
            InputError::Malformed { .. } => "malformed_input",
            InputError::UnknownFormat { .. } => "unknown_format",
            InputError::MissingColumn { .. } => "missing_column",
            InputError::DuplicateColumn { .. } => "duplicate_column",
            InputError::EmptyId { .. } => "empty_id",
            InputError::DuplicateId {
                kind: RecordKind::Customer,
                ..
            } => "duplicate_customer_id",
            InputError::DuplicateId {
                kind: RecordKind::Manager,
                ..
            } => "duplicate_manager_id",
            InputError::DuplicateId {
                kind: RecordKind::Queue,
                ..
            } => "duplicate_queue",
            InputError::DuplicateId {
                kind: RecordKind::Ticket,
                ..
            } => "duplicate_ticket_id",
            InputError::DuplicateId {
                kind: RecordKind::Group,
                ..
            } => "duplicate_group_id",
            InputError::UnknownGroup { .. } => "unknown_group",
            InputError::ScoreForUnknown {
                kind: RecordKind::Manager,
                ..
            } => "unknown_manager",
            InputError::ScoreForUnknown { .. } => "unknown_customer",
            InputError::DuplicateScore { .. } => "duplicate_score",
            InputError::GroupCycle { .. } => "group_cycle",
            InputError::GroupsTooDeep { .. } => "groups_too_deep",
            InputError::UnknownGroupColumn { .. } | InputError::UnknownScoreColumn { .. } => {
                "unknown_column"
            }
            InputError::InvalidValue { .. } | InputError::NestedTooDeep { .. } => "invalid_value",
            InputError::NonFinite { .. } => "non_finite_number",
            InputError::InvalidCapacity { .. } => "invalid_capacity",
            InputError::UnknownType { .. } => "unknown_type",
            InputError::UnknownColumn { .. } => "unknown_column",
            InputError::UnknownTypeColumn { .. } => "unknown_type_column",
            InputError::InvalidDate => "invalid_date",
            InputError::CellTooLarge { .. } => "cell_too_large",
            InputError::InvalidThreads { .. } => "invalid_threads",
        }
    }
}

/// A 1-based line and column in a rulebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Formats an optional position as ` at line L, column C`, or nothing.
struct At(Option<Position>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(position) => write!(f, " at {position}"),
            None => Ok(()),
        }
    }
}

/// Which sandbox limit a rule ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Too many operations (an endless or very long loop).
    Operations,
    /// Too many nested function calls (deep recursion).
    CallDepth,
    /// A string grew too long.
    StringSize,
    /// An array grew too long.
    ArraySize,
    /// A map grew too large.
    MapSize,
    /// Too many variables.
    Variables,
    /// Expressions nested too deeply.
    ExpressionDepth,
    /// Arrays and maps nested in each other too deeply in one value.
    ValueDepth,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Operations => "operation limit",
            Limit::CallDepth => "call depth limit",
            Limit::StringSize => "string size limit",
            Limit::ArraySize => "array size limit",
            Limit::MapSize => "map size limit",
            Limit::Variables => "variable limit",
            Limit::ExpressionDepth => "expression depth limit",
            Limit::ValueDepth => "value nesting limit",
        })
    }
}

/// A rulebook that is invalid, or a rule that failed while running.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The source is larger than the limit allows (`Limits::max_source_size`).
    #[error("the rulebook is {size} bytes, above the limit of {limit}")]
    SourceTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The source does not parse.
    #[error("syntax error{}: {message}", At(*position))]
    Syntax {
        /// What the parser said.
        message: String,
        /// Where.
        position: Option<Position>,
    },
    /// A rule uses something the sandbox forbids (`import`, `eval`, function pointers, ...).
    #[error("rule `{rule}` uses forbidden `{construct}`{}", At(*position))]
    Forbidden {
        /// The rule.
        rule: String,
        /// The construct.
        construct: String,
        /// Where.
        position: Option<Position>,
    },
    /// A rule reads a field marked private.
    #[error(
        "rule `{rule}` reads private field `{field}`{}: private fields are never readable by rules",
        At(*position)
    )]
    PrivateField {
        /// The rule.
        rule: String,
        /// The field.
        field: String,
        /// Where it is read.
        position: Option<Position>,
    },
    /// A rule reads a customer field that neither the input nor the rulebook defines.
    #[error("rule `{rule}` reads unknown field `{field}`{}{}", At(*position), DidYouMean(suggestion))]
    UnknownField {
        /// The rule.
        rule: String,
        /// The field.
        field: String,
        /// Where.
        position: Option<Position>,
        /// The known field nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
    },
    /// A date helper is called on a field the input holds as something else (text, most
    /// often: a column with a value that is not YYYY-MM-DD).
    #[error(
        "rule `{rule}` calls `{helper}` on `{field}`{}, which the input holds as {found}, not a date: read it as a date (`types={{\"{field}\": \"date\"}}` in Python, `--type {field}=date` in the CLI; every value must be YYYY-MM-DD)",
        At(*position)
    )]
    NotADate {
        /// The rule.
        rule: String,
        /// The date helper called.
        helper: String,
        /// The field it is called on.
        field: String,
        /// The field's type.
        found: ValueType,
        /// Where the field is read.
        position: Option<Position>,
    },
    /// A pair rule reads a manager field the managers do not have.
    #[error("rule `{rule}` reads unknown manager field `{field}`{}{}", At(*position), DidYouMean(suggestion))]
    UnknownManagerField {
        /// The rule.
        rule: String,
        /// The field.
        field: String,
        /// Where.
        position: Option<Position>,
        /// The manager field nearest to it, when it looks like a typo of one.
        suggestion: Option<String>,
    },
    /// A rule calls a function that is neither built in nor defined in the rulebook.
    #[error("rule `{rule}` calls unknown function `{function}`{}", At(*position))]
    UnknownFunction {
        /// The rule.
        rule: String,
        /// The function name.
        function: String,
        /// Where.
        position: Option<Position>,
    },
    /// Derived fields read each other in a circle.
    #[error("derived fields read each other in a cycle: {}", cycle_text(.fields))]
    Cycle {
        /// The fields in the cycle, the first repeated at the end.
        fields: Vec<String>,
    },
    /// A derived field has the name of an input attribute or a reserved name.
    #[error("rule `{rule}` defines a field that already exists: {reason}")]
    FieldConflict {
        /// The rule.
        rule: String,
        /// Why it clashes.
        reason: String,
    },
    /// A rule has the wrong shape (for example two parameters where one is expected).
    #[error("rule `{rule}` has an invalid signature: {message}")]
    Signature {
        /// The rule.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// A rule ran into a sandbox limit for a customer.
    #[error("rule `{rule}` failed for customer `{customer}`: {limit} {value} exceeded{}", At(*position))]
    LimitExceeded {
        /// The rule.
        rule: String,
        /// The customer's id.
        customer: String,
        /// Which limit.
        limit: Limit,
        /// The limit's value.
        value: u64,
        /// Where.
        position: Option<Position>,
    },
    /// A rule raised an error for a customer (a type error, division by zero, `throw`, ...).
    #[error("rule `{rule}` failed for customer `{customer}`: {message}{}", At(*position))]
    Evaluation {
        /// The rule.
        rule: String,
        /// The customer's id.
        customer: String,
        /// What went wrong.
        message: String,
        /// Where.
        position: Option<Position>,
    },
    /// A rule returned a value that is not a field value (a map, a function pointer, ...).
    #[error(
        "rule `{rule}` returned {found} for customer `{customer}`: expected int, float, bool, string, date, an array of strings or ()"
    )]
    InvalidResult {
        /// The rule.
        rule: String,
        /// The customer's id.
        customer: String,
        /// The type returned.
        found: String,
    },
}

fn cycle_text(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

impl RuleError {
    /// A stable, snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::SourceTooLarge { .. } => "rulebook_too_large",
            RuleError::Syntax { .. } => "rule_syntax",
            RuleError::PrivateField { .. } => "private_field",
            RuleError::Forbidden { .. } => "forbidden_construct",
            RuleError::UnknownField { .. } | RuleError::UnknownManagerField { .. } => {
                "unknown_field"
            }
            RuleError::UnknownFunction { .. } => "unknown_function",
            RuleError::NotADate { .. } => "not_a_date",
            RuleError::Cycle { .. } => "dependency_cycle",
            RuleError::FieldConflict { .. } => "field_conflict",
            RuleError::Signature { .. } => "invalid_rule_signature",
            RuleError::LimitExceeded { .. } => "rule_limit_exceeded",
            RuleError::Evaluation { .. } => "rule_failed",
            RuleError::InvalidResult { .. } => "invalid_rule_result",
        }
    }

    /// The customer a runtime error is about, if any.
    pub fn customer(&self) -> Option<&str> {
        match self {
            RuleError::LimitExceeded { customer, .. }
            | RuleError::Evaluation { customer, .. }
            | RuleError::InvalidResult { customer, .. } => Some(customer),
            _ => None,
        }
    }
}

/// An assignment that cannot be set up or solved. "Nothing fits" is not one: unassigned
/// customers are part of the plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// A policy weight is out of range, or so large that costs would overflow.
    #[error("invalid policy: {message}")]
    InvalidPolicy {
        /// What is wrong.
        message: String,
    },
    /// The flow network was rejected (costs too large for exact integer arithmetic, ...).
    #[error("cannot solve the assignment: {0}")]
    Network(crate::solve::network::NetworkError),
    /// No plan puts the group's minimum of the segment's customers under it: too few of them
    /// are eligible for its managers, or its managers lack the room.
    #[error(
        "group `{group}` cannot have its minimum of {minimum} customers of segment `{segment}`: at most {most} can be placed under it"
    )]
    GroupMinimumUnmet {
        /// The group's id.
        group: String,
        /// The segment.
        segment: String,
        /// The minimum asked for.
        minimum: u32,
        /// The most any plan places there.
        most: i64,
    },
    /// The groups' caps and minimums per segment could not be met together, though each can
    /// be alone (the first left unmet is named).
    #[error(
        "the groups' caps and minimums per segment could not be met together: group `{group}`, segment `{segment}` stays outside its limits"
    )]
    GroupLimitsUnmet {
        /// The group's id.
        group: String,
        /// The segment.
        segment: String,
    },
}

impl SolveError {
    /// A stable, snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            SolveError::InvalidPolicy { .. } => "invalid_policy",
            SolveError::Network(e) => e.code(),
            SolveError::GroupMinimumUnmet { .. } => "group_minimum_unmet",
            SolveError::GroupLimitsUnmet { .. } => "group_limits_unmet",
        }
    }
}

/// A routing call or book event that does not fit the live book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BookError {
    /// The customer is not in the book.
    #[error("customer `{customer}` is not in the book")]
    UnknownCustomer {
        /// The customer id.
        customer: String,
    },
    /// The manager is not in the book (or has left it).
    #[error("manager `{manager}` is not in the book")]
    UnknownManager {
        /// The manager id.
        manager: String,
    },
    /// A lead routed twice.
    #[error("customer `{customer}` is already in the book, with manager `{manager}`")]
    AlreadyPlaced {
        /// The customer id.
        customer: String,
        /// Their manager.
        manager: String,
    },
    /// The manager is on leave.
    #[error("manager `{manager}` is on leave")]
    OnLeave {
        /// The manager id.
        manager: String,
    },
    /// The manager is not on leave.
    #[error("manager `{manager}` is not on leave")]
    NotOnLeave {
        /// The manager id.
        manager: String,
    },
    /// Records whose attributes do not match the book's schema.
    #[error("{what} does not have the book's columns")]
    SchemaMismatch {
        /// Which records.
        what: String,
    },
    /// The rulebook or managers given are not those a plan was made from.
    #[error("the {what} differ from those the plan was made from (its provenance's digests)")]
    PlanInputsDiffer {
        /// `rulebook`, `managers`, `groups` or `scores`.
        what: String,
    },
    /// The churn budget is below the moves that cannot be avoided.
    #[error(
        "a churn budget of {budget} moves cannot be met: at least {least} customers must move (their manager is no longer eligible for them, or makes room for a customer who would otherwise have none)"
    )]
    ChurnBudget {
        /// The budget asked for.
        budget: usize,
        /// The fewest moves any plan makes.
        least: usize,
    },
}

impl BookError {
    /// A stable, snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            BookError::UnknownCustomer { .. } => "unknown_customer",
            BookError::UnknownManager { .. } => "unknown_manager",
            BookError::AlreadyPlaced { .. } => "already_in_book",
            BookError::OnLeave { .. } => "manager_on_leave",
            BookError::NotOnLeave { .. } => "manager_not_on_leave",
            BookError::SchemaMismatch { .. } => "schema_mismatch",
            BookError::ChurnBudget { .. } => "churn_budget_too_small",
            BookError::PlanInputsDiffer { .. } => "plan_inputs_differ",
        }
    }
}
