//! Customers, managers and the current book: plain data with typed attributes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::InputError;
use crate::org::Organisation;
use crate::scores::{PairScore, PairScores};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Arc<str>);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(Arc::from(id))
            }
        }
    };
}

id_type!(
    /// A customer's id, unique within a book.
    CustomerId
);
id_type!(
    /// A relationship manager's id, unique within a book.
    ManagerId
);
id_type!(
    /// A group of managers' id, unique among the groups.
    GroupId
);

/// The type of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A 64-bit signed integer.
    Int,
    /// A finite 64-bit float.
    Float,
    /// `true` or `false`.
    Bool,
    /// UTF-8 text.
    Str,
    /// A list of strings (`;`-separated in CSV).
    List,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
}

impl ValueType {
    /// The name used in schemas, errors and type overrides.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::Str => "string",
            ValueType::List => "list",
            ValueType::Date => "date",
        }
    }

    /// Parses a type name as written in an override (`int`, `float`, `bool`, `string`, `list`, `date`).
    pub fn from_name(name: &str) -> Option<ValueType> {
        Some(match name {
            "int" | "integer" => ValueType::Int,
            "float" => ValueType::Float,
            "bool" | "boolean" => ValueType::Bool,
            "string" | "str" => ValueType::Str,
            "list" => ValueType::List,
            "date" => ValueType::Date,
            _ => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One attribute value. `Null` is a missing value (an empty CSV cell, a JSON `null` or absent key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// No value.
    Null,
    /// An integer.
    Int(i64),
    /// A finite float (NaN and infinities are rejected on input).
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A date.
    Date(Date),
    /// Text.
    Str(Arc<str>),
    /// A list of strings.
    List(Arc<[Arc<str>]>),
}

impl Value {
    /// The type of this value, `None` for `Null`.
    pub fn value_type(&self) -> Option<ValueType> {
        Some(match self {
            Value::Null => return None,
            Value::Int(_) => ValueType::Int,
            Value::Float(_) => ValueType::Float,
            Value::Bool(_) => ValueType::Bool,
            Value::Date(_) => ValueType::Date,
            Value::Str(_) => ValueType::Str,
            Value::List(_) => ValueType::List,
        })
    }

    /// Text for the value as a CSV cell would hold it: lists joined with `;`, `Null` empty.
    pub fn to_cell(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(v) => v.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Bool(v) => v.to_string(),
            Value::Date(v) => v.to_string(),
            Value::Str(v) => v.to_string(),
            Value::List(items) => items.join(";"),
        }
    }
}

/// A named, typed attribute column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The column name, as rules read it (`c.assets`).
    pub name: String,
    /// The column type.
    #[serde(rename = "type")]
    pub value_type: ValueType,
}

/// The attribute columns of a table, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<Field>,
    index: HashMap<String, usize>,
}

