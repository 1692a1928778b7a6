//! Every input in `fuzz/regressions/` (crashes the fuzzers found, kept once fixed) and
//! `fuzz/seeds/` (a starting corpus per target), run through the fuzz targets' checks on the
//! stable toolchain.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/harness.rs"]
pub(crate) mod harness;

type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 4] = [
    ("rulebook", harness::rulebook),
    ("load", harness::load),
    ("assign", harness::assign),
    ("route", harness::route),
];

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"));
    files.sort();
    files
}

#[test]
fn every_regression_and_seed_passes_its_targets_checks() {
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no inputs");
        for file in seeds.iter().chain(&inputs("regressions", target)) {
            let data = std::fs::read(file).unwrap();
            check(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= 8);
}
