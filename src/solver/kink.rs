//! The cells whose profile bends inside them, timed through the points the pass computed inside them
//! (issue 14).
//!
//! The lap time sums the chord `2 ds / (v_i + v_j)` over each cell: exact where the acceleration is constant
//! across it, off by `O(ds² u'')` where it is not. Two kinds of cell bend a lot, and the pass computes points
//! inside both anyway:
//!
//! * **An upshift's coast.** The drive goes for the shift time. The traction pass locates where that
//!   happens: the coast starts at the crossover speed inside its step (`passes::upshift_within_step`) and
//!   ends inside a later step (`SubSteps::coast_then_drive`). `u = v²` has a kink at each: concave where the
//!   coast starts (the chord is slow), convex where it ends (fast). Each chord's error, of order
//!   `θ(1−θ) ds² Δa / v³` with `θ` where the kink falls, moves with anything that moves the upshift along
//!   the track: at 1.4 m it was most of the lap's aliasing over the grip share (41 shares 0.1 % apart on the
//!   minimum-curvature line: a spread of 0.14 ms as shipped, 0.06 ms without the shift's loss of drive;
//!   `examples/step_aliasing.rs`). The time is taken along the pieces between the kinks, each at constant
//!   acceleration (`2 h / (v_a + v_b)`, exact for it), as the braking points' cells are
//!   ([`super::brake_point`]).
//! * **The cells either side of a located apex's cell**, which the passes integrate in two sub-steps
//!   ([`super::apex`]). There the braking (before) or the traction (after) comes back from nothing at the
//!   lateral limit as the curvature falls, so the profile bends hard: the chord was fast by up to 0.06 ms a
//!   cell at 1.4 m on the centreline. The time is Simpson's rule on `1/v` through the point between the
//!   sub-steps ([`Kinks::midpoint`]).
//!
//! The passes record each such step: the cell, its ends, and the points inside it. A record is only used
//! where it describes the solved profile: its ends must equal the profile's at the cell bit for bit, and it
//! must belong to the current passes (a generation stamp, one store for the traction passes and one for the
//! braking pass). The chunked passes run chains that are later recomputed (their records are overwritten
//! by the recomputation or fail the check); a gear choice's look-ahead, and the lanes that step idle past
//! the end of their chunks, record nothing. So the check leaves exactly the steps of the profile, as the
//! sequential reference records them.

use std::cell::Cell;

/// Most kinks one step makes: the coast's start and its end (a coast shorter than the rest of the step).
pub(super) const MAX_KINKS: usize = 2;

/// The kinks of one step: each one's distance from the step's start (m) and the squared speed there (m²/s²),
/// in order. Or, for a step integrated in two sub-steps where the profile is smooth (next to an apex), the
/// point between them ([`Self::midpoint`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Kinks {
    x_m: [f64; MAX_KINKS],
    u: [f64; MAX_KINKS],
    count: usize,
    /// One point at the middle of a smooth profile: Simpson's rule.
    smooth: bool,
}

impl Kinks {
    /// The point at the middle of a step of two sub-steps over a smooth profile (`u`, m²/s²): the step's time
    /// by Simpson's rule on `1/v`, `ds (1/v₀ + 4/v_m + 1/v₁) / 6` (exact for a cubic `1/v`; the profile next to
    /// an apex bends, where the deceleration or the acceleration comes back as the curvature falls, and two
    /// straight pieces in `u` would still cut it).
    pub fn midpoint(u: f64, ds: f64) -> Self {
        let mut k = Self {
            smooth: true,
            ..Self::default()
        };
        k.push(0.5 * ds, u, ds);
        k
    }

