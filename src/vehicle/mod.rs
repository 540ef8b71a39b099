//! The point-mass vehicle: validated parameters and the forces they imply at a given speed.
//!
//! Force model (all at the contact patches, SI units):
//! - Vertical load: `Fz = m g + ½ ρ c_L A v²`, split by the static weight distribution and the downforce split.
//! - Tyre grip per axle with linear load sensitivity: each wheel gives `μ(Fz_w) Fz_w` with
//!   `μ(Fz_w) = μ₀ (1 − k (Fz_w − Fz₀)/Fz₀)`, held at its peak beyond the load where it would start to fall
//!   (more load never gives less force). Lateral capacity: front + rear axle at their static-plus-aero loads.
//! - Longitudinal load transfer `ΔFz = Fx h / L` (moment balance about the contact patch of the other axle):
//!   traction on the driven axle solves `Fx = G(Fz_driven + Fx h/L)`; braking with an ideal brake balance solves
//!   `Fx = G_f(Fz_f + Fx h/L) + G_r(Fz_r − Fx h/L)` (all four tyres; the Cup car has no ABS, so this is the
//!   limit a driver can reach, not an assisted one).
//! - Drive: full-load torque, linearly interpolated, through the best gear at that speed within the rev limit:
//!   `F = T(n) i_g i_f η / r`; clutch slip holds the engine at `launch_rpm` in first gear at low speed.
//! - Rotating inertia as an effective mass per gear: `m_rot = (I_e (i_g i_f)² + I_w) / r²`; it loads the engine
//!   when the engine limits, not the tyres when the tyres limit; while the clutch slips at launch the engine
//!   turns at constant speed and only the wheel side counts.
//! - Resistance: aerodynamic drag `½ ρ c_D A v²` plus rolling resistance `C_rr Fz`; gradient `m g sin θ`.
//!
//! References: W. F. Milliken & D. L. Milliken, *Race Car Vehicle Dynamics* (1995), ch. 2 (tyre load
//! sensitivity), ch. 18 (load transfer); H. B. Pacejka, *Tire and Vehicle Dynamics*, 3rd ed. (2012), §1.3
//! (friction ellipse); T. D. Gillespie, *Fundamentals of Vehicle Dynamics* (1992), ch. 2 (effective mass).

pub mod envelope;
pub mod params;
mod transfer;

use std::path::Path;

pub use envelope::{Envelope, EnvelopeNode};
pub use params::{CarParams, DrivenAxle};

/// Linear interpolation in an increasing table (the torque curve), re-exported from [`crate::numerics`].
pub use crate::numerics::table::interp;
use crate::numerics::table::interp_walk;

use crate::error::{Error, Result};
use transfer::{fixed_point, AxleLaw};

/// Standard gravity (m/s²), CGPM 1901.
pub const G_MPS2: f64 = 9.80665;

/// Most gears a car file may have: validation refuses more, and the solver's tables size their per-gear
/// data by it.
pub const MAX_GEARS: usize = 12;
/// Highest speed at the rev limit in top gear accepted (m/s, 540 km/h): above any circuit car's gearing.
pub const MAX_GEARED_SPEED_MPS: f64 = 150.0;
/// Largest friction coefficient accepted: no tyre on a road surface grips much above 2; 3 catches typos.
pub const MAX_MU: f64 = 3.0;

/// The shares of the tyres' lateral grip, traction and braking capacity a driver uses, each in (0, 1].
/// Capacities are linear in them; drive and resistances are not affected.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Shares {
    grip: f64,
    traction: f64,
    brake: f64,
}

impl Shares {
    /// All of every capacity: the car as its parameters describe it.
    pub const FULL: Self = Self {
        grip: 1.0,
        traction: 1.0,
        brake: 1.0,
    };

