//! Gearing optimisation: the values of numeric fields of the car file (the final drive, the gear ratios)
//! that minimise the flying lap, within bounds and constraints.
//!
//! The method is Nelder–Mead (argmin), restarted from its best point until a restart gains nothing. Why not
//! a gradient method: the lap is not differentiable in a ratio (a shift point that moves past a braking
//! point changes the lap by a kink), so derivatives from differences are noise at small steps. Why not
//! particle swarm: for one to seven parameters a simplex needs far fewer laps, and it is deterministic, so
//! the same command gives the same car. Nelder–Mead finds a local minimum; the restarts guard against a
//! collapsed simplex, not against a distant better minimum.
//!
//! Constraints, each a penalty larger than any lap (so the simplex is pushed back inside and a point
//! outside is never returned):
//! - bounds on every value (the user's, else ±25 % of the start), and the physical ones of a car file
//!   (its validation: ratios in (0, 20], the top gear within the speed a circuit car reaches);
//! - gear ratios strictly decreasing from first to top gear;
//! - the rev limit reachable: at the rev limit in top gear the engine's full-load drive exceeds drag and
//!   rolling resistance on level ground, so the car can reach it on a long enough straight (gearing taller
//!   than that leaves the engine short of its revs for good).
//!
//! Values are rounded to [`ROUNDING`] before each lap, so the file written holds exactly the values whose
//! lap is reported. The start is the first point evaluated, and the best point is returned only if its
//! lap is strictly shorter: the result is never slower than the start.

use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use serde::Serialize;

use super::node_at;
use crate::error::{Error, Result};
use crate::vehicle::Car;

/// Ratios are written, and laps evaluated, at this resolution (a gear cutter's ratio is not finer).
pub const ROUNDING: f64 = 1e-4;

/// `1 / ROUNDING`, exactly.
const SCALE: f64 = 1e4;

/// Default bound on each value, as a share of its start (±25 %), where the user gives none.
pub const DEFAULT_BOUND_SHARE: f64 = 0.25;

/// Penalty for a point outside the bounds or constraints (s): larger than any lap, plus the violation so
/// the simplex is pushed back towards the feasible side.
const PENALTY_S: f64 = 1.0e6;

/// One varied value: its path in the car file (an array element as `[i]`), its bounds and its start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    /// Path in the car file.
    pub path: String,
    /// Value in the base car file.
    pub start: f64,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Whether the bounds are the user's (`--bound`) rather than the default ±25 %.
    pub user_bound: bool,
}

/// What to optimise: the fields (a number, or an array of numbers: every element), user bounds
/// (`PATH=LO:HI`, on a varied number, an array (each element) or one element), and the iteration budget.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// Varied fields (`driveline.final_drive_ratio`, `driveline.gear_ratios`).
    pub vary: Vec<String>,
    /// User bounds, as typed: `PATH=LO:HI`.
    pub bounds: Vec<String>,
    /// Most Nelder–Mead iterations per restart.
    pub max_iterations: u64,
}

/// The result: the parameters, the start and best values and laps, and the optimised car file's text.
#[derive(Debug, Clone, Serialize)]
pub struct Optimised {
    /// The varied values.
    pub parameters: Vec<Parameter>,
    /// Best values found (the start's if nothing faster was found), in the order of `parameters`.
    pub best: Vec<f64>,
    /// Lap of the base car (s).
    pub start_lap_s: f64,
    /// Lap of the best values (s); never above `start_lap_s`.
    pub best_lap_s: f64,
    /// Laps run (points evaluated, the infeasible ones not lapped).
    pub laps: usize,
    /// Points rejected by a bound or constraint.
    pub rejected: usize,
    /// Nelder–Mead runs (the first and its restarts).
    pub runs: usize,
}

fn option_error(option: &str, value: &str, message: impl Into<String>) -> Error {
    Error::Option {
        option: option.into(),
        value: value.into(),
        message: message.into(),
    }
}