    /// Adds a kink `x_m` into the step at squared speed `u`; one at either end of the step is none.
    pub fn push(&mut self, x_m: f64, u: f64, ds: f64) {
        if x_m > 0.0 && x_m < ds && self.count < MAX_KINKS {
            self.x_m[self.count] = x_m;
            self.u[self.count] = u;
            self.count += 1;
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The time (s) across a cell of `ds` metres from squared speed `u0` to `u1` through the kinks, each piece
    /// at constant acceleration.
    pub fn time_s(&self, u0: f64, u1: f64, ds: f64) -> f64 {
        if self.smooth && self.count == 1 {
            // Simpson needs `1/v` smooth over the cell: not near rest, where it grows like `1/√x` (a cap at
            // 0 next to an apex, a grid slot there). There, and at an end at rest (where Simpson's `1/v` is
            // infinite but the time is not), the two pieces through the middle at constant acceleration.
            let (v0, vm, v1) = (u0.sqrt(), self.u[0].sqrt(), u1.sqrt());
            if v0.min(v1) >= 0.5 * vm {
                return ds * (1.0 / v0 + 4.0 / vm + 1.0 / v1) / 6.0;
            }
        }
        let (mut t, mut x, mut v) = (0.0, 0.0, u0.sqrt());
        for k in 0..self.count {
            let vk = self.u[k].sqrt();
            t += 2.0 * (self.x_m[k] - x) / (v + vk);
            (x, v) = (self.x_m[k], vk);
        }
        t + 2.0 * (ds - x) / (v + u1.sqrt())
    }
}

/// One recorded step.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    generation: u64,
    u_start: f64,
    u_end: f64,
    kinks: Kinks,
}

/// The steps with kinks that the traction passes of one solve recorded, one entry a cell, and the cells
/// of the last solved lap they describe.
#[derive(Debug, Default)]
pub(super) struct KinkCells {
    entries: Vec<Cell<Entry>>,
    /// The cells recorded this generation, in the order first recorded (each once).
    listed: Vec<Cell<u32>>,
    count: Cell<usize>,
    generation: u64,
    /// The kinked cells of the last solved lap: the cell's first point and its time (s), in the order of the
    /// points.
    pub active: Vec<(usize, f64)>,
    /// [`Self::active`] of a profile that is not the solved lap's.
    scratch: Vec<(usize, f64)>,
}

impl KinkCells {
    /// Sizes the records for `n` points (allocating only when they grow).
    pub fn resize(&mut self, n: usize) {
        self.entries.resize(n, Cell::default());
        self.listed.resize(n, Cell::new(0));
        // Room for a record in every cell: the laps allocate nothing.
        self.active.reserve(n.saturating_sub(self.active.len()));
        self.scratch.reserve(n.saturating_sub(self.scratch.len()));
    }

    /// Starts a new generation: the records so far no longer count.
    pub fn start(&mut self) {
        self.generation += 1;
        self.count.set(0);
    }

    /// What the passes record through.
    pub fn recorder(&self) -> KinkRecorder<'_> {
        KinkRecorder {
            entries: &self.entries,
            listed: &self.listed,
            count: &self.count,
            generation: self.generation,
        }
    }

    /// The recorded cells that the profile `u` (m²/s²; the speeds `v`, m/s, over a step `ds`) passes through,
    /// with their times, into `active`; returns the lap time's correction: their times less the chords.
    /// The lap's last cell keeps its chord.
    pub fn locate(&mut self, u: &[f64], v: &[f64], ds: f64) -> f64 {
        let mut active = std::mem::take(&mut self.active);
        let correction = self.collect(u, v, ds, &mut active);
        self.active = active;
        correction
    }

    /// [`Self::locate`]'s correction alone, for a profile that is not the solved lap's (a grid start's):
    /// `active` keeps the solved lap's cells.
    pub fn correction(&mut self, u: &[f64], v: &[f64], ds: f64) -> f64 {
        let mut scratch = std::mem::take(&mut self.scratch);
        let correction = self.collect(u, v, ds, &mut scratch);
        self.scratch = scratch;
        correction
    }

    /// The time across cell `i` of a step from `u_start` to `u_end`, if this generation recorded that step
    /// with kinks.
    pub fn time_of(&self, i: usize, u_start: f64, u_end: f64, ds: f64) -> Option<f64> {
        let e = self.entries.get(i)?.get();
        (e.generation == self.generation
            && e.u_start.to_bits() == u_start.to_bits()
            && e.u_end.to_bits() == u_end.to_bits())
        .then(|| e.kinks.time_s(u_start, u_end, ds))
    }

    /// Each recorded cell the profile passes through, its first point and time, into `out` in the order of
    /// the points; returns the sum of their times less the chords, in that order (so that it does not depend
    /// on which of the chunked passes' lanes recorded first).
    fn collect(&self, u: &[f64], v: &[f64], ds: f64, out: &mut Vec<(usize, f64)>) -> f64 {
        let n = u.len();
        out.clear();
        for c in &self.listed[..self.count.get()] {
            let i = c.get() as usize;
            if i + 1 < n {
                if let Some(t) = self.time_of(i, u[i], u[i + 1], ds) {
                    out.push((i, t));
                }
            }
        }
        out.sort_unstable_by_key(|c| c.0);
        out.iter()
            .map(|&(i, t)| t - 2.0 * ds / (v[i] + v[i + 1]))
            .sum()
    }
}

/// The passes' handle on [`KinkCells`]: records a step's kinks.
#[derive(Clone, Copy)]
pub(super) struct KinkRecorder<'a> {
    entries: &'a [Cell<Entry>],
    listed: &'a [Cell<u32>],
    count: &'a Cell<usize>,
    generation: u64,
}

