//! The minimum-time line: the line inside the bounds that laps this car fastest in the quasi-steady-state
//! solver, found by a search over a family of convex-ish path updates and then gradient steps, every line kept
//! judged by the solver's own lap time.
//!
//! The path update is a Gauss–Newton/box-QP solve ([`RacingLine::optimise`]) of
//!
//! `Σ w_i κ_i² l_i + ε Σ |p_{i+1} − p_i|²`
//!
//! (curvature integrated along the line, plus a path-length term). Lap time depends on both: curvature where
//! the car is on its lateral limit (`v ∝ κ^{-1/2}` there, and the exit speed carries into the next straight),
//! length everywhere. The search has two stages:
//!
//! 1. **Blend** (F. Braghin et al., "Race driver model", Computers & Structures 86 (2008) 1503–1516): all
//!    `w_i = 1`, `ε` on a logarithmic ladder `ε_max 4^{−k}`, `k = −1..=6`, plus `ε = 0` (the minimum-curvature
//!    line, the first candidate) and the two geometric midpoints beside the best rung. `ε_max` makes the
//!    length term as large as the reference's curvature term. Then a composite: each corner (speed maximum
//!    to speed maximum) from the ladder line that is fastest through it, settled by one path update.
//! 2. **Corner weights** (the alternation of speed profile and path update of N. R. Kapania, J. Subosits and
//!    J. C. Gerdes, "A sequential two-step algorithm for fast generation of vehicle racing trajectories",
//!    J. Dyn. Sys., Meas., Control 138 (2016) 091005, with the path update steered by sector times instead of
//!    their curvature-only objective): the best line's speed profile splits the lap into corners at its speed
//!    maxima, and each corner into entry (to its lowest speed) and exit. Each of these parts has a curvature
//!    weight `w`. Four trial lines move every corner's entry (or exit) weight up (or down) by a factor at
//!    once; corners are separated by straights, so each corner's time in each trial says which move helps
//!    it. The chosen moves are combined into one line, kept if the lap is faster, else the factor is halved.
//! 3. **Gradient** (issue 13's suggestion): projected L-BFGS steps on the offsets (`Descent`), the gradient
//!    of the lap time from the adjoint of a lap on the line's own grid ([`super::gradient`]), the initial
//!    inverse Hessian the Sobolev metric `(D₂ᵀD₂ + k_c⁴ I)⁻¹` (node-to-node wiggles damped, a corner's shape
//!    kept). Steps are taken on the grid lap (about a millisecond each); a round of them ends in one solver
//!    lap and is kept only if that lap is faster.
//!
//! Every candidate is lapped by the solver and the result is the fastest line seen, so it is never slower
//! than the minimum-curvature line. It is a local search: under the same bounds it beats TUM's published lines
//! (both driven as given) on all 25 circuits of the racetrack database, at Shanghai by 0.02 s only, and not
//! at Shanghai when both are smoothed alike: there TUM's line is in another local optimum
//! (docs/racing_line.md).

use std::collections::VecDeque;

use super::gradient::LapGradient;
use super::{LineOptions, RacingLine, Reference};
use crate::error::Result;
use crate::numerics::banded::CyclicFactor;
use crate::numerics::boxqp::CyclicBanded;
use crate::solver::{LapSolver, Start, Tables};
use crate::track::{Centerline, Track, TrackOptions};

/// Length weights ε tried in the first stage: `ε_max · 4^{−k}`, `k = −1..=EPS_LEVELS`, besides `ε = 0`.
const EPS_LEVELS: i32 = 6;
/// Half-width (m) of the window in which a speed maximum is the highest point: maxima closer than this
/// belong to one straight.
const PEAK_WINDOW_M: f64 = 50.0;
/// Iterations of the sector search.
const SECTOR_ITERATIONS: usize = 5;
/// First step of the sector search on the logarithm of a weight (a factor of 4).
const SECTOR_STEP: f64 = 2.0 * std::f64::consts::LN_2;