/// The parameters of `spec` in `base_text`: every varied number, every element of a varied array, with
/// their bounds. Errors name `--vary` or `--bound` and the path.
pub fn parameters(base_text: &str, spec: &Spec) -> Result<Vec<Parameter>> {
    let mut doc: toml::Value = toml::from_str(base_text).map_err(|e| Error::Parse {
        source_name: "car file".into(),
        message: e.to_string().trim_end().into(),
    })?;
    if spec.vary.is_empty() {
        return Err(option_error(
            "--vary",
            "",
            "give at least one field to vary",
        ));
    }
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let mut out: Vec<Parameter> = Vec::new();
    for path in &spec.vary {
        let node = node_at(&mut doc, path).map_err(|m| option_error("--vary", path, m))?;
        let mut add = |p: String, v: f64| {
            let (lo, hi) = (
                v * (1.0 - DEFAULT_BOUND_SHARE),
                v * (1.0 + DEFAULT_BOUND_SHARE),
            );
            out.push(Parameter {
                path: p,
                start: v,
                lo: lo.min(hi),
                hi: lo.max(hi),
                user_bound: false,
            });
        };
        match node {
            toml::Value::Array(a) if !a.is_empty() && a.iter().all(|x| number(x).is_some()) => {
                for (i, x) in a.iter().enumerate() {
                    add(format!("{path}[{i}]"), number(x).unwrap_or(f64::NAN));
                }
            }
            other => match number(other) {
                Some(v) => add(path.clone(), v),
                None => {
                    return Err(option_error(
                        "--vary",
                        path,
                        "not a number or an array of numbers in the car file",
                    ))
                }
            },
        }
    }
    for (i, p) in out.iter().enumerate() {
        if out[..i].iter().any(|q| q.path == p.path) {
            return Err(option_error("--vary", &p.path, "varied twice"));
        }
    }
    for b in &spec.bounds {
        let bad = |m: &str| option_error("--bound", b, m);
        let (path, range) = b
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=LO:HI"))?;
        let (path, range) = (path.trim(), range.trim());
        let (lo, hi) = range
            .split_once(':')
            .ok_or_else(|| bad("expected PATH=LO:HI"))?;
        let num = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(lo), Some(hi)) = (num(lo), num(hi)) else {
            return Err(bad("LO and HI must be finite numbers"));
        };
        if lo >= hi {
            return Err(bad("LO must be below HI"));
        }
        let element_of = |q: &str| q.split_once('[').is_some_and(|(head, _)| head == path);
        let mut hit = false;
        for p in out
            .iter_mut()
            .filter(|p| p.path == path || element_of(&p.path))
        {
            if !(lo..=hi).contains(&p.start) {
                return Err(bad(&format!(
                    "the base car's {} = {} lies outside it (the start must be feasible)",
                    p.path, p.start
                )));
            }
            (p.lo, p.hi, p.user_bound, hit) = (lo, hi, true, true);
        }
        if !hit {
            return Err(bad(&format!(
                "`{path}` is not a varied field or an element of one"
            )));
        }
    }
    Ok(out)
}

/// The car file's text with `values` at the parameters' paths: formatting and comments kept, each changed
/// key with a comment giving its old value, and `header` (comment lines) on top.
pub fn edited_text(
    base_text: &str,
    parameters: &[Parameter],
    values: &[f64],
    header: &str,
) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = base_text
        .parse()
        .map_err(|e: toml_edit::TomlError| Error::Internal(e.to_string()))?;
    let missing = |p: &str| Error::Internal(format!("no `{p}` in the car file"));
    let mut notes: Vec<(String, String, String)> = Vec::new();
    // Only the values that changed are written (an unchanged one keeps its text, e.g. `3.00`).
    for (p, &v) in parameters.iter().zip(values).filter(|(p, &v)| v != p.start) {
        let (field, index) = match p.path.split_once('[') {
            Some((f, rest)) => (
                f,
                rest.trim_end_matches(']')
                    .parse::<usize>()
                    .map_err(|_| missing(&p.path))?,
            ),
            None => (p.path.as_str(), usize::MAX),
        };
        let (table, key) = field.rsplit_once('.').ok_or_else(|| missing(&p.path))?;
        let mut item = doc.as_item_mut();
        for part in table.split('.') {
            item = item.get_mut(part).ok_or_else(|| missing(&p.path))?;
        }
        let value = item
            .get_mut(key)
            .and_then(|i| i.as_value_mut())
            .ok_or_else(|| missing(&p.path))?;
        let old = if index == usize::MAX {
            let decor = value.decor().clone();
            let old = value.to_string().trim().to_string();
            *value = toml_edit::Value::from(v);
            *value.decor_mut() = decor;
            old
        } else {
            let a = value.as_array_mut().ok_or_else(|| missing(&p.path))?;
            if index >= a.len() {
                return Err(missing(&p.path));
            }
            a.replace(index, v).to_string().trim().to_string()
        };
        match notes.iter_mut().find(|n| n.0 == table && n.1 == key) {
            Some(n) => n.2 += &format!(", [{index}] was {old}"),
            None => notes.push((
                table.to_string(),
                key.to_string(),
                if index == usize::MAX {
                    format!("was {old}")
                } else {
                    format!("[{index}] was {old}")
                },
            )),
        }
    }
    for (table, key, note) in notes {
        let mut item = doc.as_item_mut();
        for part in table.split('.') {
            item = item.get_mut(part).ok_or_else(|| missing(&table))?;
        }
        if let Some(mut k) = item.as_table_like_mut().and_then(|t| t.key_mut(&key)) {
            let decor = k.leaf_decor_mut();
            let prefix = decor
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            decor.set_prefix(format!(
                "{prefix}# Optimised by lapsim optimise (see the top of the file): {note}.\n"
            ));
        }
    }
    Ok(format!("{header}{doc}"))
}