impl KinkRecorder<'_> {
    /// Records the step over cell `i` from `u_start` to `u_end` with `kinks` (none: nothing to record).
    pub fn record(&self, i: usize, u_start: f64, u_end: f64, kinks: &Kinks) {
        if kinks.is_empty() {
            return;
        }
        let slot = &self.entries[i];
        if slot.get().generation != self.generation {
            let c = self.count.get();
            self.listed[c].set(i as u32);
            self.count.set(c + 1);
        }
        slot.set(Entry {
            generation: self.generation,
            u_start,
            u_end,
            kinks: *kinks,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Constant acceleration `a` up to a kink, constant `b` after it: the located time is exact wherever the
    /// kink falls, and the chord errs by an amount that depends on where (slow at a concave kink).
    #[test]
    fn a_kink_between_two_constant_accelerations_is_exact() {
        let (a, b, ds) = (3.0, -0.4, 1.4);
        let u0: f64 = 800.0;
        for &x in &[0.1, 0.5, 0.9, 1.3] {
            let uk = u0 + 2.0 * a * x;
            let u1 = uk + 2.0 * b * (ds - x);
            let mut k = Kinks::default();
            k.push(x, uk, ds);
            let exact = (uk.sqrt() - u0.sqrt()) / a + (u1.sqrt() - uk.sqrt()) / b;
            let t = k.time_s(u0, u1, ds);
            assert!((t - exact).abs() < 1e-14, "{t} against {exact}");
            let chord = 2.0 * ds / (u0.sqrt() + u1.sqrt());
            assert!(chord > t, "the chord cuts the concave kink: slow");
        }
        // A smooth cell from rest: the two pieces through the middle, finite.
        let m = Kinks::midpoint(40.0, ds);
        let t = m.time_s(0.0, 100.0, ds);
        let pieces = 2.0 * (0.5 * ds) / 40f64.sqrt() + 2.0 * (0.5 * ds) / (40f64.sqrt() + 10.0);
        assert!(
            t.is_finite() && (t - pieces).abs() < 1e-15,
            "{t} against {pieces}"
        );
        // No kink: the chord.
        let k = Kinks::default();
        assert_eq!(k.time_s(u0, 900.0, ds), 2.0 * ds / (u0.sqrt() + 30.0));
    }

    /// Simpson's rule through the middle of a bending cell (a quadratic `u`, as next to an apex) is within a
    /// thousandth of the chord's error of the exact time, which an independent fine quadrature gives.
    #[test]
    fn a_smooth_cell_through_its_middle_is_close_to_exact() {
        let ds = 1.4;
        for &(u0, b, c) in &[(330.0, -6.0, 1.2), (330.0, 2.0, 2.5), (900.0, -20.0, 3.0)] {
            let u = |x: f64| u0 + b * x + c * x * x;
            let m = 200_000;
            let h = ds / m as f64;
            let exact: f64 = (0..m).map(|k| h / u((k as f64 + 0.5) * h).sqrt()).sum();
            let simpson = Kinks::midpoint(u(0.5 * ds), ds).time_s(u(0.0), u(ds), ds);
            let chord = 2.0 * ds / (u(0.0).sqrt() + u(ds).sqrt());
            assert!(
                (simpson - exact).abs() < 1e-3 * (chord - exact).abs(),
                "Simpson {simpson}, chord {chord}, exact {exact}"
            );
        }
    }

    /// A record counts only for the profile it describes, in its own generation.
    #[test]
    fn a_record_counts_only_for_its_own_profile_and_generation() {
        let mut cells = KinkCells::default();
        cells.resize(4);
        cells.start();
        let mut k = Kinks::default();
        k.push(0.5, 810.0, 1.0);
        cells.recorder().record(1, 800.0, 805.0, &k);
        let u: [f64; 4] = [790.0, 800.0, 805.0, 820.0];
        let v: Vec<f64> = u.iter().map(|x| x.sqrt()).collect();
        let c = cells.locate(&u, &v, 1.0);
        assert_eq!(cells.active.len(), 1);
        let t = k.time_s(800.0, 805.0, 1.0);
        assert_eq!(cells.active[0], (1, t));
        assert_eq!(c, t - 2.0 / (v[1] + v[2]));
        // Another profile through the cell: not this record.
        let w: [f64; 4] = [790.0, 800.0, 806.0, 820.0];
        let vw: Vec<f64> = w.iter().map(|x| x.sqrt()).collect();
        assert_eq!(cells.correction(&w, &vw, 1.0), 0.0);
        // A new generation forgets it.
        cells.start();
        assert_eq!(cells.locate(&u, &v, 1.0), 0.0);
        assert!(cells.active.is_empty());
    }
}