/// Pairs kept by the L-BFGS steps of the gradient stage.
const LBFGS_MEMORY: usize = 8;
/// Backtracking tries of a gradient step (the step divided by 4 each time).
const LINE_SEARCH_TRIES: usize = 8;
/// Sufficient-decrease constant of the Armijo search.
const ARMIJO: f64 = 1e-4;
/// Smallest `sᵀy / (|s| |y|)` of a pair the L-BFGS history keeps.
const CURVATURE_CONDITION: f64 = 1e-8;
/// Distance from a bound within which an offset counts as at it (m).
const BOUND_TOLERANCE_M: f64 = 1e-9;
/// Rounds of the gradient stage (each ends in one lap of the solver).
const GRADIENT_ROUNDS: usize = 2;
/// Gradient steps on the grid lap in a round.
const GRADIENT_STEPS: usize = 48;
/// Largest offset change of the gradient stage's first step (m).
const GRADIENT_FIRST_STEP_M: f64 = 0.25;
/// Shortest wavelength a gradient step keeps at full weight (m): the first step is the gradient low-passed by
/// `(D₂ᵀD₂ + k_c⁴)⁻¹`, `k_c = 2π / λ`, so features shorter than this (node-to-node wiggles the grid lap
/// cannot judge) are damped as `(λ_node / λ)⁴`, and a line's corners (tens of metres) pass. 40 m rather than
/// 20 m: a step must be able to move a whole bend, not only its apex; on the 25 circuits 40 m found lines
/// 4.1 s faster in total than 20 m (faster on 23, Sakhir 0.11 s and Brands Hatch 0.04 s slower), and 80 m
/// was faster at Austin but slower at Shanghai (measured 30 Nov, `every_circuit` with each value).
const GRADIENT_WAVELENGTH_M: f64 = 40.0;

/// The result of [`minimum_time_line`].
#[derive(Debug, Clone)]
pub struct MinimumTimeLine {
    /// The line on the optimisation grid.
    pub line: RacingLine,
    /// Its lap track at the caller's step.
    pub track: Track,
    /// Its lap time in the solver (s).
    pub lap_time_s: f64,
    /// The length weight ε of the best line (1/m⁴).
    pub length_weight_1pm4: f64,
    /// Lap time of the minimum-curvature line, the first candidate (s).
    pub minimum_curvature_lap_s: f64,
    /// Lines computed and lapped.
    pub evaluations: usize,
}

struct Candidate {
    lap_time_s: f64,
    line: RacingLine,
    track: Track,
    /// Time spent near each grid node (s): the lap's points assigned to their nearest node by arc length.
    node_time_s: Vec<f64>,
    /// Speed at each grid node (m/s).
    node_speed_mps: Vec<f64>,
}