/// Violation of the bounds and constraints that need no car: bounds (relative distance outside), and
/// gear ratios strictly decreasing.
fn violation(parameters: &[Parameter], x: &[f64]) -> f64 {
    let mut v = 0.0;
    for (p, &x) in parameters.iter().zip(x) {
        let scale = p.start.abs().max(1e-9);
        v += ((p.lo - x).max(0.0) + (x - p.hi).max(0.0)) / scale;
    }
    // Gear ratios varied as elements: each strictly below the one before (the car file's validation
    // checks the rest).
    for (i, p) in parameters.iter().enumerate() {
        if let Some((head, _)) = p.path.split_once('[') {
            for (q, &y) in parameters[..i].iter().zip(x).rev() {
                if q.path.split_once('[').is_some_and(|(h, _)| h == head) {
                    if x[i] >= y {
                        v += (x[i] - y) / y.abs().max(1e-9) + 1e-3;
                    }
                    break;
                }
            }
        }
    }
    v
}

/// Shortfall of the drive at the rev limit in top gear below drag and rolling resistance, as a share of
/// the resistance (0 when the rev limit is reachable).
pub fn rev_limit_shortfall(car: &Car) -> f64 {
    let v = car.rev_limited_speed_mps();
    let top = car.params().driveline.gear_ratios.len() as u8;
    let drive = car.drive_in_gear(v, top).force_n;
    let resist = car.resistance_n(v);
    ((resist - drive) / resist).max(0.0)
}

/// What the evaluations leave: (values, lap) of every feasible point lapped, the count of points rejected,
/// and the first hard error (argmin's own error type cannot carry ours).
#[derive(Default)]
struct Log {
    laps: Vec<(Vec<f64>, f64)>,
    rejected: usize,
    error: Option<Error>,
}

/// The problem argmin sees: parameters scaled by their start (so a simplex step is a share of each), the
/// lap of each point, every evaluation recorded.
struct Problem<'a> {
    base_text: &'a str,
    source_name: &'a str,
    parameters: &'a [Parameter],
    lap: &'a (dyn Fn(&Car) -> Result<f64> + Sync),
    log: Mutex<Log>,
}

