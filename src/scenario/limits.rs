//! Limits on input: every bound the loader and the CLI put on what a user
//! gives them, in one place.
//!
//! Input may be hostile or mistaken (`kubesim run /dev/zero`, a YAML alias
//! bomb, `count: 100000000`, `--sample 1ns`); each limit turns such input
//! into a clear error naming the file and field, exit code 2, instead of a
//! run that grows without bound. The values are generous for the
//! scalability envelope the simulator is built for — 5,000 nodes, 150,000
//! pods, 10,000 services, several virtual days — with room to spare.

#![warn(missing_docs)]

use crate::sim::SimDuration;

/// Largest file read as input: the scenario, each manifest file, each
/// workload CSV (64 MiB). A 150,000-row trace is about 6 MB; 10,000
/// Service manifests about 3 MB. Files are read through a reader that
/// stops one byte past this, so `/dev/zero` or a file that never ends
/// fails at once.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Most bytes read from all the input files of one scenario together
/// (256 MiB): a scenario that names the same large manifest file many
/// times stops here.
pub const MAX_TOTAL_INPUT_BYTES: u64 = 256 << 20;

/// Most nodes a scenario may declare (`cluster.nodes` counts plus
/// `addNode`s): 20 × the 5,000-node envelope.
pub const MAX_NODES: u64 = 100_000;

/// Most objects a scenario may create up front or on its timeline
/// (`objects:` manifests, workload rows, `apply:`/`create:` objects): over
/// 6 × the 150,000 pods + 10,000 services of the envelope.
pub const MAX_OBJECTS: usize = 1_000_000;

/// Deepest nesting of YAML collections. Kubernetes manifests nest about 15
/// deep (`spec.template.spec.affinity.nodeAffinity…matchExpressions[0]
/// .values`); the bound keeps the recursive tree walks far from the stack's
/// end.
pub const MAX_YAML_DEPTH: usize = 100;

/// Longest horizon of a run (`duration`, `--until`, an expectation's or a
/// timeline entry's `at`): one virtual year. The virtual clock (u64
/// nanoseconds) reaches about 584 years; time arithmetic past it
/// saturates.
pub const MAX_HORIZON: SimDuration = SimDuration(366 * 24 * 3600 * 1_000_000_000);

/// Shortest `--sample` interval (1 ms).
pub const MIN_SAMPLE_INTERVAL: SimDuration = SimDuration(1_000_000);

/// Most `timeseries.csv` rows a run may write (horizon / `--sample`): a
/// 1 s sample over 11 virtual days.
pub const MAX_SAMPLES: u64 = 1_000_000;

/// go-yaml v3's bound on alias expansion (`decode.go`,
/// `allowedAliasRatio`): the share of decoded nodes that may come from
/// aliases — 99 % for documents up to 400,000 nodes, falling linearly to
/// 10 % at 4,000,000 — checked once more than 100 alias-expanded nodes and
/// 1,000 nodes in all were decoded. A "billion laughs" document fails
/// after a few hundred thousand nodes, not gigabytes.
pub fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// True when `alias_count` of `decode_count` decoded nodes came from
/// aliases beyond what go-yaml allows.
pub fn excessive_aliasing(alias_count: u64, decode_count: u64) -> bool {
    alias_count > 100
        && decode_count > 1000
        && alias_count as f64 / decode_count as f64 > allowed_alias_ratio(decode_count)
}

/// Reads at most `MAX_INPUT_BYTES` of a file as UTF-8 text.
pub fn read_input(path: &std::path::Path) -> Result<String, String> {
    let bytes = read_input_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// Reads at most `MAX_INPUT_BYTES` of a file; a longer one is an error.
pub fn read_input_bytes(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut out).map_err(|e| e.to_string())?;
    if out.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!("file is larger than the input limit of {} MiB", MAX_INPUT_BYTES >> 20));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_ratio_follows_go_yaml() {
        assert_eq!(allowed_alias_ratio(1000), 0.99);
        assert_eq!(allowed_alias_ratio(4_000_000), 0.10);
        let mid = allowed_alias_ratio(2_200_000);
        assert!((mid - 0.545).abs() < 1e-9, "{}", mid);
        assert!(!excessive_aliasing(100, 100_000), "100 aliased nodes are always fine");
        assert!(!excessive_aliasing(900, 999), "small documents are always fine");
        assert!(excessive_aliasing(995, 1001));
        assert!(!excessive_aliasing(980, 1001));
    }

    #[test]
    fn bounded_read_refuses_endless_files() {
        if std::path::Path::new("/dev/zero").exists() {
            let e = read_input(std::path::Path::new("/dev/zero")).unwrap_err();
            assert!(e.contains("larger than the input limit"), "{}", e);
        }
    }
}
