//! The forward (traction) and backward (braking) passes, and the driver that runs each as several
//! independent dependency chains.
//!
//! A pass is a recurrence `u_{k+1} = step(u_k)` around the loop: every step waits for the previous one, so a
//! single pass is bound by the latency of one step (a table look-up, a square root, a few multiplies, twice
//! for Heun's method), not by the processor's throughput. But a pass *forgets* its past wherever it is held
//! at a corner limit (it is **pinned**: `u = u_lim`, and the drive state is reset), so the lap splits into
//! chunks that start at slow corners. [`run_chunked`] starts [`CHAINS`] chains at once, each from the corner
//! limit at the start of its chunk (an upper bound of the true speed there, which is exact whenever the true
//! pass arrives pinned). The chains run interleaved, so the processor overlaps their latencies. A sequential
//! stitch then checks each chunk's true arrival: if it is pinned, the chunk was exact; if not, the chunk is
//! recomputed from the true arrival until the recomputation is pinned where the speculative chain was, from
//! where both coincide bit for bit. The result is the same as one sequential pass.

use super::SHIFT_HYSTERESIS;
use crate::vehicle::Envelope;

/// Number of interleaved chains per pass.
pub const CHAINS: usize = 4;

/// The per-point data the passes read.
pub(super) struct PassData<'a> {
    pub env: &'a Envelope,
    pub kappa_abs: &'a [f64],
    /// g sin θ of each segment (m/s²).
    pub g_sin: &'a [f64],
    pub u_lim: &'a [f64],
    pub ds: f64,
}

/// A pass direction with its step rule and carried state.
pub(super) trait Pass {
    type State: Copy;
    /// Track index of pass position `p` (0 at the pass's anchor).
    fn index(&self, p: usize) -> usize;
    /// The state of a pass pinned at a corner limit.
    fn pinned(&self) -> Self::State;
    /// Whether a state is pinned.
    fn is_pinned(st: &Self::State) -> bool;
    /// One step for `L` independent lanes: lane `l` goes from track index `i[l]` at `u[l]` to `j[l]`;
    /// returns the `u` there. The lanes' arithmetic is interleaved phase by phase; each lane computes exactly
    /// what a single step would.
    fn step_lanes<const L: usize>(
        &self,
        d: &PassData<'_>,
        i: &[usize; L],
        j: &[usize; L],
        u: [f64; L],
        st: &mut [Self::State; L],
    ) -> [f64; L];

    /// One step from track index `i` at `u` to the next index `j`; returns `u` there.
    #[inline(always)]
    fn step(&self, d: &PassData<'_>, i: usize, j: usize, u: f64, st: &mut Self::State) -> f64 {
        let mut s = [*st];
        let out = self.step_lanes(d, &[i], &[j], [u], &mut s);
        *st = s[0];
        out[0]
    }
}

/// The forward pass's carried state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct DriveState {
    /// Gear engaged.
    pub gear: u8,
    /// Time left without drive in the current upshift (s).
    pub shift_left_s: f64,
    /// Held at a corner limit at the last point: gear and shift are reset at the next step.
    pub pinned: bool,
}

impl DriveState {
    /// A state that starts in `gear`, not shifting.
    pub fn in_gear(gear: u8) -> Self {
        Self {
            gear,
            shift_left_s: 0.0,
            pinned: false,
        }
    }
}

/// Traction pass from anchor `start` in the direction of travel.
pub(super) struct Forward {
    pub start: usize,
    pub n: usize,
}

impl Pass for Forward {
    type State = DriveState;

    #[inline(always)]
    fn index(&self, p: usize) -> usize {
        let i = self.start + p;
        if i >= self.n {
            i - self.n
        } else {
            i
        }
    }

    fn pinned(&self) -> DriveState {
        DriveState {
            gear: 1,
            shift_left_s: 0.0,
            pinned: true,
        }
    }

    #[inline(always)]
    fn is_pinned(st: &DriveState) -> bool {
        st.pinned
    }