impl Problem<'_> {
    fn values(&self, u: &[f64]) -> Vec<f64> {
        self.parameters
            .iter()
            .zip(u)
            // Divided by the power of ten (correctly rounded), not multiplied by 1e-4: the value is then the
            // double nearest the 4-decimal number, and is written as those decimals.
            .map(|(p, u)| (p.start * u * SCALE).round() / SCALE)
            .collect()
    }

    /// The lap of `x`, or `None` with the violation when it is outside the bounds or constraints.
    fn evaluate(&self, x: &[f64]) -> Result<std::result::Result<f64, f64>> {
        let v = violation(self.parameters, x);
        if v > 0.0 {
            return Ok(Err(v));
        }
        let text = edited_text(self.base_text, self.parameters, x, "")?;
        let car = match Car::from_toml_str(self.source_name, &text) {
            Ok(c) => c,
            Err(Error::Parameter { .. }) => return Ok(Err(1.0)),
            Err(e) => return Err(e),
        };
        let short = rev_limit_shortfall(&car);
        if short > 0.0 {
            return Ok(Err(short));
        }
        match (self.lap)(&car) {
            Ok(t) => Ok(Ok(t)),
            // A car that cannot finish the lap is outside the feasible set, not a failure of the study.
            Err(Error::CarStops { .. }) => Ok(Err(1.0)),
            Err(e) => Err(e),
        }
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, u: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        let x = self.values(u);
        let r = self.evaluate(&x);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        match r {
            Ok(Ok(t)) => {
                log.laps.push((x, t));
                Ok(t)
            }
            Ok(Err(v)) => {
                log.rejected += 1;
                Ok(PENALTY_S * (1.0 + v))
            }
            Err(e) => {
                let message = e.to_string();
                log.error.get_or_insert(e);
                Err(argmin::core::Error::msg(message))
            }
        }
    }
}

/// Runs the optimisation. `lap` gives a car's flying lap (on the path the caller holds fixed, or one it
/// computes per car). Errors: the spec's (naming `--vary`, `--bound`), a start outside the constraints, a
/// failure of a lap other than the car stopping.
pub fn optimise(
    base_text: &str,
    source_name: &str,
    spec: &Spec,
    lap: &(dyn Fn(&Car) -> Result<f64> + Sync),
) -> Result<Optimised> {
    let parameters = parameters(base_text, spec)?;
    let n = parameters.len();
    let problem = Problem {
        base_text,
        source_name,
        parameters: &parameters,
        lap,
        log: Mutex::new(Log::default()),
    };
    let start: Vec<f64> = parameters.iter().map(|p| p.start).collect();
    let start_lap_s = match problem.evaluate(&start)? {
        Ok(t) => t,
        Err(_) => {
            let base = Car::from_toml_str(source_name, base_text)?;
            let short = rev_limit_shortfall(&base);
            return Err(option_error(
                "--car",
                source_name,
                if short > 0.0 {
                    format!(
                        "the base car cannot reach its rev limit in top gear (the drive there is {:.1} % short \
                         of drag and rolling resistance): the start must satisfy the constraints",
                        short * 100.0
                    )
                } else {
                    "the base car does not satisfy the constraints (its gear ratios must decrease)"
                        .into()
                },
            ));
        }
    };
    let mut best_u = vec![1.0; n];
    let mut best_lap = start_lap_s;
    let mut runs = 0;
    // Restart from the best point with a fresh simplex until a run gains less than a millisecond (or five
    // runs): a simplex that collapsed on a kink gets a second look.
    while runs < 5 {
        runs += 1;
        let mut simplex = vec![best_u.clone()];
        for i in 0..n {
            let mut u = best_u.clone();
            // 5 % of each value: wide enough to step over the lap's kinks, small enough to stay near.
            u[i] *= if runs % 2 == 1 { 1.05 } else { 0.95 };
            simplex.push(u);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-7)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let problem_ref = ProblemRef(&problem);
        let result = Executor::new(problem_ref, solver)
            .configure(|s| s.max_iters(spec.max_iterations))
            .run();
        if let Some(e) = problem
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .error
            .take()
        {
            return Err(e);
        }
        let result = result.map_err(|e| Error::Numerics(format!("Nelder–Mead: {e}")))?;
        let cost = result.state().get_best_cost();
        let gain = best_lap - cost;
        if cost < best_lap {
            if let Some(u) = result.state().get_best_param() {
                best_u = u.clone();
                best_lap = cost;
            }
        }
        if gain < 1e-3 {
            break;
        }
    }
    let Log {
        laps: log,
        rejected,
        ..
    } = problem.log.into_inner().unwrap_or_else(|e| e.into_inner());
    // The best point evaluated (the record, not argmin's state, is what was lapped at the rounded values).
    let (best, best_lap_s) = log
        .iter()
        .filter(|(_, t)| *t < start_lap_s)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or((start.clone(), start_lap_s), |(x, t)| (x.clone(), *t));
    Ok(Optimised {
        parameters,
        best,
        start_lap_s,
        best_lap_s,
        laps: log.len(),
        rejected,
        runs,
    })
}

/// argmin takes its problem by value: a reference to ours, so the log stays with the caller.
struct ProblemRef<'a, 'b>(&'a Problem<'b>);