/// The minimum-time line of `centerline` for the car of `tables`, `car_width_m` wide, with the lap track at
/// `options` and the line options `base`.
pub fn minimum_time_line(
    centerline: &Centerline,
    car_width_m: f64,
    options: TrackOptions,
    base: &LineOptions,
    tables: &Tables,
) -> Result<MinimumTimeLine> {
    let reference = Reference::new(
        centerline,
        options,
        base.grid_step_m,
        0.5 * car_width_m + base.margin_m,
    )?;
    let n = reference.len();
    let (x, y) = (&reference.x_m, &reference.y_m);
    let length_sq: f64 = (0..n)
        .map(|i| (x[(i + 1) % n] - x[i]).powi(2) + (y[(i + 1) % n] - y[i]).powi(2))
        .sum();
    let kappa_sq: f64 = reference.curvature_1pm.iter().map(|k| k * k).sum();
    // ε at which the length term is as large as the reference's curvature term: the top of the search.
    let eps_max = kappa_sq / length_sq;
    let name = format!("{} (minimum-time line)", centerline.source_name());
    let mut evaluations = 0;
    let (lo, hi) = RacingLine::offset_bounds(&reference, car_width_m, base.margin_m)?;
    // A line judged by the solver's lap on its track.
    let judge = |line: RacingLine| -> Result<Candidate> {
        let track = line.to_track(&name, options)?;
        let mut solver = LapSolver::with_tables(&track, tables);
        let lap_time_s = solver.solve(Start::Flying)?.lap_time_s;
        let (node_time_s, node_speed_mps) = node_profile(&line, &track, solver.speeds_mps());
        Ok(Candidate {
            lap_time_s,
            line,
            track,
            node_time_s,
            node_speed_mps,
        })
    };
    let mut eval = |eps: f64,
                    weights: Option<&[f64]>,
                    lengths: Option<&[f64]>,
                    start: Option<&[f64]>|
     -> Result<Candidate> {
        evaluations += 1;
        let opt = LineOptions {
            length_weight_1pm4: eps,
            ..*base
        };
        judge(RacingLine::optimise(
            &reference,
            car_width_m,
            &opt,
            weights,
            lengths,
            start,
        )?)
    };

    // Stage 1: the blend of minimum curvature and path length, ε on a logarithmic ladder.
    let mut best = eval(0.0, None, None, None)?;
    let minimum_curvature_lap_s = best.lap_time_s;
    let mut best_eps = 0.0;
    let mut best_k = None;
    // Every line of the first stage: its offsets and the time it spends at each node.
    let mut pool: Vec<(Vec<f64>, Vec<f64>)> =
        vec![(best.line.offset_m.clone(), best.node_time_s.clone())];
    for k in -1..=EPS_LEVELS {
        let eps = eps_max * 4.0_f64.powi(-k);
        let cand = eval(eps, None, None, Some(&best.line.offset_m))?;
        pool.push((cand.line.offset_m.clone(), cand.node_time_s.clone()));
        if cand.lap_time_s < best.lap_time_s {
            best = cand;
            best_eps = eps;
            best_k = Some(k);
        }
    }
    // Refinement: the geometric midpoints on either side of the best rung (a factor of 2 from it).
    if let Some(k) = best_k {
        for eps in [
            eps_max * 4.0_f64.powi(-k) * 2.0,
            eps_max * 4.0_f64.powi(-k) / 2.0,
        ] {
            let cand = eval(eps, None, None, Some(&best.line.offset_m))?;
            if cand.lap_time_s < best.lap_time_s {
                best = cand;
                best_eps = eps;
            }
        }
    }

    // Stage 2: sector search on the curvature weights of each corner's entry and exit.
    let params = sector_parameters(&best.node_speed_mps, base.grid_step_m);
    let m = params.iter().max().map_or(0, |p| p + 1);

    // Composite: each corner (speed maximum to speed maximum) from the first-stage line that is fastest
    // through it, the offsets ramped from one to the next over the straight between, then settled by the
    // path update. Corners are nearly independent in lap time, and the ladders reach different local minima
    // corner by corner.
    if m >= 4 {
        let corners = m / 2;
        let mut pick = vec![0usize; corners];
        for (c, chosen) in pick.iter_mut().enumerate() {
            let time = |times: &[f64]| -> f64 {
                params
                    .iter()
                    .zip(times)
                    .filter(|(p, _)| **p / 2 == c)
                    .map(|(_, t)| t)
                    .sum()
            };
            *chosen = (0..pool.len())
                .min_by(|&a, &b| time(&pool[a].1).total_cmp(&time(&pool[b].1)))
                .unwrap_or(0);
        }
        if pick.iter().any(|&p| p != pick[0]) {
            let ramp = ((PEAK_WINDOW_M / 2.0 / base.grid_step_m).round() as isize).max(1);
            let corner_of = |j: isize| params[j.rem_euclid(n as isize) as usize] / 2;
            let composite: Vec<f64> = (0..n as isize)
                .map(|j| {
                    // Average over ±ramp nodes of the offsets of the line chosen for each node's corner.
                    let sum: f64 = (-ramp..=ramp)
                        .map(|k| pool[pick[corner_of(j + k)]].0[j as usize])
                        .sum();
                    sum / (2 * ramp + 1) as f64
                })
                .collect();
            let cand = eval(best_eps, None, None, Some(&composite))?;
            if cand.lap_time_s < best.lap_time_s {
                best = cand;
            }
        }
    }
    let mut theta = vec![0.0; m];
    let weights_of = |theta: &[f64]| -> Vec<f64> {
        // Log-weights averaged over ±5 nodes, so the weight changes smoothly across an apex.
        let raw: Vec<f64> = params.iter().map(|&p| theta[p]).collect();
        (0..n as isize)
            .map(|i| {
                let sum: f64 = (-5..=5)
                    .map(|k| raw[(i + k).rem_euclid(n as isize) as usize])
                    .sum();
                (sum / 11.0).exp()
            })
            .collect()
    };
    let mut step = SECTOR_STEP;
    for _ in 0..SECTOR_ITERATIONS {
        if m == 0 {
            break;
        }
        let sector_time = |c: &Candidate| -> Vec<f64> {
            let mut t = vec![0.0; m / 2];
            for (j, &p) in params.iter().enumerate() {
                t[p / 2] += c.node_time_s[j];
            }
            t
        };
        let base_times = sector_time(&best);
        // Trials: every corner's entry (or exit) weight up (or down) by the step, all corners at once; the
        // corners' lap-time effects are separated by the straights between them.
        let mut choice = vec![(0.0, 0usize, 0.0); m / 2];
        for (part, sign) in [(0usize, 1.0), (0, -1.0), (1, 1.0), (1, -1.0)] {
            let mut trial = theta.clone();
            for c in 0..m / 2 {
                trial[2 * c + part] += sign * step;
            }
            let cand = eval(
                best_eps,
                Some(&weights_of(&trial)),
                None,
                Some(&best.line.offset_m),
            )?;
            let times = sector_time(&cand);
            for c in 0..m / 2 {
                let gain = base_times[c] - times[c];
                if gain > choice[c].0 {
                    choice[c] = (gain, part, sign);
                }
            }
        }
        let mut next = theta.clone();
        for (c, &(gain, part, sign)) in choice.iter().enumerate() {
            if gain > 1e-4 {
                next[2 * c + part] += sign * step;
            }
        }
        let cand = eval(
            best_eps,
            Some(&weights_of(&next)),
            None,
            Some(&best.line.offset_m),
        )?;
        if cand.lap_time_s < best.lap_time_s {
            best = cand;
            theta = next;
        } else {
            step *= 0.5;
            if step < SECTOR_STEP / 16.0 {
                break;
            }
        }
    }
    // Stage 3: projected, smoothed gradient steps on the offsets ([`Descent`]).
    let mut descent = Descent::new(&reference, &lo, &hi, tables, base.grid_step_m);
    let best = descent.run(best, &judge, &mut evaluations)?;
    Ok(MinimumTimeLine {
        line: best.line,
        track: best.track,
        lap_time_s: best.lap_time_s,
        length_weight_1pm4: best_eps,
        minimum_curvature_lap_s,
        evaluations,
    })
}

