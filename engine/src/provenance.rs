//! Where a plan comes from: the engine, the rulebook, the date, the policy and the inputs, so
//! that a plan read back later can be tied to exactly what made it. The rulebook's digest is
//! SHA-256 of its source; the inputs' are BLAKE3 over a canonical encoding of the records as
//! loaded, in fixed chunks, so they depend on the records alone: not on the file format, on
//! how a table arrived in batches, or on threads.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::date::Date;
use crate::model::{Book, Customer, Manager, Schema, Value, ValueType};
use crate::org::Organisation;
use crate::rules::Rulebook;
use crate::solve::Policy;

/// Records hashed together before their digests are: fixed, so the digest of a table never
/// depends on the threads that computed it.
const RECORDS_PER_CHUNK: usize = 16_384;

/// Marks a manager's segment targets in its encoding: no value's tag is this byte.
const SEGMENT_TARGETS_TAG: u8 = 0xF0;

/// Bytes of encoded records gathered before they are hashed: BLAKE3 is fastest on long input.
const HASHED_AT_ONCE: usize = 64 * 1024;

/// Where a plan comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    /// The version of the `apportion` engine that made the plan.
    pub engine_version: String,
    /// SHA-256 of the rulebook's source text, in hex.
    pub rulebook_sha256: String,
    /// The date the rules compared against.
    pub as_of: Date,
    /// The policy of the objective (for a rebalance, the move penalty its search settled on).
    pub policy: Policy,
    /// BLAKE3 of the customers as loaded (schema, ids, current managers, every value), in hex.
    pub customers_blake3: String,
    /// BLAKE3 of the managers as loaded (schema, ids, capacities, targets, caps, values).
    pub managers_blake3: String,
    /// BLAKE3 of the groups of managers (ids, parents, capacities, targets), when the book
    /// has any; plans of books without groups do not have the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_blake3: Option<String>,
    /// BLAKE3 of the model scores (customer, manager, score), when the book has any; plans of
    /// books without scores do not have the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores_blake3: Option<String>,
    /// Input fields no rule could read.
    pub private_fields: Vec<String>,
    /// Worker threads the run used. How the plan was made, not what it is: two plans that
    /// differ only here are equal.
    pub threads: usize,
}

impl PartialEq for Provenance {
    fn eq(&self, other: &Provenance) -> bool {
        // Every field named, so a field added later has to say whether it counts.
        let Provenance {
            engine_version,
            rulebook_sha256,
            as_of,
            policy,
            customers_blake3,
            managers_blake3,
            groups_blake3,
            scores_blake3,
            private_fields,
            threads: _,
        } = self;
        (
            engine_version,
            rulebook_sha256,
            as_of,
            policy,
            customers_blake3,
            managers_blake3,
            groups_blake3,
            scores_blake3,
            private_fields,
        ) == (
            &other.engine_version,
            &other.rulebook_sha256,
            &other.as_of,
            &other.policy,
            &other.customers_blake3,
            &other.managers_blake3,
            &other.groups_blake3,
            &other.scores_blake3,
            &other.private_fields,
        )
    }
}

impl Provenance {
    /// The provenance of a plan of `book` made with `rulebook`, `policy` and `as_of`, on the
    /// current thread pool.
    pub(crate) fn of(book: &Book, rulebook: &Rulebook, policy: Policy, as_of: Date) -> Provenance {
        let ((customers, managers), rulebook_sha256) = rayon::join(
            || {
                rayon::join(
                    || {
                        records_digest(
                            &book.customers.schema,
                            &book.customers.records,
                            customer_bytes,
                        )
                    },
                    || records_digest(&book.managers.schema, &book.managers.records, manager_bytes),
                )
            },
            || hex(&Sha256::digest(rulebook.source().as_bytes())),
        );
        Provenance {
            engine_version: env!("CARGO_PKG_VERSION").to_owned(),
            rulebook_sha256,
            as_of,
            policy,
            customers_blake3: customers,
            managers_blake3: managers,
            groups_blake3: groups_digest(&book.organisation),
            scores_blake3: book.scores.digest().map(str::to_owned),
            private_fields: rulebook.private_fields().map(str::to_owned).collect(),
            threads: rayon::current_num_threads(),
        }
    }
}

impl Provenance {
    /// The digests of `rulebook` and of `book`'s managers, as [`Provenance::of`] computes
    /// them: what checking a plan's small inputs costs, without a pass over its customers.
    pub(crate) fn of_rules_and_managers(book: &Book, rulebook: &Rulebook) -> (String, String) {
        let rules = hex(&Sha256::digest(rulebook.source().as_bytes()));
        let managers = records_digest(&book.managers.schema, &book.managers.records, manager_bytes);
        (rules, managers)
    }
}