    /// Heun's method in `u = v²`: `u_j = u_i + (a(u_i) + a(u_p)) ds` with the predictor `u_p = u_i + 2 a(u_i) ds`.
    #[inline(always)]
    fn step_lanes<const L: usize>(
        &self,
        d: &PassData<'_>,
        i: &[usize; L],
        j: &[usize; L],
        u: [f64; L],
        st: &mut [DriveState; L],
    ) -> [f64; L] {
        let env = d.env;
        let mut share = [1.0; L];
        let mut vi = [0.0; L];
        for l in 0..L {
            let s = &mut st[l];
            let best = env.gear_u(u[l]);
            if s.pinned {
                // At a corner limit the car is in its best gear and not mid-shift.
                s.gear = best;
                s.shift_left_s = 0.0;
                s.pinned = false;
            } else if best > s.gear {
                // Upshift as soon as the next gear pulls harder (or the limiter is reached), paying the
                // shift time.
                s.shift_left_s = env.shift_time_s();
                s.gear = best;
            } else if best < s.gear {
                // Downshift only below the hysteresis band, so the speed lost in an upshift does not undo it.
                let h = (1.0 + SHIFT_HYSTERESIS) * (1.0 + SHIFT_HYSTERESIS);
                s.gear = env.gear_u(u[l] * h).min(s.gear);
            }
            // Share of this segment with the drive engaged (an upshift may end inside it).
            if s.shift_left_s > 0.0 {
                vi[l] = u[l].sqrt();
                share[l] = 1.0 - (s.shift_left_s * vi[l].max(0.5) / d.ds).min(1.0);
            }
        }
        let g_sin: [f64; L] = std::array::from_fn(|l| d.g_sin[i[l]]);
        let cap: [f64; L] = std::array::from_fn(|l| d.u_lim[j[l]]);
        let ka: [f64; L] = std::array::from_fn(|l| d.kappa_abs[i[l]]);
        let kb: [f64; L] = std::array::from_fn(|l| d.kappa_abs[j[l]]);
        let a1 = env.forward_accel_lanes(u, ka, g_sin, share);
        let up: [f64; L] =
            std::array::from_fn(|l| (u[l] + 2.0 * a1[l] * d.ds).max(0.0).min(cap[l]));
        let a2 = env.forward_accel_lanes(up, kb, g_sin, share);
        let free: [f64; L] = std::array::from_fn(|l| (u[l] + (a1[l] + a2[l]) * d.ds).max(0.0));
        let uj: [f64; L] = std::array::from_fn(|l| free[l].min(cap[l]));
        for l in 0..L {
            let s = &mut st[l];
            s.pinned = free[l] >= cap[l];
            if s.shift_left_s > 0.0 {
                s.shift_left_s =
                    (s.shift_left_s - 2.0 * d.ds / (vi[l] + uj[l].sqrt()).max(1e-9)).max(0.0);
            }
        }
        uj
    }
}

/// Braking pass from anchor `start` against the direction of travel.
pub(super) struct Backward {
    pub start: usize,
    pub n: usize,
}

impl Pass for Backward {
    type State = bool;

    #[inline(always)]
    fn index(&self, p: usize) -> usize {
        // p runs from 0 to n (inclusive): no modulo (a division) in the hot loop.
        if p > self.start {
            self.start + self.n - p
        } else {
            self.start - p
        }
    }

    fn pinned(&self) -> bool {
        true
    }

    #[inline(always)]
    fn is_pinned(st: &bool) -> bool {
        *st
    }

    /// Heun's method in `u`, stepping from `i` (later point) to `j` (the point before it).
    #[inline(always)]
    fn step_lanes<const L: usize>(
        &self,
        d: &PassData<'_>,
        i: &[usize; L],
        j: &[usize; L],
        u: [f64; L],
        st: &mut [bool; L],
    ) -> [f64; L] {
        let env = d.env;
        let g_sin: [f64; L] = std::array::from_fn(|l| d.g_sin[j[l]]);
        let cap: [f64; L] = std::array::from_fn(|l| d.u_lim[j[l]]);
        let ka: [f64; L] = std::array::from_fn(|l| d.kappa_abs[i[l]]);
        let kb: [f64; L] = std::array::from_fn(|l| d.kappa_abs[j[l]]);
        let d1 = env.braking_decel_lanes(u, ka, g_sin);
        let up: [f64; L] =
            std::array::from_fn(|l| (u[l] + 2.0 * d1[l] * d.ds).max(0.0).min(cap[l]));
        let d2 = env.braking_decel_lanes(up, kb, g_sin);
        let free: [f64; L] = std::array::from_fn(|l| (u[l] + (d1[l] + d2[l]) * d.ds).max(0.0));
        for l in 0..L {
            st[l] = free[l] >= cap[l];
        }
        std::array::from_fn(|l| free[l].min(cap[l]))
    }
}