    /// Checked shares: each must lie in (0, 1] (the solver relies on capacities that stay positive).
    pub fn new(grip: f64, traction: f64, brake: f64) -> Result<Self> {
        for (name, v) in [("grip", grip), ("traction", traction), ("brake", brake)] {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(Error::Option {
                    option: format!("{name} share"),
                    value: v.to_string(),
                    message: "must lie in (0, 1]".into(),
                });
            }
        }
        Ok(Self {
            grip,
            traction,
            brake,
        })
    }
    /// Share of the lateral grip.
    pub fn grip(&self) -> f64 {
        self.grip
    }
    /// Share of the traction capacity of the driven tyres.
    pub fn traction(&self) -> f64 {
        self.traction
    }
    /// Share of the braking capacity.
    pub fn brake(&self) -> f64 {
        self.brake
    }
}

/// A car whose parameters have been checked. Build with [`Car::new`] or [`Car::from_file`].
#[derive(Debug, Clone, PartialEq)]
pub struct Car {
    params: CarParams,
    source_name: String,
    /// Shares of the tyres' lateral, traction and braking capacity a driver uses (1 for the car itself).
    shares: Shares,
}

/// The best gear at a speed and what it gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drive {
    /// Gear, 1-based.
    pub gear: u8,
    /// Engine speed (rpm), at least the launch speed in first gear.
    pub engine_rpm: f64,
    /// Full-load force at the driven wheels (N).
    pub force_n: f64,
    /// Effective mass of the rotating parts in this gear (kg).
    pub rotating_mass_kg: f64,
}