/// Time spent near each node of the line's grid and the speed there, from the lap on its track: each point
/// of the lap track goes to the node whose stretch of line (by arc length) it lies on.
fn node_profile(line: &RacingLine, track: &Track, v: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = line.x_m.len();
    let seg: Vec<f64> = (0..n)
        .map(|i| (line.x_m[(i + 1) % n] - line.x_m[i]).hypot(line.y_m[(i + 1) % n] - line.y_m[i]))
        .collect();
    let total: f64 = seg.iter().sum();
    let m = track.len();
    let scale = total / track.length_m();
    let mut time = vec![0.0; n];
    let mut speed = vec![0.0; n];
    let mut j = 0;
    let mut s_node = 0.0;
    for (k, &vk) in v.iter().enumerate().take(m) {
        let s = k as f64 * track.step_m() * scale;
        while j + 1 < n && s >= s_node + seg[j] {
            s_node += seg[j];
            j += 1;
        }
        time[j] += track.step_m() / vk.max(1e-3);
        if speed[j] == 0.0 {
            speed[j] = vk;
        }
    }
    // Nodes no lap point fell on (a line denser than the lap step) take the speed of the previous node.
    for i in 0..n {
        if speed[i] == 0.0 {
            speed[i] = speed[(i + n - 1) % n];
        }
    }
    (time, speed)
}

/// The parameter of each node for the sector search: corners run from one speed maximum (the end of a
/// straight) to the next; within a corner the entry runs to the lowest speed, the exit from it. Node `j`
/// gets `2 c` on the entry of corner `c` and `2 c + 1` on its exit.
fn sector_parameters(speed: &[f64], grid_step_m: f64) -> Vec<usize> {
    let n = speed.len();
    let w = ((PEAK_WINDOW_M / grid_step_m).round() as isize).max(1);
    let at = |i: isize| speed[i.rem_euclid(n as isize) as usize];
    let peaks: Vec<usize> = (0..n as isize)
        .filter(|&i| (1..=w).all(|k| at(i) > at(i - k) && at(i) >= at(i + k)))
        .map(|i| i as usize)
        .collect();
    let mut params = vec![0; n];
    let bounds: Vec<(usize, usize)> = if peaks.is_empty() {
        vec![(0, n)]
    } else {
        (0..peaks.len())
            .map(|a| {
                let (s, e) = (peaks[a], peaks[(a + 1) % peaks.len()]);
                (s, if e > s { e } else { e + n })
            })
            .collect()
    };
    for (c, &(s, e)) in bounds.iter().enumerate() {
        let apex = (s..e)
            .min_by(|&a, &b| speed[a % n].total_cmp(&speed[b % n]))
            .unwrap_or(s);
        for j in s..e {
            params[j % n] = 2 * c + usize::from(j >= apex);
        }
    }
    params
}

