//! Evaluation order of derived fields: a dependency graph (petgraph), ordered topologically
//! with declaration order breaking ties, and cycles reported by name.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::RuleError;

/// The order in which to evaluate fields `0..names.len()`, where `depends_on[i]` lists the
/// fields field `i` reads. Independent fields keep their declaration order.
pub(crate) fn evaluation_order(
    names: &[String],
    depends_on: &[Vec<usize>],
) -> Result<Vec<usize>, RuleError> {
    let mut graph = DiGraph::<usize, ()>::with_capacity(names.len(), 0);
    let nodes: Vec<NodeIndex> = (0..names.len()).map(|i| graph.add_node(i)).collect();
    for (field, dependencies) in depends_on.iter().enumerate() {
        for &dependency in dependencies {
            graph.add_edge(nodes[dependency], nodes[field], ());
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        let mut fields: Vec<String> = cycle.iter().map(|&i| names[i].clone()).collect();
        if let Some(first) = fields.first().cloned() {
            fields.push(first);
        }
        return Err(RuleError::Cycle { fields });
    }
    // Kahn's algorithm with the smallest ready field first: deterministic and readable.
    let mut waiting: Vec<usize> = (0..names.len())
        .map(|i| {
            graph
                .neighbors_directed(nodes[i], petgraph::Incoming)
                .count()
        })
        .collect();
    let mut ready: BinaryHeap<Reverse<usize>> = (0..names.len())
        .filter(|&i| waiting[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(names.len());
    while let Some(Reverse(field)) = ready.pop() {
        order.push(field);
        for next in graph.neighbors_directed(nodes[field], petgraph::Outgoing) {
            let next = graph[next];
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    Ok(order)
}

/// One cycle as field indices, each reading the next, starting from the smallest, if any.
fn find_cycle(graph: &DiGraph<usize, ()>) -> Option<Vec<usize>> {
    let component = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || scc.iter().any(|&n| graph.contains_edge(n, n)))
        .min_by_key(|scc| scc.iter().map(|&n| graph[n]).min())?;
    let start = *component.iter().min_by_key(|&&n| graph[n])?;
    // Walk inside the component until we return to the start: every node in a strongly
    // connected component reaches the start, so a breadth-first search finds the way back.
    let mut previous = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut successors: Vec<NodeIndex> = graph
            .neighbors_directed(node, petgraph::Incoming)
            .filter(|n| component.contains(n))
            .collect();
        successors.sort_by_key(|&n| graph[n]);
        for next in successors {
            if next == start {
                let mut cycle = vec![graph[node]];
                let mut at = node;
                while let Some(&before) = previous.get(&at) {
                    cycle.push(graph[before]);
                    at = before;
                }
                cycle.reverse();
                return Some(cycle);
            }
            if let std::collections::hash_map::Entry::Vacant(entry) = previous.entry(next) {
                entry.insert(node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        ["a", "b", "c", "d"]
            .iter()
            .take(n)
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn orders_dependencies_first_and_keeps_declaration_order_otherwise() {
        // a reads c, b reads nothing, c reads b.
        let order = evaluation_order(&names(3), &[vec![2], vec![], vec![1]]).unwrap();
        assert_eq!(order, vec![1, 2, 0]);
        assert_eq!(
            evaluation_order(&names(3), &[vec![], vec![], vec![]]).unwrap(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn names_the_cycle() {
        // a reads b, b reads c, c reads a; d reads nothing.
        let error = evaluation_order(&names(4), &[vec![1], vec![2], vec![0], vec![]]).unwrap_err();
        let RuleError::Cycle { fields } = error else {
            panic!("{error:?}")
        };
        assert_eq!(fields, ["a", "b", "c", "a"]);
    }

    #[test]
    fn a_field_reading_itself_is_a_cycle() {
        let error = evaluation_order(&names(2), &[vec![], vec![1]]).unwrap_err();
        assert_eq!(
            error,
            RuleError::Cycle {
                fields: vec!["b".into(), "b".into()]
            }
        );
    }
}
