//! Engineering studies: laps of variants of a car, each varying numeric fields of the car file by their TOML
//! path (`mass.car_kg`, `driveline.gear_ratios[5]`). Every variant is validated as a car file would be
//! before any lap is run; the laps run in parallel (rayon), each on the same track (the path driven is held
//! fixed: the caller computes it once for the base car, unless it asks for a line per variant).
//!
//! This module holds what every study shares: the settings and their variants, and the edits of a car
//! file's fields. The studies are [`sweep`](mod@sweep), [`sensitivity`], [`optimise`] (the gearing that minimises the
//! lap) and [`shard`] (a sweep split into deterministic slices, and their merge).

pub mod optimise;
pub mod sensitivity;
pub mod shard;
pub mod sweep;

pub use sensitivity::{sensitivities, Sensitivity};
pub use sweep::{sweep, SweepRow};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::vehicle::Car;

/// Most variants one study may have.
pub const MAX_VARIANTS: usize = 1_000_000;

/// One varied field: its TOML path and the values it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// Path in the car file: dotted keys, an index in brackets for an array element.
    pub path: String,
    /// Values, in order.
    pub values: Vec<f64>,
}

impl Setting {
    /// Parses `PATH=FROM:TO:N` (N evenly spaced values, N ≥ 2) or `PATH=V1,V2,...`.
    pub fn parse(spec: &str) -> Result<Self> {
        let bad = |message: &str| Error::Option {
            option: "--set".into(),
            value: spec.into(),
            message: message.into(),
        };
        let (path, range) = spec
            .split_once('=')
            .ok_or_else(|| bad("expected PATH=FROM:TO:N or PATH=V1,V2,..."))?;
        let path = path.trim();
        if path.is_empty() {
            return Err(bad("no path before `=`"));
        }
        let num = |t: &str| -> Result<f64> {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(&format!("`{t}` is not a finite number")))
        };
        let values = if range.contains(':') {
            let parts: Vec<&str> = range.split(':').collect();
            if parts.len() != 3 {
                return Err(bad("a range is FROM:TO:N"));
            }
            let (from, to) = (num(parts[0])?, num(parts[1])?);
            let n: usize = parts[2]
                .trim()
                .parse()
                .map_err(|_| bad("N must be a whole number"))?;
            if !(2..=MAX_VARIANTS).contains(&n) {
                return Err(bad(&format!("N must lie in [2, {MAX_VARIANTS}]")));
            }
            (0..n)
                .map(|k| from + (to - from) * k as f64 / (n - 1) as f64)
                .collect()
        } else {
            range.split(',').map(num).collect::<Result<Vec<f64>>>()?
        };
        if values.is_empty() {
            return Err(bad("no values"));
        }
        Ok(Self {
            path: path.to_string(),
            values,
        })
    }
}

/// The value at `path` (dotted keys, `[N]` for an array element) in a parsed car file; an unknown path is
/// an error naming the missing part.
pub(crate) fn node_at<'a>(
    doc: &'a mut toml::Value,
    path: &str,
) -> std::result::Result<&'a mut toml::Value, String> {
    let mut node = doc;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => {
                let i: usize = rest
                    .strip_suffix(']')
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(|| format!("`{part}`: an index is written [N]"))?;
                (k, Some(i))
            }
            None => (part, None),
        };
        node = node
            .get_mut(key)
            .ok_or_else(|| format!("no key `{key}` in the car file"))?;
        if let Some(i) = index {
            let len = node.as_array().map_or(0, Vec::len);
            node = node
                .get_mut(i)
                .ok_or_else(|| format!("`{key}` has no element [{i}] (it has {len})"))?;
        }
    }
    Ok(node)
}

/// The number at `path` in a car file's text, if there is one (for marking the base car of a study).
pub fn field_value(base_text: &str, path: &str) -> Option<f64> {
    let mut doc: toml::Value = toml::from_str(base_text).ok()?;
    let node = node_at(&mut doc, path).ok()?;
    node.as_float()
        .or_else(|| node.as_integer().map(|i| i as f64))
}

/// Sets the number at `path` in a parsed car file; an unknown path, or one to something other than a
/// number, is an error naming it.
fn set_path(doc: &mut toml::Value, path: &str, v: f64) -> std::result::Result<(), String> {
    let node = node_at(doc, path)?;
    if !(node.is_float() || node.is_integer()) {
        return Err("not a number in the car file".into());
    }
    *node = if node.is_integer() && v.fract() == 0.0 && v.abs() < 9e15 {
        toml::Value::Integer(v as i64)
    } else {
        toml::Value::Float(v)
    };
    Ok(())
}

/// The variants of a study: the full product of the settings' values, the last setting varying fastest.
pub fn variants(settings: &[Setting]) -> Result<Vec<Vec<f64>>> {
    let count = settings
        .iter()
        .try_fold(1usize, |n, s| n.checked_mul(s.values.len()))
        .filter(|&n| n <= MAX_VARIANTS)
        .ok_or_else(|| Error::Option {
            option: "--set".into(),
            value: format!("{} settings", settings.len()),
            message: format!("more than {MAX_VARIANTS} variants"),
        })?;
    Ok((0..count)
        .map(|mut k| {
            let mut v = vec![0.0; settings.len()];
            for (j, s) in settings.iter().enumerate().rev() {
                v[j] = s.values[k % s.values.len()];
                k /= s.values.len();
            }
            v
        })
        .collect())
}

/// The base car file's text, parsed.
pub fn parse_base(base_text: &str, source_name: &str) -> Result<toml::Value> {
    toml::from_str(base_text).map_err(|e| Error::Parse {
        source_name: source_name.into(),
        message: e.to_string().trim_end().into(),
    })
}

