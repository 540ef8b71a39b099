//! Car parameters as they appear in a car file (TOML), and their validation.
//!
//! A car file deserialises into [`CarParams`] (`deny_unknown_fields` at every level, so a misspelt key is an
//! error, not a silent default; no field has a default). [`Car::new`](super::Car::new) checks every number once;
//! the solver never sees an unchecked value. Units are in the field names (`_kg`, `_rpm`, `_nm`, `_m`,
//! `_m2`, `_kgm2`, `_kgpm3`, `_s`, `_n`); `_ratio` and `_fraction` are dimensionless.

use serde::{Deserialize, Serialize};

/// All parameters of a car.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarParams {
    /// Display name.
    pub name: String,
    /// Masses.
    pub mass: MassParams,
    /// Engine.
    pub engine: EngineParams,
    /// Gearbox, final drive and driven axle.
    pub driveline: DrivelineParams,
    /// Dimensions and weight distribution.
    pub chassis: ChassisParams,
    /// Tyres.
    pub tyres: TyreParams,
    /// Aerodynamics.
    pub aero: AeroParams,
}

/// Masses; the solver uses their sum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MassParams {
    /// Car without driver and fuel (kg).
    pub car_kg: f64,
    /// Driver with helmet and suit (kg).
    pub driver_kg: f64,
    /// Fuel on board (kg): what a single lap (`lapsim run`) carries; sessions take theirs from the event.
    pub fuel_kg: f64,
    /// Fuel the tank holds when full (kg): no session may start with more.
    pub fuel_tank_kg: f64,
}

/// Engine full-load curve and speed limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineParams {
    /// Engine speeds of the full-load curve (rpm), strictly increasing.
    pub torque_curve_rpm: Vec<f64>,
    /// Full-load torque at those speeds (N·m), linearly interpolated.
    pub torque_curve_nm: Vec<f64>,
    /// Rev limiter (rpm); the curve must reach it.
    pub rev_limit_rpm: f64,
    /// Engine speed held by slipping the clutch when launching in first gear (rpm).
    pub launch_rpm: f64,
    /// Rotating inertia on the engine side of the gearbox: crank, flywheel, clutch, gearbox input (kg·m²).
    pub inertia_kgm2: f64,
    /// Share of the fuel's heat the engine turns into crank work at racing loads.
    pub brake_thermal_efficiency_ratio: f64,
    /// Lower heating value of the fuel (MJ/kg).
    pub fuel_heating_value_mjpkg: f64,
}

/// Which axle is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DrivenAxle {
    /// Front-wheel drive.
    Front,
    /// Rear-wheel drive.
    Rear,
    /// Four-wheel drive (ideal torque split).
    All,
}

/// Gearbox and final drive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrivelineParams {
    /// Driven axle.
    pub driven_axle: DrivenAxle,
    /// Gear ratios, first to top, strictly decreasing (engine turns per gearbox output turn).
    pub gear_ratios: Vec<f64>,
    /// Final drive ratio.
    pub final_drive_ratio: f64,
    /// Time without drive at each upshift (s).
    pub shift_time_s: f64,
    /// Share of engine power reaching the driven wheels.
    pub efficiency_ratio: f64,
    /// Rotating inertia of all four wheels with tyres, hubs, brake discs and drive shafts (kg·m²).
    pub wheel_inertia_kgm2: f64,
}

/// Dimensions and weight distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChassisParams {
    /// Wheelbase (m).
    pub wheelbase_m: f64,
    /// Height of the centre of gravity above the ground (m).
    pub cg_height_m: f64,
    /// Static share of the weight on the front axle.
    pub front_weight_fraction: f64,
    /// Overall width of the car (m); bounds the racing line.
    pub width_m: f64,
}

/// Tyres. Friction model per wheel: `μ(Fz) = μ₀ (1 − k (Fz − Fz₀) / Fz₀)` (linear load sensitivity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TyreParams {
    /// Dynamic rolling radius of the driven tyres (m).
    pub dynamic_radius_m: f64,
    /// Peak longitudinal friction coefficient μ₀ at the nominal load.
    pub mu_longitudinal_ratio: f64,
    /// Peak lateral friction coefficient μ₀ at the nominal load.
    pub mu_lateral_ratio: f64,
    /// Load sensitivity k: relative fall of μ per nominal load of extra vertical load.
    pub load_sensitivity_ratio: f64,
    /// Nominal vertical load per wheel Fz₀ at which μ₀ holds (N).
    pub nominal_load_n: f64,
    /// Rolling resistance coefficient (rolling resistance force / vertical load).
    pub rolling_resistance_ratio: f64,
}

/// Aerodynamics; forces ∝ v².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AeroParams {
    /// Drag coefficient times frontal area, c_D·A (m²).
    pub drag_area_m2: f64,
    /// Lift coefficient times frontal area for downforce, c_L·A (m²), ≥ 0.
    pub downforce_area_m2: f64,
    /// Share of the downforce on the front axle.
    pub downforce_front_fraction: f64,
    /// Air density (kg/m³).
    pub air_density_kgpm3: f64,
}