impl CostFunction for ProblemRef<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, u: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        self.0.cost(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = include_str!("../../cars/porsche_997_gt3_cup.toml");

    #[test]
    fn parameters_and_bounds_are_parsed_and_checked() {
        let spec = Spec {
            vary: vec![
                "driveline.final_drive_ratio".into(),
                "driveline.gear_ratios".into(),
            ],
            bounds: vec![
                "driveline.final_drive_ratio=3:4".into(),
                "driveline.gear_ratios[5]=1:1.2".into(),
            ],
            max_iterations: 10,
        };
        let p = parameters(TEXT, &spec).unwrap();
        assert_eq!(p.len(), 7);
        assert_eq!((p[0].lo, p[0].hi, p[0].user_bound), (3.0, 4.0, true));
        assert_eq!(p[6].path, "driveline.gear_ratios[5]");
        assert_eq!((p[6].lo, p[6].hi), (1.0, 1.2));
        assert!((p[1].lo - 3.0 * 0.75).abs() < 1e-12 && !p[1].user_bound);
        for (vary, bound, words) in [
            ("driveline.final_drive", "", "no key `final_drive`"),
            ("name", "", "not a number"),
            ("driveline.final_drive_ratio", "x=1:2", "not a varied field"),
            (
                "driveline.final_drive_ratio",
                "driveline.final_drive_ratio=4:3",
                "below HI",
            ),
            (
                "driveline.final_drive_ratio",
                "driveline.final_drive_ratio=4:5",
                "outside it",
            ),
            (
                "driveline.final_drive_ratio",
                "driveline.final_drive_ratio=a:5",
                "finite",
            ),
        ] {
            let spec = Spec {
                vary: vec![vary.into()],
                bounds: if bound.is_empty() {
                    vec![]
                } else {
                    vec![bound.into()]
                },
                max_iterations: 10,
            };
            let e = parameters(TEXT, &spec).unwrap_err().to_string();
            assert!(e.contains(words), "{vary} {bound}: {e}");
        }
    }

    /// The edited file keeps every comment, carries the new values (and only those change), and notes
    /// the old ones.
    #[test]
    fn edited_text_changes_only_the_values() {
        let spec = Spec {
            vary: vec![
                "driveline.final_drive_ratio".into(),
                "driveline.gear_ratios".into(),
            ],
            ..Spec::default()
        };
        let p = parameters(TEXT, &spec).unwrap();
        let mut x: Vec<f64> = p.iter().map(|p| p.start).collect();
        x[0] = 3.6123;
        x[6] = 1.0456;
        x[2] = 2.1028;
        let text = edited_text(TEXT, &p, &x, "# header\n").unwrap();
        assert!(
            text.contains("[3.00, 2.1028, 1.77, 1.48, 1.26, 1.0456]"),
            "{text}"
        );
        assert!(text.starts_with("# header\n"));
        assert!(text.contains("# Estimate: the road GT3's final drive, 3.44."));
        assert!(text.contains("was 3.44."), "{text}");
        let car = Car::from_toml_str("edited", &text).unwrap();
        let base = Car::from_toml_str("base", TEXT).unwrap();
        assert_eq!(car.params().driveline.final_drive_ratio, 3.6123);
        assert_eq!(car.params().driveline.gear_ratios[5], 1.0456);
        assert_eq!(car.params().driveline.gear_ratios[1], 2.1028);
        for i in [0, 2, 3, 4] {
            assert_eq!(
                car.params().driveline.gear_ratios[i],
                base.params().driveline.gear_ratios[i]
            );
        }
        assert_eq!(car.params().mass, base.params().mass);
    }

    #[test]
    fn violations_of_bounds_and_order() {
        let spec = Spec {
            vary: vec!["driveline.gear_ratios".into()],
            ..Spec::default()
        };
        let p = parameters(TEXT, &spec).unwrap();
        let x: Vec<f64> = p.iter().map(|p| p.start).collect();
        assert_eq!(violation(&p, &x), 0.0);
        let mut y = x.clone();
        y[3] = y[2];
        assert!(violation(&p, &y) > 0.0);
        let mut z = x.clone();
        z[0] = p[0].hi * 1.01;
        assert!(violation(&p, &z) > 0.0);
    }
}