impl Car {
    /// Reads and validates a car file (TOML).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|io| Error::Read {
            path: path.to_path_buf(),
            io,
        })?;
        Self::from_toml_str(&path.display().to_string(), &text)
    }

    /// Parses and validates car TOML; `source_name` names it in errors.
    pub fn from_toml_str(source_name: &str, text: &str) -> Result<Self> {
        let params: CarParams = toml::from_str(text).map_err(|e| Error::Parse {
            source_name: source_name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        Self::new(params, source_name)
    }

    /// Validates parameters built in code or read from a file.
    pub fn new(params: CarParams, source_name: &str) -> Result<Self> {
        validate(&params, source_name)?;
        Ok(Self {
            params,
            source_name: source_name.to_string(),
            shares: Shares::FULL,
        })
    }

    /// The same car driven by a driver who uses the given shares (0–1] of the tyres' lateral grip, traction
    /// and braking capacity: the capacities of the envelope are scaled by them.
    pub fn with_shares(&self, grip: f64, traction: f64, brake: f64) -> Result<Self> {
        let mut c = self.clone();
        c.shares = Shares::new(grip, traction, brake)?;
        Ok(c)
    }

    /// The same car with `fuel_kg` on board.
    pub fn with_fuel_kg(&self, fuel_kg: f64) -> Result<Self> {
        let mut p = self.params.clone();
        p.mass.fuel_kg = fuel_kg;
        let mut c = Self::new(p, &self.source_name)?;
        c.shares = self.shares;
        Ok(c)
    }

    /// Fuel burnt for `engine_work_j` of crank work (kg): work / (thermal efficiency × heating value).
    pub fn fuel_for_work_kg(&self, engine_work_j: f64) -> f64 {
        let e = &self.params.engine;
        engine_work_j / (e.brake_thermal_efficiency_ratio * e.fuel_heating_value_mjpkg * 1e6)
    }

    /// The validated parameters.
    pub fn params(&self) -> &CarParams {
        &self.params
    }
    /// The file (or name) the car came from.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }
    /// A short name for file names: the file stem.
    pub fn short_name(&self) -> String {
        Path::new(&self.source_name)
            .file_stem()
            .map_or_else(|| "car".into(), |s| s.to_string_lossy().into_owned())
    }

    /// Total mass: car, driver and fuel (kg).
    pub fn mass_kg(&self) -> f64 {
        let m = &self.params.mass;
        m.car_kg + m.driver_kg + m.fuel_kg
    }

    /// Dynamic pressure ½ρv² (Pa).
    fn dynamic_pressure_pa(&self, v_mps: f64) -> f64 {
        0.5 * self.params.aero.air_density_kgpm3 * v_mps * v_mps
    }

    /// Static-plus-aero axle loads (front, rear) at speed `v` on level ground (N).
    pub fn axle_loads_n(&self, v_mps: f64) -> (f64, f64) {
        let a = &self.params.aero;
        let w = self.mass_kg() * G_MPS2;
        let df = self.dynamic_pressure_pa(v_mps) * a.downforce_area_m2;
        let wf = self.params.chassis.front_weight_fraction;
        (
            w * wf + df * a.downforce_front_fraction,
            w * (1.0 - wf) + df * (1.0 - a.downforce_front_fraction),
        )
    }

    /// Grip of one axle (two wheels sharing `fz_axle_n`) with peak coefficient `mu0` (N).
    pub fn axle_grip_n(&self, fz_axle_n: f64, mu0: f64) -> f64 {
        self.axle_law(mu0).grip_n(fz_axle_n)
    }

    /// The axle law with peak coefficient `mu0`.
    fn axle_law(&self, mu0: f64) -> AxleLaw {
        let t = &self.params.tyres;
        AxleLaw::new(mu0, t.load_sensitivity_ratio, t.nominal_load_n)
    }

    /// Pure lateral tyre capacity of the car at speed `v` (N).
    pub fn lateral_capacity_n(&self, v_mps: f64) -> f64 {
        let (f, r) = self.axle_loads_n(v_mps);
        let mu = self.params.tyres.mu_lateral_ratio;
        self.shares.grip() * (self.axle_grip_n(f, mu) + self.axle_grip_n(r, mu))
    }

    fn transfer_per_n(&self) -> f64 {
        self.params.chassis.cg_height_m / self.params.chassis.wheelbase_m
    }

    /// Pure longitudinal traction capacity of the driven tyres at speed `v`, with load transfer (N).
    pub fn traction_capacity_n(&self, v_mps: f64) -> f64 {
        let (f, r) = self.axle_loads_n(v_mps);
        let mu = self.params.tyres.mu_longitudinal_ratio;
        let c = self.transfer_per_n();
        let law = self.axle_law(mu);
        self.shares.traction()
            * match self.params.driveline.driven_axle {
                DrivenAxle::Rear => fixed_point(&law, &[(r, c)]),
                DrivenAxle::Front => fixed_point(&law, &[(f, -c)]),
                DrivenAxle::All => fixed_point(&law, &[(f, -c), (r, c)]),
            }
    }

    /// Pure braking capacity of all four tyres at speed `v`, ideal brake balance, with load transfer (N).
    pub fn brake_capacity_n(&self, v_mps: f64) -> f64 {
        let (f, r) = self.axle_loads_n(v_mps);
        let mu = self.params.tyres.mu_longitudinal_ratio;
        let c = self.transfer_per_n();
        self.shares.brake() * fixed_point(&self.axle_law(mu), &[(f, c), (r, -c)])
    }

    /// Aerodynamic drag plus rolling resistance on level ground at speed `v` (N).
    pub fn resistance_n(&self, v_mps: f64) -> f64 {
        let (f, r) = self.axle_loads_n(v_mps);
        self.dynamic_pressure_pa(v_mps) * self.params.aero.drag_area_m2
            + self.params.tyres.rolling_resistance_ratio * (f + r)
    }

    /// Overall ratio (gear × final drive) of a 1-based gear.
    pub fn overall_ratio(&self, gear: u8) -> f64 {
        let d = &self.params.driveline;
        d.gear_ratios[usize::from(gear) - 1] * d.final_drive_ratio
    }

    /// Engine speed in `gear` at road speed `v`, without clutch slip (rpm).
    pub fn engine_rpm(&self, v_mps: f64, gear: u8) -> f64 {
        v_mps / self.params.tyres.dynamic_radius_m * self.overall_ratio(gear) * 60.0
            / std::f64::consts::TAU
    }

    /// Full-load torque at engine speed `rpm` (N·m), linear between curve points, clamped at the ends.
    pub fn torque_nm(&self, rpm: f64) -> f64 {
        let e = &self.params.engine;
        interp(&e.torque_curve_rpm, &e.torque_curve_nm, rpm)
    }

    /// Full-load drive in `gear` at speed `v`, ignoring the rev limit (the torque curve is held at its last
    /// point); clutch slip holds the engine at `launch_rpm` in first gear.
    pub fn drive_in_gear(&self, v_mps: f64, gear: u8) -> Drive {
        self.drive_in_gear_with(v_mps, gear, &mut |_, rpm| self.torque_nm(rpm))
    }

    /// [`Self::drive_in_gear`] from the engine speed the wheels turn it at in that gear (`engine_rpm`), the
    /// full-load torque from `torque(gear, rpm)` ([`Self::torque_nm`], or a walk along the curve that gives
    /// the same values: [`Self::envelope_nodes`]).
    fn drive_at_wheel_rpm(
        &self,
        wheel_rpm: f64,
        gear: u8,
        torque: &mut impl FnMut(u8, f64) -> f64,
    ) -> Drive {
        let (rpm, force_n, slipping) = self.drive_force(wheel_rpm, gear, torque);
        self.drive_of(gear, rpm, force_n, slipping)
    }

    /// The engine speed, the full-load wheel force (N) and whether the clutch slips, of
    /// [`Self::drive_at_wheel_rpm`].
    #[inline]
    fn drive_force(
        &self,
        wheel_rpm: f64,
        gear: u8,
        torque: &mut impl FnMut(u8, f64) -> f64,
    ) -> (f64, f64, bool) {
        let p = &self.params;
        // While the clutch slips at launch the engine runs at constant speed.
        let slipping = gear == 1 && wheel_rpm < p.engine.launch_rpm;
        let rpm = if slipping {
            p.engine.launch_rpm
        } else {
            wheel_rpm
        };
        let ratio = self.overall_ratio(gear);
        let force_n =
            torque(gear, rpm) * ratio * p.driveline.efficiency_ratio / p.tyres.dynamic_radius_m;
        (rpm, force_n, slipping)
    }

    /// The [`Drive`] in `gear` with the engine at `rpm`, the wheel force `force_n` and the clutch
    /// `slipping` ([`Self::drive_force`]): its rotating parts' effective mass.
    fn drive_of(&self, gear: u8, rpm: f64, force_n: f64, slipping: bool) -> Drive {
        let p = &self.params;
        let r = p.tyres.dynamic_radius_m;
        let ratio = self.overall_ratio(gear);
        // A slipping clutch does not accelerate the engine's inertia.
        let engine_side = if slipping {
            0.0
        } else {
            p.engine.inertia_kgm2 * ratio * ratio
        };
        Drive {
            gear,
            engine_rpm: rpm,
            force_n,
            rotating_mass_kg: (engine_side + p.driveline.wheel_inertia_kgm2) / (r * r),
        }
    }

    /// The gear with the largest full-load wheel force at speed `v` within the rev limit (gears above first
    /// must also be above the curve's lowest speed); `None` above the top gear's rev limit.
    pub fn best_drive(&self, v_mps: f64) -> Option<Drive> {
        self.best_drive_with(v_mps, &mut |_, rpm| self.torque_nm(rpm))
    }

    /// [`Self::best_drive`] with the torque from `torque(gear, rpm)` (see [`Self::drive_at_wheel_rpm`]).
    pub(crate) fn best_drive_with(
        &self,
        v_mps: f64,
        torque: &mut impl FnMut(u8, f64) -> f64,
    ) -> Option<Drive> {
        let p = &self.params;
        // The best so far: gear, engine speed, wheel force, clutch slipping.
        let mut best: Option<(u8, f64, f64, bool)> = None;
        for g in 1..=p.driveline.gear_ratios.len() as u8 {
            let rpm = self.engine_rpm(v_mps, g);
            if rpm > p.engine.rev_limit_rpm * (1.0 + 1e-12)
                || (g > 1 && rpm < p.engine.torque_curve_rpm[0])
            {
                continue;
            }
            let (rpm, force_n, slipping) = self.drive_force(rpm, g, torque);
            if best.is_none_or(|(_, _, f, _)| force_n > f) {
                best = Some((g, rpm, force_n, slipping));
            }
        }
        best.map(|(g, rpm, force_n, slipping)| self.drive_of(g, rpm, force_n, slipping))
    }

    /// Road speed at the rev limit in top gear (m/s).
    pub fn rev_limited_speed_mps(&self) -> f64 {
        let p = &self.params;
        let top = p.driveline.gear_ratios.len() as u8;
        p.engine.rev_limit_rpm * std::f64::consts::TAU / 60.0 * p.tyres.dynamic_radius_m
            / self.overall_ratio(top)
    }

    /// A drive's terms in the force law: `[drive, rot_ratio]`, the full-load drive over the mass with the
    /// rotating parts (m/s²) and the share of the mass that is not rotating parts (the factor on the
    /// resistance's deceleration), so that the engine-limited acceleration is `drive − load · rot_ratio`.
    pub fn drive_terms(&self, d: &Drive) -> [f64; 2] {
        let m = self.mass_kg();
        [
            d.force_n / (m + d.rotating_mass_kg),
            m / (m + d.rotating_mass_kg),
        ]
    }

    /// The exact (not tabulated) envelope at speed `v`: what [`Envelope`] tabulates. Above the rev-limited
    /// top speed the top gear's drive is extrapolated (torque held at the curve's last point), so that
    /// interpolation just below the limit is exact; the solver never goes beyond it.
    pub fn envelope_node(&self, v_mps: f64) -> EnvelopeNode {
        self.envelope_node_with(v_mps, &mut |_, rpm| self.torque_nm(rpm))
    }

    /// [`Self::envelope_node`] at the speeds `√(k du)`, `k = 0..n`, bit for bit: what [`Envelope::new`]
    /// tabulates. A gear's engine speed rises with `k`, so each gear walks the torque curve with a cursor
    /// ([`interp_walk`]: the same segment as the search of [`Self::torque_nm`], so the same value) instead of
    /// searching it at every node and gear.
    pub(crate) fn envelope_nodes(&self, n: usize, du_m2ps2: f64) -> Vec<EnvelopeNode> {
        let mut torque = self.torque_walk();
        (0..n)
            .map(|k| self.envelope_node_with((k as f64 * du_m2ps2).sqrt(), &mut torque))
            .collect()
    }

    /// [`Self::torque_nm`] as `torque(gear, rpm)` for look-ups at rising engine speeds in each gear: a
    /// cursor a gear walks the curve ([`interp_walk`]), with the search's values bit for bit.
    pub(crate) fn torque_walk(&self) -> impl FnMut(u8, f64) -> f64 + '_ {
        let e = &self.params.engine;
        let mut cursors = [0usize; MAX_GEARS + 1];
        move |g: u8, rpm: f64| {
            interp_walk(
                &e.torque_curve_rpm,
                &e.torque_curve_nm,
                rpm,
                &mut cursors[usize::from(g)],
            )
        }
    }

    /// [`Self::drive_in_gear`] with the torque from `torque(gear, rpm)` (see [`Self::drive_at_wheel_rpm`]).
    pub(crate) fn drive_in_gear_with(
        &self,
        v_mps: f64,
        gear: u8,
        torque: &mut impl FnMut(u8, f64) -> f64,
    ) -> Drive {
        self.drive_at_wheel_rpm(self.engine_rpm(v_mps, gear), gear, torque)
    }

    /// [`Self::envelope_node`] with the torque from `torque(gear, rpm)` (see [`Self::drive_at_wheel_rpm`]).
    fn envelope_node_with(
        &self,
        v_mps: f64,
        torque: &mut impl FnMut(u8, f64) -> f64,
    ) -> EnvelopeNode {
        let m = self.mass_kg();
        let top = self.params.driveline.gear_ratios.len() as u8;
        let d = self
            .best_drive_with(v_mps, torque)
            .unwrap_or_else(|| self.drive_in_gear_with(v_mps, top, torque));
        let ay_max_mps2 = self.lateral_capacity_n(v_mps) / m;
        EnvelopeNode {
            ay_max_mps2,
            inv_ay_max_s2pm: 1.0 / ay_max_mps2,
            ax_traction_mps2: self.traction_capacity_n(v_mps) / m,
            ax_brake_mps2: self.brake_capacity_n(v_mps) / m,
            drive_mps2: self.drive_terms(&d)[0],
            rot_ratio: self.drive_terms(&d)[1],
            resist_mps2: self.resistance_n(v_mps) / m,
            gear: f64::from(d.gear),
        }
    }
}

