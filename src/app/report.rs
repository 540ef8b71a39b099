//! Plain-text reports: a lap, the grid, the classification, Monte Carlo statistics.

use crate::field::Field;
use crate::laptime::format_lap_time;
use crate::session::monte_carlo::DriverStats;
use crate::session::qualifying::QualifyingResult;
use crate::session::race::RaceResult;
use crate::solver::Telemetry;

/// A plain-text report of a lap: time, speeds, sectors, slowest corners.
pub fn lap_report(title: &str, t: &Telemetry) -> String {
    let s = &t.summary;
    let kmh = |v: f64| v * 3.6;
    let mut out = format!("{title}\n");
    out += &format!(
        "  lap time      {}  ({:?} start)\n",
        format_lap_time(s.lap.lap_time_s),
        s.lap.start
    );
    out += &format!("  length        {:.1} m\n", s.length_m);
    out += &format!("  mean speed    {:.1} km/h\n", kmh(s.v_mean_mps));
    out += &format!(
        "  top speed     {:.1} km/h at s = {:.0} m\n",
        kmh(s.v_max_mps),
        s.v_max_s_m
    );
    out += &format!("  minimum speed {:.1} km/h\n", kmh(s.v_min_mps));
    for (k, st) in s.sector_times_s.iter().enumerate() {
        out += &format!("  sector {}      {:.3} s\n", k + 1, st);
    }
    out += "  slowest corners:";
    for (sm, v) in &s.slowest_corners {
        out += &format!("  {:.0} km/h @ {:.0} m;", kmh(*v), sm);
    }
    out.pop();
    out.push('\n');
    out
}

/// The grid as an aligned table.
pub fn grid_table(q: &QualifyingResult) -> String {
    let mut out = format!(
        "{:>3}  {:>3}  {:<22} {:>9}  {:>7}  {:>7}  {:>4}\n",
        "pos", "no", "driver", "best", "to pole", "ahead", "part"
    );
    for g in &q.grid {
        out += &format!(
            "{:>3}  {:>3}  {:<22} {:>9}  {:>7}  {:>7}  {:>4}\n",
            g.position,
            g.number,
            g.name,
            format_lap_time(g.best_s),
            format_gap(g.gap_to_pole_s),
            format_gap(g.gap_ahead_s),
            g.part
        );
    }
    out
}

/// A gap as `+0.123`, or `–` where there is none (a car without a timed lap).
pub fn format_gap(gap_s: f64) -> String {
    if gap_s.is_finite() {
        format!("{gap_s:+.3}")
    } else {
        "–".into()
    }
}

/// The classification as an aligned table.
pub fn classification_table(field: &Field, r: &RaceResult) -> String {
    let mut out = format!(
        "{:>3}  {:>3}  {:<22} {:>4}  {:>10}  {:>8}  {:>9}  {:>9}  {:>9}\n",
        "pos", "no", "driver", "grid", "total", "gap", "fastest", "mean", "median"
    );
    let winner = r.classification.first().map_or(0.0, |c| c.total_s);
    for (p, c) in r.classification.iter().enumerate() {
        let e = &field.entries[c.entry];
        let (total, gap) = match c.out_of_fuel_on_lap {
            None => (
                format_lap_time(c.total_s),
                format!("{:+.3}", c.total_s - winner),
            ),
            Some(l) => (format!("dry, lap {l}"), "–".to_string()),
        };
        out += &format!(
            "{:>3}  {:>3}  {:<22} {:>4}  {:>10}  {:>8}  {:>9}  {:>9}  {:>9}\n",
            p + 1,
            e.number,
            e.name,
            c.grid,
            total,
            gap,
            format_lap_time(c.fastest_s()),
            format_lap_time(c.mean_s()),
            format_lap_time(c.median_s())
        );
    }
    out
}

/// Monte Carlo statistics as an aligned table, by mean position.
pub fn stats_table(stats: &[DriverStats], runs: u64, race: bool) -> String {
    let mut sorted: Vec<&DriverStats> = stats.iter().collect();
    sorted.sort_by(|a, b| a.position_mean_sd.0.total_cmp(&b.position_mean_sd.0));
    let mut out = format!(
        "Monte Carlo over {runs} runs ({}):\n{:>3}  {:<22} {:>6} {:>9} {:>6} {:>6} {:>6}  {:>12}  {:>14}\n",
        if race { "race positions" } else { "grid positions" },
        "no",
        "driver",
        "pole",
        "shoot-out",
        "win",
        "podium",
        "dry",
        "position",
        "gap (s)"
    );
    // Shares that do not apply (no race, no shoot-out) show as a dash.
    let pct = |p: Option<f64>| p.map_or("–".to_string(), |p| format!("{:.1}%", 100.0 * p));
    for s in sorted {
        out += &format!(
            "{:>3}  {:<22} {:>5.1}% {:>9} {:>6} {:>6} {:>6}  {:>5.1} ± {:<4.1}  {:>6.2} ± {:<5.2}\n",
            s.number,
            s.name,
            100.0 * s.p_pole,
            pct(s.p_shootout),
            pct(s.p_win),
            pct(s.p_podium),
            pct(s.p_out_of_fuel),
            s.position_mean_sd.0,
            s.position_mean_sd.1,
            s.gap_mean_sd_s.0,
            s.gap_mean_sd_s.1
        );
    }
    out
}