/// The car of one variant: the base car file's text with the settings' paths set to `values`, validated as
/// a car file. Errors name the variant and the field.
pub fn variant_car(
    base_text: &str,
    source_name: &str,
    settings: &[Setting],
    values: &[f64],
) -> Result<Car> {
    variant_car_of(
        &parse_base(base_text, source_name)?,
        source_name,
        settings,
        values,
    )
}

/// [`variant_car`] from the parsed base file (parsed once for a whole study): the edited document is
/// deserialised directly, without a round trip through text.
pub fn variant_car_of(
    base: &toml::Value,
    source_name: &str,
    settings: &[Setting],
    values: &[f64],
) -> Result<Car> {
    let mut doc = base.clone();
    let name = settings
        .iter()
        .zip(values)
        .map(|(s, v)| format!("{}={v}", s.path))
        .collect::<Vec<_>>()
        .join(", ");
    for (s, &v) in settings.iter().zip(values) {
        set_path(&mut doc, &s.path, v).map_err(|message| Error::Option {
            option: "--set".into(),
            value: s.path.clone(),
            message,
        })?;
    }
    let source_name = format!("{source_name} (variant {name})");
    let params = doc.try_into().map_err(|e: toml::de::Error| Error::Parse {
        source_name: source_name.clone(),
        message: e.to_string().trim_end().into(),
    })?;
    Car::new(params, &source_name)
}

/// The numeric fields of a car file, as paths: every number, and every array of numbers as one field
/// scaled as a whole (`engine.torque_curve_nm[*]`: the engine's torque, so its power, at every speed;
/// `driveline.gear_ratios[*]`: all gears). The torque curve's speeds are a shape, not a parameter: left out.
pub fn numeric_fields(base_text: &str) -> Result<Vec<String>> {
    let doc: toml::Value = toml::from_str(base_text).map_err(|e| Error::Parse {
        source_name: "car file".into(),
        message: e.to_string().trim_end().into(),
    })?;
    let mut out = Vec::new();
    if let Some(t) = doc.as_table() {
        for (section, v) in t {
            let Some(fields) = v.as_table() else { continue };
            for (key, v) in fields {
                let path = format!("{section}.{key}");
                match v {
                    toml::Value::Float(_) | toml::Value::Integer(_) => out.push(path),
                    toml::Value::Array(a)
                        if !a.is_empty()
                            && a.iter().all(|x| x.is_float() || x.is_integer())
                            && path != "engine.torque_curve_rpm" =>
                    {
                        out.push(format!("{path}[*]"))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(out)
}

/// The base car file with the field at `path` (a number, or an array as `[*]`) multiplied by `factor`,
/// validated as a car file.
pub fn scaled_car(base_text: &str, source_name: &str, path: &str, factor: f64) -> Result<Car> {
    let mut doc: toml::Value = toml::from_str(base_text).map_err(|e| Error::Parse {
        source_name: source_name.into(),
        message: e.to_string().trim_end().into(),
    })?;
    let node =
        node_at(&mut doc, path.trim_end_matches("[*]")).map_err(|message| Error::Option {
            option: "field".into(),
            value: path.into(),
            message,
        })?;
    let scale = |x: &mut toml::Value| {
        if let Some(v) = x.as_float().or_else(|| x.as_integer().map(|i| i as f64)) {
            *x = toml::Value::Float(v * factor);
        }
    };
    match node {
        toml::Value::Array(a) => a.iter_mut().for_each(scale),
        other => scale(other),
    }
    let text = toml::to_string(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    Car::from_toml_str(&format!("{source_name} ({path} × {factor})"), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_bad_ones_are_errors() {
        let s = Setting::parse("mass.car_kg=1100:1200:3").unwrap();
        assert_eq!(s.values, vec![1100.0, 1150.0, 1200.0]);
        let s = Setting::parse("driveline.gear_ratios[5]=0.8,0.9").unwrap();
        assert_eq!(s.path, "driveline.gear_ratios[5]");
        for bad in [
            "mass.car_kg",
            "=1:2:3",
            "a=1:2",
            "a=1:2:1",
            "a=1:2:x",
            "a=x",
            "a=1:2:99999999",
        ] {
            assert!(Setting::parse(bad).is_err(), "{bad}");
        }
        let v = variants(&[
            Setting::parse("a=1,2").unwrap(),
            Setting::parse("b=10,20,30").unwrap(),
        ])
        .unwrap();
        assert_eq!(v.len(), 6);
        assert_eq!(v[1], vec![1.0, 20.0]);
    }

    #[test]
    fn variant_cars_are_validated_and_paths_checked() {
        let text = include_str!("../../cars/porsche_997_gt3_cup.toml");
        let set = |spec: &str| vec![Setting::parse(spec).unwrap()];
        let car = variant_car(text, "gt3", &set("mass.car_kg=1200"), &[1200.0]).unwrap();
        assert_eq!(car.params().mass.car_kg, 1200.0);
        let car = variant_car(text, "gt3", &set("driveline.gear_ratios[5]=0.9"), &[0.9]).unwrap();
        assert_eq!(car.params().driveline.gear_ratios[5], 0.9);
        // An unknown path, a path to a non-number, an index past the array, an invalid value.
        for (spec, v, words) in [
            ("mass.car_kgg=1", 1.0, "no key `car_kgg`"),
            ("name=1", 1.0, "not a number"),
            ("driveline.gear_ratios[9]=1", 1.0, "no element [9]"),
            ("mass.car_kg=-5", -5.0, "mass.car_kg"),
        ] {
            let e = variant_car(text, "gt3", &set(spec), &[v])
                .unwrap_err()
                .to_string();
            assert!(e.contains(words), "{spec}: {e}");
        }
    }
}