/// The metric of the gradient steps: `D₂ᵀD₂ + k_c⁴ I` on the cyclic grid of spacing `h`, `D₂` the second
/// difference over `h²` and `k_c = 2π / GRADIENT_WAVELENGTH_M` (a Sobolev preconditioner: the step
/// `−P⁻¹ g` is the gradient low-passed at that wavelength).
fn smoothing_operator(n: usize, h: f64) -> CyclicBanded {
    let h4 = h.powi(4);
    let kc4 = (std::f64::consts::TAU / GRADIENT_WAVELENGTH_M).powi(4);
    let mut p = CyclicBanded::zeros(n);
    for i in 0..n {
        p.add(i, i, 6.0 / h4 + kc4);
        p.add(i, (i + 1) % n, -4.0 / h4);
        p.add(i, (i + 2) % n, 1.0 / h4);
    }
    p
}

/// Stage 3 of [`minimum_time_line`]: projected L-BFGS steps on the offsets (J. Nocedal and S. J. Wright,
/// *Numerical Optimization*, 2nd ed., Springer 2006, alg. 7.4), the gradient of the lap time from the adjoint
/// of the grid lap ([`LapGradient`]) and the initial inverse Hessian `γ P⁻¹`, `P = D₂ᵀD₂ + k_c⁴ I`. Offsets at
/// a bound that the gradient pushes outwards are pinned in `P`, so the smoothed direction leaves them in
/// place without a kink beside them; the others are clipped to the box. Each step is an Armijo backtracking
/// search on the grid lap. Rounds of steps (cheap), each round's line kept only if the solver's lap is
/// faster; a round that is not makes the next one shorter.
struct Descent<'a> {
    reference: &'a Reference,
    lo: &'a [f64],
    hi: &'a [f64],
    grad: LapGradient<'a>,
    precond: CyclicBanded,
}

impl<'a> Descent<'a> {
    fn new(
        reference: &'a Reference,
        lo: &'a [f64],
        hi: &'a [f64],
        tables: &'a Tables,
        grid_step_m: f64,
    ) -> Self {
        Self {
            reference,
            lo,
            hi,
            grad: LapGradient::new(tables),
            precond: smoothing_operator(reference.len(), grid_step_m),
        }
    }