/// The digest of a book's groups of managers, `None` when it has none.
pub(crate) fn groups_digest(organisation: &Organisation) -> Option<String> {
    if organisation.is_empty() {
        return None;
    }
    let mut bytes = b"apportion groups v1\0".to_vec();
    for group in organisation.groups() {
        text(group.id.as_str(), &mut bytes);
        optional_text(group.parent.as_ref().map(|p| p.as_str()), &mut bytes);
        for number in [group.capacity, group.target] {
            match number {
                Some(n) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&n.to_le_bytes());
                }
                None => bytes.push(0),
            }
        }
    }
    Some(hex(blake3::hash(&bytes).as_bytes()))
}

/// The digest of records of `schema`: each fixed chunk of records hashed on its own, then the
/// schema, the record count and the chunks' digests hashed together. BLAKE3, which hashes a
/// long input several times faster than SHA-256 does here (it is most of the provenance's
/// cost), over records encoded into a buffer hashed a block at a time.
fn records_digest<R: Sync>(schema: &Schema, records: &[R], encode: fn(&R, &mut Vec<u8>)) -> String {
    let chunks: Vec<[u8; 32]> = records
        .par_chunks(RECORDS_PER_CHUNK)
        .map(|chunk| {
            let mut bytes = Vec::with_capacity(2 * HASHED_AT_ONCE);
            let mut hasher = blake3::Hasher::new();
            for record in chunk {
                encode(record, &mut bytes);
                if bytes.len() >= HASHED_AT_ONCE {
                    hasher.update(&bytes);
                    bytes.clear();
                }
            }
            hasher.update(&bytes);
            hasher.finalize().into()
        })
        .collect();
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"apportion records v2\0");
    let mut header = Vec::new();
    for field in schema.fields() {
        text(&field.name, &mut header);
        header.push(type_tag(field.value_type));
    }
    header.extend_from_slice(&(records.len() as u64).to_le_bytes());
    hasher.update(&header);
    for chunk in &chunks {
        hasher.update(chunk);
    }
    hex(hasher.finalize().as_bytes())
}

fn customer_bytes(customer: &Customer, bytes: &mut Vec<u8>) {
    text(customer.id.as_str(), bytes);
    optional_text(customer.manager.as_ref().map(|m| m.as_str()), bytes);
    values(&customer.attributes, bytes);
}

fn manager_bytes(manager: &Manager, bytes: &mut Vec<u8>) {
    text(manager.id.as_str(), bytes);
    bytes.extend_from_slice(&manager.capacity.to_le_bytes());
    match manager.target {
        Some(target) => {
            bytes.push(1);
            bytes.extend_from_slice(&target.to_le_bytes());
        }
        None => bytes.push(0),
    }
    bytes.extend_from_slice(&(manager.segment_caps.len() as u64).to_le_bytes());
    for (segment, cap) in &manager.segment_caps {
        text(segment, bytes);
        bytes.extend_from_slice(&cap.to_le_bytes());
    }
    // Only when there are any, behind a byte no value's tag uses: managers without segment
    // targets keep the digest they always had.
    if !manager.segment_targets.is_empty() {
        bytes.push(SEGMENT_TARGETS_TAG);
        bytes.extend_from_slice(&(manager.segment_targets.len() as u64).to_le_bytes());
        for (segment, target) in &manager.segment_targets {
            text(segment, bytes);
            bytes.extend_from_slice(&target.to_le_bytes());
        }
    }
    values(&manager.attributes, bytes);
}

/// Every value with a tag of its kind and, for text, its length: no two records encode alike.
fn values(values: &[Value], bytes: &mut Vec<u8>) {
    for value in values {
        match value {
            Value::Null => bytes.push(b'n'),
            Value::Int(v) => {
                bytes.push(b'i');
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            Value::Float(v) => {
                bytes.push(b'f');
                bytes.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            Value::Bool(v) => bytes.extend_from_slice(&[b'b', u8::from(*v)]),
            Value::Date(v) => {
                bytes.push(b'd');
                bytes.extend_from_slice(&v.days_since_epoch().to_le_bytes());
            }
            Value::Str(v) => {
                bytes.push(b's');
                text(v, bytes);
            }
            Value::List(items) => {
                bytes.push(b'l');
                let count = u32::try_from(items.len()).unwrap_or(u32::MAX);
                bytes.extend_from_slice(&count.to_le_bytes());
                items.iter().for_each(|item| text(item, bytes));
            }
        }
    }
}

/// Text with its length first. A cell holds at most 1 MiB, so four bytes of length do.
fn text(text: &str, bytes: &mut Vec<u8>) {
    let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
}

fn optional_text(text_or_none: Option<&str>, bytes: &mut Vec<u8>) {
    match text_or_none {
        Some(value) => {
            bytes.push(1);
            text(value, bytes);
        }
        None => bytes.push(0),
    }
}

fn type_tag(value_type: ValueType) -> u8 {
    match value_type {
        ValueType::Int => b'i',
        ValueType::Float => b'f',
        ValueType::Bool => b'b',
        ValueType::Str => b's',
        ValueType::Date => b'd',
        ValueType::List => b'l',
    }
}

fn hex(digest: &[u8]) -> String {
    digest
        .iter()
        .fold(String::with_capacity(64), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}
