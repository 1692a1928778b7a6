//! Which nodes are joined (a union-find with path halving), for cutting a network into its
//! independent parts and for declaring the joins of arcs left to a pricing once per merge.

/// Sets of node ids, each named by its lowest member; grows to whatever ids it meets.
#[derive(Default)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// The lowest node joined with `node`.
    pub(crate) fn root(&mut self, node: u32) -> u32 {
        let mut node = node as usize;
        if node >= self.parent.len() {
            self.parent.extend(self.parent.len() as u32..=node as u32);
        }
        while self.parent[node] as usize != node {
            let up = self.parent[self.parent[node] as usize];
            self.parent[node] = up;
            node = up as usize;
        }
        node as u32
    }

    /// Joins `a` and `b`; false when they were joined already.
    pub(crate) fn join(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return false;
        }
        self.parent[ra.max(rb) as usize] = ra.min(rb);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_are_named_by_their_lowest_member() {
        let mut sets = UnionFind::default();
        assert!(sets.join(7, 3));
        assert!(sets.join(9, 7));
        assert!(!sets.join(3, 9));
        assert_eq!((sets.root(9), sets.root(5), sets.root(12)), (3, 5, 12));
    }
}