impl Schema {
    /// A schema of these fields; `None` if two fields share a name.
    pub fn new(fields: Vec<Field>) -> Option<Schema> {
        let mut index = HashMap::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            if index.insert(field.name.clone(), i).is_some() {
                return None;
            }
        }
        Some(Schema { fields, index })
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The position of the field called `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.position(name).map(|i| &self.fields[i])
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// A customer: an id, the current manager if any, and attributes aligned with the table's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// The manager who currently serves this customer, if any.
    pub manager: Option<ManagerId>,
    /// One value per schema field, in schema order.
    pub attributes: Vec<Value>,
}

/// A relationship manager: capacity, target load, optional per-segment caps and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Manager {
    /// The manager's id.
    pub id: ManagerId,
    /// The most customers this manager may serve.
    pub capacity: u32,
    /// The load the balance term aims for; defaults to `capacity`.
    pub target: Option<u32>,
    /// At most this many customers of a segment (e.g. `HNW` → 30).
    pub segment_caps: BTreeMap<String, u32>,
    /// The load of a segment its own balance term aims for (e.g. `HNW` → 12): the segment's
    /// customers are spread over managers in proportion to these, as all customers are in
    /// proportion to `target`.
    pub segment_targets: BTreeMap<String, u32>,
    /// One value per schema field, in schema order.
    pub attributes: Vec<Value>,
}

impl Manager {
    /// The target load: the explicit target, or the capacity.
    pub fn target_load(&self) -> u32 {
        self.target.unwrap_or(self.capacity)
    }
}

/// Customers sharing one schema, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customers {
    /// The attribute columns.
    pub schema: Schema,
    /// The customers, in input order.
    pub records: Vec<Customer>,
}

impl Customers {
    /// The value of attribute `field` for the customer at `row`.
    pub fn value(&self, row: usize, field: &str) -> Option<&Value> {
        let position = self.schema.position(field)?;
        self.records.get(row)?.attributes.get(position)
    }
}

/// Managers sharing one schema, in input order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Managers {
    /// The attribute columns.
    pub schema: Schema,
    /// The managers, in input order.
    pub records: Vec<Manager>,
}

/// A customer whose current manager is not among the managers: not an error, but reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// The customer.
    pub customer: CustomerId,
    /// The manager named in the input, who is not (or no longer) a manager.
    pub former_manager: ManagerId,
}

/// The current book: customers, managers, and who serves whom today.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Book {
    /// The customers.
    pub customers: Customers,
    /// The managers.
    pub managers: Managers,
    /// The groups the managers belong to; empty for none.
    pub organisation: Organisation,
    /// A model's scores for (customer, manager) pairs, which pair rules read as
    /// `pair_score(c, m)`; empty for none.
    pub scores: Arc<PairScores>,
}

impl Book {
    /// The book of these customers and managers, with no groups.
    pub fn new(customers: Customers, managers: Managers) -> Book {
        Book {
            customers,
            managers,
            organisation: Organisation::default(),
            scores: Arc::default(),
        }
    }

    /// This book with its managers in `groups` (see [`Organisation::new`]); `source` is what
    /// errors call the groups' input.
    ///
    /// ```
    /// use apportion::load::{self, Format, LoadOptions};
    /// use apportion::{AssignOptions, Book, Rulebook, assign};
    ///
    /// let options = LoadOptions::default();
    /// let customers = load::parse_customers(b"id\nC-1\nC-2\nC-3\n", Format::Csv, "c", &options)?;
    /// let managers = b"id,capacity,group\nM-1,3,TEAM-A\nM-2,2,TEAM-B\n";
    /// let managers = load::parse_managers(managers, Format::Csv, "m", &options)?;
    /// // TEAM-A may take one customer, whatever M-1's capacity: M-2 takes the other two.
    /// let groups = b"id,parent,capacity\nLINE,,\nTEAM-A,LINE,1\nTEAM-B,LINE,\n";
    /// let groups = load::parse_groups(groups, Format::Csv, "groups", &options)?;
    /// let book = Book::new(customers, managers).with_groups(groups, "groups")?;
    /// let rules = Rulebook::compile("fn eligible(c, m) { true }")?;
    /// let plan = assign(&book, &rules, &AssignOptions::new("2026-06-30".parse()?))?;
    /// let team_a = plan.groups.iter().find(|g| g.group.as_str() == "TEAM-A").unwrap();
    /// assert_eq!((team_a.load, plan.loads[1].load, plan.stats.assigned), (1, 2, 3));
    /// # Ok::<(), apportion::Error>(())
    /// ```
    pub fn with_groups(
        mut self,
        groups: Vec<crate::org::ManagerGroup>,
        source: &str,
    ) -> Result<Book, InputError> {
        self.organisation = Organisation::new(groups, &self.managers, source)?;
        Ok(self)
    }

    /// This book with a model's scores for its (customer, manager) pairs (see
    /// [`PairScores::new`]), which pair rules read as `pair_score(c, m)`; `source` is what
    /// errors call the scores' input.
    ///
    /// ```
    /// use apportion::load::{self, Format, LoadOptions};
    /// use apportion::{AssignOptions, Book, Rulebook, assign};
    ///
    /// let options = LoadOptions::default();
    /// let customers = load::parse_customers(b"id\nC-1\nC-2\n", Format::Csv, "c", &options)?;
    /// let managers = load::parse_managers(b"id,capacity\nM-1,1\nM-2,1\n", Format::Csv, "m", &options)?;
    /// // The model says C-2 fits M-1 best; C-1 has no scores.
    /// let scores = load::parse_scores(b"customer,manager,score\nC-2,M-1,90\n", Format::Csv, "s", &options)?;
    /// let book = Book::new(customers, managers).with_scores(scores, "s")?;
    /// let rules = Rulebook::compile("fn affinity(c, m) { let s = pair_score(c, m); if s == () { 0 } else { s } }")?;
    /// let plan = assign(&book, &rules, &AssignOptions::new("2026-06-30".parse()?))?;
    /// let c2 = plan.assignments.iter().find(|a| a.customer.as_str() == "C-2").unwrap();
    /// assert_eq!((c2.manager.as_str(), c2.affinity), ("M-1", 90));
    /// # Ok::<(), apportion::Error>(())
    /// ```
    pub fn with_scores(mut self, scores: Vec<PairScore>, source: &str) -> Result<Book, InputError> {
        self.scores = Arc::new(PairScores::new(
            scores,
            &self.customers,
            &self.managers,
            source,
        )?);
        Ok(self)
    }

    /// Fails on a type in `options` given for a column neither table has (see
    /// [`LoadOptions::check_types`](crate::load::LoadOptions::check_types)).
    pub fn check_types(&self, options: &crate::load::LoadOptions) -> Result<(), InputError> {
        options.check_types(&[
            ("customers", &self.customers.schema),
            ("managers", &self.managers.schema),
        ])
    }

    /// Customers whose current manager is not in the book (for example one who has left).
    pub fn orphans(&self) -> Vec<Orphan> {
        let known: HashSet<&ManagerId> = self.managers.records.iter().map(|m| &m.id).collect();
        self.customers
            .records
            .iter()
            .filter_map(|c| {
                let manager = c.manager.as_ref()?;
                (!known.contains(manager)).then(|| Orphan {
                    customer: c.id.clone(),
                    former_manager: manager.clone(),
                })
            })
            .collect()
    }
}
