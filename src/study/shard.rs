//! A sweep split into deterministic slices: shard `K/N` (K from 0, as Slurm's `SLURM_ARRAY_TASK_ID`) laps
//! the K-th of N contiguous ranges of the variants and writes a part; the merge of all N parts is the
//! single-process sweep, row for row (each variant's lap depends on nothing but the variant).
//!
//! A part carries the study it belongs to: a description of the inputs (the car file's text, the track
//! file's bytes, the geometry and line settings, the `--set` specs) and its fingerprint (64-bit FNV-1a of
//! that description), so parts of different studies are refused. Floats are stored by serde_json, which
//! writes the shortest text that reads back to the same bits (`float_roundtrip` on the reading side).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::SweepRow;
use crate::error::{Error, Result};

/// Format name of a part file.
pub const PART_FORMAT: &str = "lapsim-sweep-part-1";

/// Most shards of one study.
pub const MAX_SHARDS: usize = 100_000;

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which slice, from 0.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N`; errors name `--shard`.
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = |m: &str| Error::Option {
            option: "--shard".into(),
            value: spec.into(),
            message: m.into(),
        };
        let (k, n) = spec
            .split_once('/')
            .ok_or_else(|| bad("expected K/N (slice K of N, K from 0)"))?;
        let (Ok(index), Ok(count)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            return Err(bad("K and N must be whole numbers, K/N with K from 0"));
        };
        if count == 0 || count > MAX_SHARDS {
            return Err(bad(&format!("N must lie in [1, {MAX_SHARDS}]")));
        }
        if index >= count {
            return Err(bad(&format!(
                "K is out of range: shards are numbered 0 to {} (as SLURM_ARRAY_TASK_ID with --array=0-{})",
                count - 1,
                count - 1
            )));
        }
        Ok(Self { index, count })
    }

    /// The variant indices of this slice of `total`: contiguous, the slices in order covering `0..total`
    /// once; their sizes differ by at most one.
    pub fn range(&self, total: usize) -> Range<usize> {
        let at = |k: usize| (total as u128 * k as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }
}

/// 64-bit FNV-1a of `bytes`, as 16 hex digits: stable across machines and Rust versions (std's hasher is
/// not promised to be), which a cluster's nodes need.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// What a sweep's outputs need besides its rows: names for the table and chart, the base car's point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyInfo {
    /// Fingerprint of the inputs (see [`fingerprint`]).
    pub fingerprint: String,
    /// The car's name.
    pub car_name: String,
    /// The track's name.
    pub track_name: String,
    /// The varied fields' paths.
    pub names: Vec<String>,
    /// Number of variants of the whole study.
    pub variants: usize,
    /// The base car's value of each varied field (if it has one), and its lap (s).
    pub base_values: Vec<Option<f64>>,
    /// See `base_values`.
    pub base_lap_s: f64,
    /// Whether each variant drove its own racing line (else the base car's, held fixed).
    pub line_per_variant: bool,
}

/// One shard's part of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// [`PART_FORMAT`].
    pub format: String,
    /// The study.
    pub study: StudyInfo,
    /// The slice.
    pub shard: Shard,
    /// Its first variant's index.
    pub first: usize,
    /// Its rows, in variant order.
    pub rows: Vec<SweepRow>,
}

/// Joins parts (each with the name of its file, for errors) into the study and all its rows, in variant
/// order: every part of one study, each shard of N exactly once, each with the rows of its range.
pub fn merge(parts: &[(String, Part)]) -> Result<(StudyInfo, Vec<SweepRow>)> {
    let bad = |file: &str, m: String| Error::Option {
        option: "PARTS".into(),
        value: file.into(),
        message: m,
    };
    let (first_file, first) = parts
        .first()
        .ok_or_else(|| bad("", "no part files given".into()))?;
    let count = first.shard.count;
    let mut by_index: Vec<Option<&(String, Part)>> = vec![None; count];
    for entry in parts {
        let (file, p) = entry;
        if p.format != PART_FORMAT {
            return Err(bad(
                file,
                format!("not a sweep part (format `{}`)", p.format),
            ));
        }
        if p.study != first.study {
            return Err(bad(
                file,
                format!(
                    "belongs to another study (fingerprint {}, {} variants of {}) than {first_file} \
                     (fingerprint {}, {} variants of {})",
                    p.study.fingerprint,
                    p.study.variants,
                    p.study.names.join(" × "),
                    first.study.fingerprint,
                    first.study.variants,
                    first.study.names.join(" × ")
                ),
            ));
        }
        if p.shard.count != count || p.shard.index >= count {
            return Err(bad(
                file,
                format!(
                    "is shard {}/{}, but {first_file} is one of {count} shards",
                    p.shard.index, p.shard.count
                ),
            ));
        }
        let range = p.shard.range(p.study.variants);
        if p.first != range.start || p.rows.len() != range.len() {
            return Err(bad(
                file,
                format!(
                    "shard {}/{count} should hold variants {}..{}, it holds {} rows from {}",
                    p.shard.index,
                    range.start,
                    range.end,
                    p.rows.len(),
                    p.first
                ),
            ));
        }
        if let Some((other, _)) = by_index[p.shard.index] {
            return Err(bad(
                file,
                format!("duplicate: shard {}/{count} is also {other}", p.shard.index),
            ));
        }
        by_index[p.shard.index] = Some(entry);
    }
    let missing: Vec<String> = (0..count)
        .filter(|&k| by_index[k].is_none())
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(
            first_file,
            format!("shards missing: {}", missing.join(", ")),
        ));
    }
    let rows = by_index
        .into_iter()
        .flatten()
        .flat_map(|(_, p)| p.rows.iter().cloned())
        .collect();
    Ok((first.study.clone(), rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slices cover every variant once, in order, for any N up to the total and beyond.
    #[test]
    fn shards_cover_every_variant_once() {
        for total in [0, 1, 5, 16, 101] {
            for count in [1, 2, 3, 4, 7, 200] {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.range(total);
                    assert_eq!(r.start, next);
                    assert!(r.len() <= total / count + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_specs_are_checked() {
        assert_eq!(Shard::parse("3/4").unwrap(), Shard { index: 3, count: 4 });
        for (bad, words) in [
            ("4/4", "out of range"),
            ("0/0", "N must lie in"),
            ("1", "expected K/N"),
            ("-1/4", "whole numbers"),
            ("a/b", "whole numbers"),
        ] {
            let e = Shard::parse(bad).unwrap_err().to_string();
            assert!(e.contains(words) && e.contains("--shard"), "{bad}: {e}");
        }
    }

    /// FNV-1a's published test vectors (Fowler, Noll, Vo: the 64-bit offset basis and "a").
    #[test]
    fn fingerprint_is_fnv1a() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
    }
}