fn validate(p: &CarParams, source: &str) -> Result<()> {
    let bad = |field: &str, value: String, message: &str| -> Result<()> {
        Err(Error::Parameter {
            source_name: source.to_string(),
            field: field.to_string(),
            value,
            message: message.to_string(),
        })
    };
    let range = |field: &str, v: f64, lo: f64, hi: f64, open_lo: bool, why: &str| -> Result<()> {
        let ok = v.is_finite() && if open_lo { v > lo } else { v >= lo } && v <= hi;
        if ok {
            Ok(())
        } else {
            let lo_s = if open_lo { "(" } else { "[" };
            bad(
                field,
                v.to_string(),
                &format!("must be a finite number in {lo_s}{lo}, {hi}]: {why}"),
            )
        }
    };
    if p.name.trim().is_empty() {
        bad("name", "\"\"".into(), "must not be empty")?;
    }
    let m = &p.mass;
    range(
        "mass.car_kg",
        m.car_kg,
        100.0,
        10_000.0,
        false,
        "a car weighs between 100 kg and 10 t",
    )?;
    range(
        "mass.driver_kg",
        m.driver_kg,
        0.0,
        250.0,
        false,
        "a driver with kit",
    )?;
    range(
        "mass.fuel_tank_kg",
        m.fuel_tank_kg,
        0.0,
        1_000.0,
        true,
        "the fuel a full tank holds",
    )?;
    range(
        "mass.fuel_kg",
        m.fuel_kg,
        0.0,
        m.fuel_tank_kg,
        false,
        "fuel on board, at most a full tank (mass.fuel_tank_kg)",
    )?;

    let e = &p.engine;
    if e.torque_curve_rpm.len() < 2 || e.torque_curve_rpm.len() != e.torque_curve_nm.len() {
        bad(
            "engine.torque_curve_rpm",
            format!("{} points", e.torque_curve_rpm.len()),
            &format!(
                "needs at least 2 points and as many as engine.torque_curve_nm ({})",
                e.torque_curve_nm.len()
            ),
        )?;
    }
    for (i, (&n, &t)) in e
        .torque_curve_rpm
        .iter()
        .zip(&e.torque_curve_nm)
        .enumerate()
    {
        range(
            &format!("engine.torque_curve_rpm[{i}]"),
            n,
            0.0,
            30_000.0,
            true,
            "engine speed",
        )?;
        range(
            &format!("engine.torque_curve_nm[{i}]"),
            t,
            0.0,
            20_000.0,
            false,
            "full-load torque",
        )?;
        if i > 0 && n <= e.torque_curve_rpm[i - 1] {
            bad(
                &format!("engine.torque_curve_rpm[{i}]"),
                n.to_string(),
                &format!(
                    "engine speeds must be strictly increasing (previous point is {} rpm)",
                    e.torque_curve_rpm[i - 1]
                ),
            )?;
        }
    }
    let (n_min, n_max) = (
        e.torque_curve_rpm[0],
        e.torque_curve_rpm[e.torque_curve_rpm.len() - 1],
    );
    range(
        "engine.rev_limit_rpm",
        e.rev_limit_rpm,
        n_min,
        n_max,
        true,
        "the torque curve must cover the rev limit",
    )?;
    range(
        "engine.launch_rpm",
        e.launch_rpm,
        n_min,
        e.rev_limit_rpm,
        false,
        "between the curve's first point and the rev limit",
    )?;
    range(
        "engine.brake_thermal_efficiency_ratio",
        e.brake_thermal_efficiency_ratio,
        0.1,
        0.5,
        false,
        "petrol engines turn 25–40 % of the fuel's heat into work",
    )?;
    range(
        "engine.fuel_heating_value_mjpkg",
        e.fuel_heating_value_mjpkg,
        20.0,
        60.0,
        false,
        "petrol ≈ 43 MJ/kg, ethanol ≈ 27 MJ/kg",
    )?;
    range(
        "engine.inertia_kgm2",
        e.inertia_kgm2,
        0.0,
        10.0,
        false,
        "engine-side rotating inertia",
    )?;
    let peak_power_w = e
        .torque_curve_rpm
        .iter()
        .zip(&e.torque_curve_nm)
        .filter(|(n, _)| **n <= e.rev_limit_rpm)
        .map(|(n, t)| n * std::f64::consts::TAU / 60.0 * t)
        .fold(0.0, f64::max);
    if peak_power_w <= 0.0 {
        bad(
            "engine.torque_curve_nm",
            "all zero".into(),
            "the engine has no power below the rev limit",
        )?;
    }

    let d = &p.driveline;
    if d.gear_ratios.is_empty() || d.gear_ratios.len() > MAX_GEARS {
        bad(
            "driveline.gear_ratios",
            format!("{} gears", d.gear_ratios.len()),
            &format!("needs 1 to {MAX_GEARS} gears"),
        )?;
    }
    for (i, &g) in d.gear_ratios.iter().enumerate() {
        range(
            &format!("driveline.gear_ratios[{i}]"),
            g,
            0.0,
            20.0,
            true,
            "a gear ratio",
        )?;
        if i > 0 && g >= d.gear_ratios[i - 1] {
            bad(
                &format!("driveline.gear_ratios[{i}]"),
                g.to_string(),
                &format!(
                    "gear ratios must be strictly decreasing from first to top gear (previous is {})",
                    d.gear_ratios[i - 1]
                ),
            )?;
        }
    }
    range(
        "driveline.final_drive_ratio",
        d.final_drive_ratio,
        0.0,
        20.0,
        true,
        "a final drive ratio",
    )?;
    range(
        "driveline.shift_time_s",
        d.shift_time_s,
        0.0,
        2.0,
        false,
        "time without drive per upshift",
    )?;
    range(
        "driveline.efficiency_ratio",
        d.efficiency_ratio,
        0.0,
        1.0,
        true,
        "a share of engine power",
    )?;
    range(
        "driveline.wheel_inertia_kgm2",
        d.wheel_inertia_kgm2,
        0.0,
        100.0,
        false,
        "four wheels' inertia",
    )?;

    // The top gear must not gear the car beyond any circuit speed (it also bounds the envelope table).
    let last = d.gear_ratios.len().saturating_sub(1);
    if let Some(&top) = d.gear_ratios.last() {
        let v_top = e.rev_limit_rpm * std::f64::consts::TAU / 60.0 * p.tyres.dynamic_radius_m
            / (top * d.final_drive_ratio);
        if v_top > MAX_GEARED_SPEED_MPS {
            bad(
                &format!("driveline.gear_ratios[{last}]"),
                top.to_string(),
                &format!(
                    "gears the car for {:.0} km/h at the rev limit in top gear; circuit cars reach at most \
                     ~400 km/h (limit {:.0} km/h)",
                    v_top * 3.6,
                    MAX_GEARED_SPEED_MPS * 3.6
                ),
            )?;
        }
    }

    let c = &p.chassis;
    range(
        "chassis.wheelbase_m",
        c.wheelbase_m,
        0.5,
        6.0,
        true,
        "a car's wheelbase",
    )?;
    range(
        "chassis.cg_height_m",
        c.cg_height_m,
        0.0,
        2.0,
        true,
        "a centre of gravity above the ground",
    )?;
    range(
        "chassis.front_weight_fraction",
        c.front_weight_fraction,
        0.0,
        1.0,
        true,
        "a share of the weight",
    )?;
    if c.front_weight_fraction >= 1.0 {
        bad(
            "chassis.front_weight_fraction",
            "1".into(),
            "the rear axle must carry some weight",
        )?;
    }
    range(
        "chassis.width_m",
        c.width_m,
        0.5,
        3.0,
        true,
        "a car's width",
    )?;

    let t = &p.tyres;
    range(
        "tyres.dynamic_radius_m",
        t.dynamic_radius_m,
        0.1,
        1.0,
        true,
        "a tyre's rolling radius",
    )?;
    range(
        "tyres.mu_longitudinal_ratio",
        t.mu_longitudinal_ratio,
        0.0,
        MAX_MU,
        true,
        "tyres on a road surface grip up to about 2",
    )?;
    range(
        "tyres.mu_lateral_ratio",
        t.mu_lateral_ratio,
        0.0,
        MAX_MU,
        true,
        "tyres on a road surface grip up to about 2",
    )?;
    range(
        "tyres.load_sensitivity_ratio",
        t.load_sensitivity_ratio,
        0.0,
        0.5,
        false,
        "μ must stay positive at three times the nominal load",
    )?;
    if t.load_sensitivity_ratio >= 0.5 {
        bad(
            "tyres.load_sensitivity_ratio",
            t.load_sensitivity_ratio.to_string(),
            "must be below 0.5",
        )?;
    }
    range(
        "tyres.nominal_load_n",
        t.nominal_load_n,
        0.0,
        100_000.0,
        true,
        "a wheel load",
    )?;
    range(
        "tyres.rolling_resistance_ratio",
        t.rolling_resistance_ratio,
        0.0,
        0.1,
        false,
        "a rolling resistance coefficient",
    )?;

    let a = &p.aero;
    range(
        "aero.drag_area_m2",
        a.drag_area_m2,
        0.0,
        10.0,
        false,
        "c_D·A of a car",
    )?;
    range(
        "aero.downforce_area_m2",
        a.downforce_area_m2,
        0.0,
        20.0,
        false,
        "c_L·A of a car (downforce positive)",
    )?;
    range(
        "aero.downforce_front_fraction",
        a.downforce_front_fraction,
        0.0,
        1.0,
        false,
        "a share of the downforce",
    )?;
    range(
        "aero.air_density_kgpm3",
        a.air_density_kgpm3,
        0.5,
        1.5,
        false,
        "air from high altitude to a cold day",
    )?;

    // The load-transfer fixed points are contractions only if μ_max h / L < 1; otherwise the point mass would
    // stand on its nose under braking or lift its front wheels under traction.
    let mu_max = t.mu_longitudinal_ratio * (1.0 + t.load_sensitivity_ratio);
    let tip = mu_max * c.cg_height_m / c.wheelbase_m;
    if tip >= 0.9 {
        bad(
            "chassis.cg_height_m",
            c.cg_height_m.to_string(),
            &format!(
                "μ h / L = {tip:.2}: the car would tip over under braking (must be below 0.9)"
            ),
        )?;
    }
    Ok(())
}
