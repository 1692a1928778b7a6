//! A network as a file other solvers read (`APNET001`, little-endian, no padding): the node
//! and arc counts, the optimal cost claimed for it, each node's supply, then the arcs' tails,
//! heads, capacities and unit costs, column by column, as numpy reads them in one call each.
//! `benches/compare/README.md` gives the layout byte by byte.

use std::io::{self, Write};

use super::{ArcId, Network, NodeId};

/// The file's first eight bytes.
const MAGIC: &[u8; 8] = b"APNET001";

impl Network {
    /// Writes this network, with `optimal_cost` as the optimum claimed for it, for another
    /// solver to check: OR-Tools' `SimpleMinCostFlow` reads it in a few lines of numpy.
    pub fn write_file(
        &self,
        optimal_cost: i64,
        writer: &mut (impl Write + ?Sized),
    ) -> io::Result<()> {
        let arcs: Vec<_> = (0..self.arc_count() as u32)
            .map(|a| self.arc(ArcId(a)))
            .collect();
        writer.write_all(MAGIC)?;
        writer.write_all(&(self.node_count() as u64).to_le_bytes())?;
        writer.write_all(&(arcs.len() as u64).to_le_bytes())?;
        writer.write_all(&optimal_cost.to_le_bytes())?;
        for node in 0..self.node_count() as u32 {
            writer.write_all(&self.supply(NodeId(node)).to_le_bytes())?;
        }
        for (from, ..) in &arcs {
            writer.write_all(&from.0.to_le_bytes())?;
        }
        for (_, to, ..) in &arcs {
            writer.write_all(&to.0.to_le_bytes())?;
        }
        for (_, _, capacity, _) in &arcs {
            writer.write_all(&capacity.to_le_bytes())?;
        }
        for (.., cost) in &arcs {
            writer.write_all(&cost.to_le_bytes())?;
        }
        writer.flush()
    }
}

/// Writes `limits`, the side constraints of a network written by [`Network::write_file`], as
/// text: a line per limit, the least and the most the flow over its arcs may sum to, then the
/// arcs' ids. `benches/compare/README.md` reads it with CP-SAT.
pub fn write_limits_file(
    limits: &[crate::NetworkLimit],
    writer: &mut (impl Write + ?Sized),
) -> io::Result<()> {
    for limit in limits {
        write!(writer, "{} {}", limit.minimum, limit.maximum)?;
        for arc in &limit.arcs {
            write!(writer, " {}", arc.0)?;
        }
        writeln!(writer)?;
    }
    Ok(())
}
