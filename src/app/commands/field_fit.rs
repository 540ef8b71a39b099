//! `lapsim field fit`: the drivers' skills of a field file from an earlier event's qualifying results (the
//! fit is [`crate::session::fit`]). Writes the field file with the fitted grip shares, every entry's comment
//! saying how its share was produced, and the command line that produced them; the rest of the base field
//! file (its rules with their sources) is kept as written.

use std::path::Path;

use super::{lap_tracks, say, with_flags, TRACK_AND_LINE_FLAGS};
use crate::app::args::{FieldFitArgs, LineArg};
use crate::app::output::write_atomic;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::laptime::format_lap_time;
use crate::session::fit::{fit_skills, Basis, Fit, FitOptions, QualifyingResults};
use crate::session::QssOracle;
use crate::track::reader::read_text;
use crate::track::Centerline;
use crate::vehicle::Car;

/// The first line of the block this command writes; what follows it in a field file is regenerated.
pub const GENERATED_MARK: &str = "# ==== Entries written by `lapsim field fit`";

/// The command line that reproduces a fit (the flags that differ from their defaults included).
pub fn command_line(a: &FieldFitArgs) -> String {
    let d = FieldFitArgs {
        pole_grip_share: crate::session::fit::DEFAULT_POLE_GRIP_SHARE,
        prior_step_pct: crate::session::fit::DEFAULT_PRIOR_STEP_PCT,
        geometry: Default::default(),
        line: Default::default(),
        ..a.clone()
    };
    let mut s = format!(
        "lapsim field fit --results {} --track {} --car {} --field {} --out {}",
        a.results.display(),
        a.track.display(),
        a.car.display(),
        a.field.display(),
        a.out.display()
    );
    if a.pole_grip_share != d.pole_grip_share {
        s += &format!(" --pole-grip-share {}", a.pole_grip_share);
    }
    if a.prior_step_pct != d.prior_step_pct {
        s += &format!(" --prior-step-pct {}", a.prior_step_pct);
    }
    let (g, l) = (&a.geometry, &a.line);
    if g.step_m != d.geometry.step_m {
        s += &format!(" --step-m {}", g.step_m);
    }
    if g.smoothing_m != d.geometry.smoothing_m {
        s += &format!(" --smoothing-m {}", g.smoothing_m);
    }
    match (&l.line_file, l.line) {
        (Some(f), _) => s += &format!(" --line-file {}", f.display()),
        (None, LineArg::Optimal) => {}
        (None, LineArg::MinCurvature) => s += " --line min-curvature",
        (None, LineArg::Centreline) => s += " --line centreline",
    }
    if l.line_grid_m != d.line.line_grid_m {
        s += &format!(" --line-grid-m {}", l.line_grid_m);
    }
    if l.margin_m != d.line.margin_m {
        s += &format!(" --margin-m {}", l.margin_m);
    }
    s
}

/// `lapsim field fit`: fits, prints the table and writes `--out`.
pub fn field_fit(a: &FieldFitArgs) -> Result<Fit> {
    let flags: Vec<(&str, &str)> = TRACK_AND_LINE_FLAGS
        .iter()
        .copied()
        .chain([
            ("pole_grip_share", "--pole-grip-share"),
            ("prior_step_pct", "--prior-step-pct"),
        ])
        .collect();
    let flagged = |e: Error| with_flags(e, &flags);
    // Every input is checked before the line is computed: a bad file fails at once.
    let results = QualifyingResults::from_file(&a.results)?;
    let base_text = read_text(&a.field)?;
    let field = Field::from_file(&a.field)?;
    results.entries_in(&field)?;
    let car = Car::from_file(&a.car)?;
    let options = FitOptions {
        pole_grip_share: a.pole_grip_share,
        prior_step_pct: a.prior_step_pct,
        fuel_kg: car.params().mass.fuel_kg,
    };
    options.validate().map_err(flagged)?;
    let head = base_head(&base_text, &a.field)?;
    let centerline = Centerline::from_file(&a.track)?;
    let (track, _) = lap_tracks(&car, &centerline, &a.geometry, &a.line)?;
    let oracle = QssOracle::new(car, track);
    let fit = fit_skills(&field, &results, &oracle, &options).map_err(flagged)?;
    let text = head + &entries_text(a, &field, &results, &fit, &options);
    // The written file must be a valid field with the base's rules: checked before anything is written.
    let out_dir = a.out.parent().unwrap_or(Path::new("."));
    let written = Field::from_toml_str(&a.out.display().to_string(), &text, out_dir)?;
    let same_rules = written.event == field.event
        && written.qualifying == field.qualifying
        && written.race == field.race
        && written.tyres == field.tyres
        && written.entries.len() == field.entries.len();
    if !same_rules {
        return Err(Error::Parse {
            source_name: a.field.display().to_string(),
            message: "the entries must be the last tables of the field file (the fit rewrites \
                      everything from the first [[entry]] on)"
                .into(),
        });
    }
    say(&table(&field, &results, &fit));
    write_atomic(&a.out, |w| w.write_all(text.as_bytes()))?;
    say(&format!("  wrote {}\n", a.out.display()));
    Ok(fit)
}