/// Chunk anchors (pass positions, ascending from 0): the slowest corner limit within a window around each
/// `c · n / CHAINS`.
fn anchors<P: Pass>(pass: &P, d: &PassData<'_>, n: usize, out: &mut [usize; CHAINS]) {
    out[0] = 0;
    let half = n / (4 * CHAINS);
    for (c, slot) in out.iter_mut().enumerate().skip(1) {
        let mid = c * n / CHAINS;
        *slot = (mid - half..mid + half)
            .min_by(|&a, &b| d.u_lim[pass.index(a)].total_cmp(&d.u_lim[pass.index(b)]))
            .unwrap_or(mid);
    }
}

/// Runs a pass once around the loop from its anchor at `u0` in state `st0`, writing `u` at every point into
/// `out` (indexed by track index). Returns the arrival back at the anchor and the state there.
pub(super) fn run_chunked<P: Pass>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    u0: f64,
    st0: P::State,
) -> (f64, P::State) {
    let n = out.len();
    if n < 16 * CHAINS {
        return run_sequential(pass, d, out, u0, st0);
    }
    let k = CHAINS;
    let mut starts = [0usize; CHAINS];
    anchors(pass, d, n, &mut starts);
    let mut ends = [n; CHAINS];
    ends[..k - 1].copy_from_slice(&starts[1..]);
    let mut u = [0.0; CHAINS];
    let mut st = [pass.pinned(); CHAINS];
    u[0] = u0;
    st[0] = st0;
    for c in 1..k {
        u[c] = d.u_lim[pass.index(starts[c])];
    }
    let max_len = (0..k).map(|c| ends[c] - starts[c]).max().unwrap_or(0);
    // Speculative chains, stepped together as lanes; a lane past the end of its chunk idles on its last
    // segment and keeps its result.
    for s in 0..max_len {
        let active: [bool; CHAINS] = std::array::from_fn(|c| starts[c] + s < ends[c]);
        let p: [usize; CHAINS] = std::array::from_fn(|c| (starts[c] + s).min(ends[c] - 1));
        let i: [usize; CHAINS] = std::array::from_fn(|c| pass.index(p[c]));
        let j: [usize; CHAINS] = std::array::from_fn(|c| pass.index(p[c] + 1));
        for c in 0..k {
            if active[c] {
                out[i[c]] = u[c];
            }
        }
        let saved = st;
        let next = pass.step_lanes(d, &i, &j, u, &mut st);
        for c in 0..k {
            if active[c] {
                u[c] = next[c];
            } else {
                st[c] = saved[c];
            }
        }
    }
    // Stitch: chunk c is exact if chunk c − 1 arrives pinned; otherwise recompute it until it merges.
    let (mut ua, mut sa) = (u[0], st[0]);
    for c in 1..k {
        if !P::is_pinned(&sa) {
            let (mut uu, mut ss) = (ua, sa);
            let mut merged = false;
            let mut p = starts[c];
            while p < ends[c] {
                let i = pass.index(p);
                let j = pass.index(p + 1);
                out[i] = uu;
                uu = pass.step(d, i, j, uu, &mut ss);
                p += 1;
                if p < ends[c] && P::is_pinned(&ss) && out[j] == d.u_lim[j] {
                    merged = true;
                    break;
                }
            }
            if !merged {
                u[c] = uu;
                st[c] = ss;
            }
        }
        ua = u[c];
        sa = st[c];
    }
    (ua, sa)
}

/// The same pass as one sequential chain: the reference [`run_chunked`] must reproduce bit for bit.
pub(super) fn run_sequential<P: Pass>(
    pass: &P,
    d: &PassData<'_>,
    out: &mut [f64],
    u0: f64,
    st0: P::State,
) -> (f64, P::State) {
    let n = out.len();
    let (mut u, mut st) = (u0, st0);
    for p in 0..n {
        let i = pass.index(p);
        let j = pass.index(p + 1);
        out[i] = u;
        u = pass.step(d, i, j, u, &mut st);
    }
    (u, st)
}
