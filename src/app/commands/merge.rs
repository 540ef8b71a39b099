//! `lapsim merge`: joins the part files of a sharded sweep (`lapsim sweep --shard K/N`, one per K) into the
//! files the single-process sweep writes (the same bytes of `sweep.csv`, and its chart). Parts of different
//! studies, a missing or duplicate shard, or a file that is not a part are errors that write nothing.

use std::path::PathBuf;

use super::say;
use super::sweep::{line_note, write_results};
use crate::app::args::MergeArgs;
use crate::error::{Error, Result};
use crate::study::shard::{merge as merge_parts, Part};
use crate::study::SweepRow;
use crate::track::reader::read_text;

/// `lapsim merge`: returns the merged rows.
pub fn merge(a: &MergeArgs) -> Result<Vec<SweepRow>> {
    let parts = a
        .parts
        .iter()
        .map(|p: &PathBuf| {
            let text = read_text(p)?;
            let part: Part = serde_json::from_str(&text).map_err(|e| Error::Parse {
                source_name: p.display().to_string(),
                message: format!("not a sweep part file of lapsim sweep --shard: {e}"),
            })?;
            Ok((p.display().to_string(), part))
        })
        .collect::<Result<Vec<_>>>()?;
    let (study, rows) = merge_parts(&parts)?;
    say(&format!(
        "{} parts of {} variants of {} on {} merged (study {}); {}\n",
        parts.len(),
        study.variants,
        study.car_name,
        study.track_name,
        study.fingerprint,
        line_note(&study)
    ));
    write_results(&a.out, &study, &rows)?;
    Ok(rows)
}