/// The base field file up to its entries (or up to a block this command wrote before).
fn base_head(text: &str, path: &Path) -> Result<String> {
    let mut head = String::new();
    for line in text.lines() {
        if line.trim() == "[[entry]]" || line.starts_with(GENERATED_MARK) {
            let trimmed = head.trim_end().to_string();
            return Ok(trimmed + "\n\n");
        }
        head += line;
        head += "\n";
    }
    Err(Error::Parse {
        source_name: path.display().to_string(),
        message: "no [[entry]] table".into(),
    })
}

/// A float as TOML writes it (a decimal point always).
fn num(v: f64) -> String {
    toml::Value::Float(v).to_string()
}

/// The generated block: how the shares were produced, then every entry with its comment.
fn entries_text(
    a: &FieldFitArgs,
    field: &Field,
    results: &QualifyingResults,
    fit: &Fit,
    options: &FitOptions,
) -> String {
    let results_name = a.results.file_name().map_or_else(
        || "the results".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let reference = match results.pole_s {
        Some(p) => format!("the real pole, {}", format_lap_time(p)),
        None => "the model's pole lap (no pole time was published)".into(),
    };
    let mut s = format!(
        "{GENERATED_MARK} (rerun it rather than editing them) ====\n\
         # {cmd}\n\
         # How (src/session/fit.rs): each grip share is the root, by bisection, of the car's clean flying lap\n\
         # on {track} (tyres at their best, no slip, {fuel} kg of fuel, the entry's own\n\
         # braking and traction shares) falling behind the pole-sitter's by the same fraction of the lap as\n\
         # the driver's gap to pole in {results_name}\n\
         # (fractions of {reference}).\n\
         # The pole-sitter is anchored at a grip share of {pole} (--pole-grip-share): the gaps fix the\n\
         # spread, not the level. A driver with a position but no time gets the gap interpolated between the\n\
         # timed drivers around him, or after the last timed one the prior of {step} % of the lap per\n\
         # position (the spread of real Cup qualifying, see src/session/fit.rs), at least one prior step\n\
         # behind the car ahead. Entries without a result take the free positions in this file's order at\n\
         # the prior's gaps: a generic spread. Braking and traction shares, consistency and slips are the\n\
         # base field's (one time per driver says nothing about them).\n\n",
        cmd = command_line(a),
        track = a.track.display(),
        fuel = options.fuel_kg,
        pole = options.pole_grip_share,
        step = options.prior_step_pct,
    );
    for f in &fit.entries {
        let e = &field.entries[f.entry];
        let why = match f.basis {
            Basis::Pole => format!(
                "P1 in {results_name} (line {}): the pole, the anchor of the fit (--pole-grip-share)",
                f.line.unwrap_or(0)
            ),
            Basis::Timed => format!(
                "P{} in {results_name} (line {}), +{:.3} s: grip share fitted to that gap",
                f.position,
                f.line.unwrap_or(0),
                f.gap_s
            ),
            Basis::Position => format!(
                "P{} in {results_name} (line {}), no time published: grip share fitted to +{:.3} s, the gap \
                 its position gives (interpolated or prior, in order)",
                f.position,
                f.line.unwrap_or(0),
                f.gap_s
            ),
            Basis::NoResult => format!(
                "no result in {results_name}: generic, prior position {} at +{:.3} s",
                f.position, f.gap_s
            ),
        };
        let note = f
            .line
            .and_then(|l| results.rows.iter().find(|r| r.line == l))
            .map_or(String::new(), |r| r.note.clone());
        let why = if note.is_empty() {
            why
        } else {
            format!("{why} (results note: {note})")
        };
        let k = &e.skill;
        s += &format!(
            "[[entry]]\n# {why}\nnumber = {}\nname = {}\ngrip_share = {}\nbrake_share = {}\n\
             traction_share = {}\nconsistency_sd = {}\nmistake_per_lap = {}\n\n",
            e.number,
            toml::Value::String(e.name.clone()),
            num((f.grip_share * 1e5).round() / 1e5),
            num(k.brake_share),
            num(k.traction_share),
            num(k.consistency_sd),
            num(k.mistake_per_lap)
        );
    }
    s.trim_end().to_string() + "\n"
}

/// The fit as a table, in order of position.
fn table(field: &Field, results: &QualifyingResults, fit: &Fit) -> String {
    let mut order: Vec<&crate::session::fit::FittedEntry> = fit.entries.iter().collect();
    order.sort_by_key(|f| f.position);
    let mut s = format!(
        "grip shares fitted from {} (gaps as fractions of {}; model pole lap {})\n{:>4}  {:<24} {:<9} {:>8} {:>10} {:>10}\n",
        results.source_name,
        format_lap_time(fit.reference_lap_s),
        format_lap_time(fit.model_pole_s),
        "pos",
        "driver",
        "basis",
        "gap s",
        "grip",
        "model lap"
    );
    for f in order {
        let basis = match f.basis {
            Basis::Pole => "pole",
            Basis::Timed => "time",
            Basis::Position => "position",
            Basis::NoResult => "prior",
        };
        s += &format!(
            "{:>4}  {:<24} {:<9} {:>+8.3} {:>10.5} {:>10}\n",
            f.position,
            field.entries[f.entry].name,
            basis,
            f.gap_s,
            f.grip_share,
            format_lap_time(f.model_lap_s)
        );
    }
    s
}