    /// Descends from `best`; every round's line is judged by `judge` (one solver lap, counted in
    /// `evaluations`), and if it is not faster, the round's half-way line. Returns the fastest line seen.
    fn run(
        &mut self,
        mut best: Candidate,
        judge: &dyn Fn(RacingLine) -> Result<Candidate>,
        evaluations: &mut usize,
    ) -> Result<Candidate> {
        let (reference, lo, hi) = (self.reference, self.lo, self.hi);
        'rounds: for _ in 0..GRADIENT_ROUNDS {
            let Some((end, half)) = self.steps(&best.line.offset_m, GRADIENT_STEPS) else {
                break;
            };
            for alpha in std::iter::once(end).chain(half) {
                *evaluations += 1;
                let cand = judge(RacingLine::from_offsets(
                    reference,
                    lo.to_vec(),
                    hi.to_vec(),
                    alpha,
                    best.line.iterations,
                ))?;
                if cand.lap_time_s < best.lap_time_s {
                    best = cand;
                    continue 'rounds;
                }
            }
            break;
        }
        Ok(best)
    }

    /// Up to `steps` L-BFGS steps on the grid lap from the offsets `start`: the last offsets and those half
    /// way (if the steps got that far), or `None` if no step lowered the grid lap.
    fn steps(&mut self, start: &[f64], steps: usize) -> Option<(Vec<f64>, Option<Vec<f64>>)> {
        let (reference, lo, hi) = (self.reference, self.lo, self.hi);
        let n = reference.len();
        let mut g = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let mut alpha = start.to_vec();
        let mut grid_lap = self.grad.lap(reference, &alpha, Some(&mut g));
        let grid_start = grid_lap;
        let mut half = None;
        let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
        let mut first = true;
        let mut metric: Option<(Vec<bool>, CyclicFactor)> = None;
        for step in 0..steps {
            if step == steps / 2 && grid_lap < grid_start {
                half = Some(alpha.clone());
            }
            // Offsets held: at a bound with the gradient pushing outwards.
            let held: Vec<bool> = (0..n)
                .map(|i| {
                    (alpha[i] <= lo[i] + BOUND_TOLERANCE_M && g[i] > 0.0)
                        || (alpha[i] >= hi[i] - BOUND_TOLERANCE_M && g[i] < 0.0)
                })
                .collect();
            // The metric with the held offsets pinned (a stiff spring on each): its inverse smooths a vector
            // and leaves the held offsets where they are, without a kink beside them.
            // Factorised again only when the held set changes (it rarely does from one step to the next).
            if metric.as_ref().is_none_or(|(h, _)| *h != held) {
                let pin = 1e6 * self.precond.diag[0][0];
                let Some(factor) = CyclicFactor::factor(n, |i, j| {
                    self.precond.get(i, j) + if i == j && held[i] { pin } else { 0.0 }
                }) else {
                    break;
                };
                metric = Some((held.clone(), factor));
            }
            let Some((_, metric)) = metric.as_ref() else {
                break;
            };
            // L-BFGS two-loop recursion (Nocedal & Wright, alg. 7.4) with the initial inverse Hessian γ P⁻¹.
            let mut q: Vec<f64> = (0..n).map(|i| if held[i] { 0.0 } else { g[i] }).collect();
            let mut coef = Vec::with_capacity(history.len());
            for (sv, yv, rho) in history.iter().rev() {
                let a = rho * dot(sv, &q);
                q.iter_mut().zip(yv).for_each(|(q, y)| *q -= a * y);
                coef.push(a);
            }
            metric.solve(&mut q);
            let gamma = match history.back() {
                Some((sv, yv, _)) => {
                    let mut py = yv.clone();
                    metric.solve(&mut py);
                    dot(sv, yv) / dot(yv, &py)
                }
                None => 1.0,
            };
            q.iter_mut().for_each(|v| *v *= gamma);
            for ((sv, yv, rho), a) in history.iter().zip(coef.iter().rev()) {
                let b = rho * dot(yv, &q);
                q.iter_mut().zip(sv).for_each(|(q, s)| *q += (a - b) * s);
            }
            let dir: Vec<f64> = (0..n).map(|i| if held[i] { 0.0 } else { -q[i] }).collect();
            let slope = dot(&g, &dir);
            if slope >= 0.0 || slope.is_nan() {
                // Not a descent direction (the history misleads, or a NaN): start the history again.
                if history.is_empty() {
                    break;
                }
                history.clear();
                first = true;
                continue;
            }
            // A fresh history's first step moves the line by at most GRADIENT_FIRST_STEP_M; later ones try
            // the quasi-Newton step itself first.
            let mut t = if first {
                let largest = dir.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                (GRADIENT_FIRST_STEP_M / largest).min(1.0)
            } else {
                1.0
            };
            first = false;
            let mut accepted = None;
            for _ in 0..LINE_SEARCH_TRIES {
                let trial: Vec<f64> = (0..n)
                    .map(|i| (alpha[i] + t * dir[i]).clamp(lo[i], hi[i]))
                    .collect();
                let trial_lap = self.grad.lap(reference, &trial, None);
                // Armijo on the projected step (its first-order change `gᵀ(trial − α)`), and strictly
                // faster: the grid lap is piecewise smooth, so a kink can make the linear term vanish.
                let moved: f64 = (0..n).map(|i| g[i] * (trial[i] - alpha[i])).sum();
                if trial_lap < grid_lap + ARMIJO * moved.min(0.0) && trial_lap < grid_lap {
                    accepted = Some((trial, trial_lap));
                    break;
                }
                t *= 0.25;
            }
            let Some((trial, trial_lap)) = accepted else {
                break;
            };
            self.grad.lap(reference, &trial, Some(&mut g_new));
            let sv: Vec<f64> = (0..n).map(|i| trial[i] - alpha[i]).collect();
            let yv: Vec<f64> = (0..n).map(|i| g_new[i] - g[i]).collect();
            let sy = dot(&sv, &yv);
            // Keep the pair only with clearly positive curvature (the objective has kinks).
            if sy > CURVATURE_CONDITION * dot(&sv, &sv).sqrt() * dot(&yv, &yv).sqrt() {
                history.push_back((sv, yv, 1.0 / sy));
                if history.len() > LBFGS_MEMORY {
                    history.pop_front();
                }
            }
            alpha = trial;
            grid_lap = trial_lap;
            std::mem::swap(&mut g, &mut g_new);
        }
        (grid_lap < grid_start).then_some((alpha, half))
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}
