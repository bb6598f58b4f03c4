//! Scores in their metric's units, and POI amounts, both ways.

use anyhow::{bail, Result};
use poi_primitives::{Direction, Score};

/// Decimal places of POI.
const DECIMALS: u32 = 12;

/// `value / 10^decimals` as a decimal, trailing zeros trimmed.
fn decimal(value: u128, decimals: u32) -> String {
	let scale = 10u128.pow(decimals);
	let (whole, fraction) = (value / scale, value % scale);
	if fraction == 0 {
		return whole.to_string();
	}
	let digits = format!("{fraction:0width$}", width = decimals as usize);
	format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A decimal with at most `decimals` places as an integer of `10^-decimals`.
fn parse_decimal(text: &str, decimals: u32) -> Result<u128> {
	let text = text.trim();
	let (whole, fraction) = match text.split_once('.') {
		Some((whole, fraction)) => (whole, Some(fraction)),
		None => (text, None),
	};
	let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
	if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
		bail!("\"{text}\" is not a decimal number");
	}
	let fraction = fraction.unwrap_or("");
	if fraction.len() > decimals as usize {
		bail!("\"{text}\" has more than {decimals} decimal places");
	}
	let padded = format!("{fraction:0<width$}", width = decimals as usize);
	let scale = 10u128.pow(decimals);
	whole
		.parse::<u128>()
		.ok()
		.and_then(|w| w.checked_mul(scale))
		.and_then(|w| w.checked_add(if decimals == 0 { 0 } else { padded.parse().ok()? }))
		.ok_or_else(|| anyhow::anyhow!("\"{text}\" is too large"))
}

/// `planck` as POI (`12.5 POI`).
pub fn poi(planck: u128) -> String {
	format!("{} POI", decimal(planck, DECIMALS))
}

/// A POI amount (`100`, `0.25`) in planck.
pub fn parse_poi(text: &str) -> Result<u128> {
	parse_decimal(text.trim().trim_end_matches("POI").trim(), DECIMALS)
}

/// A score in its metric's units: un-negated for a minimised metric, divided by 10^scale.
pub fn metric(score: Score, direction: Direction, scale: u8) -> String {
	let value = match direction {
		Direction::Maximize => score,
		Direction::Minimize => score.checked_neg().unwrap_or(Score::MAX),
	};
	let sign = if value < 0 { "-" } else { "" };
	format!("{sign}{}", decimal(value.unsigned_abs(), u32::from(scale)))
}

/// A value in the metric's units (`4.4698`) as a score.
pub fn parse_metric(text: &str, direction: Direction, scale: u8) -> Result<Score> {
	let text = text.trim();
	let (negative, magnitude) = match text.strip_prefix('-') {
		Some(rest) => (true, rest),
		None => (false, text),
	};
	let value = Score::try_from(parse_decimal(magnitude, u32::from(scale))?)
		.map_err(|_| anyhow::anyhow!("\"{text}\" is too large"))?;
	let value = if negative { -value } else { value };
	Ok(match direction {
		Direction::Maximize => value,
		Direction::Minimize => -value,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	const UNIT: u128 = 1_000_000_000_000;

	#[test]
	fn poi_amounts_both_ways() {
		assert_eq!(parse_poi("100").unwrap(), 100 * UNIT);
		assert_eq!(parse_poi("0.25 POI").unwrap(), UNIT / 4);
		assert_eq!(parse_poi("0.000000000001").unwrap(), 1);
		assert_eq!(poi(100 * UNIT), "100 POI");
		assert_eq!(poi(UNIT / 4 + 100 * UNIT), "100.25 POI");
		for bad in [
			"",
			"-1",
			"1.2.3",
			"1e5",
			"0.0000000000001",
			"abc",
			"1.",
			"999999999999999999999999999999",
		] {
			assert!(parse_poi(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn scores_in_metric_units_both_ways() {
		assert_eq!(metric(-4_469_800, Direction::Minimize, 6), "4.4698");
		assert_eq!(metric(-151_234, Direction::Minimize, 0), "151234");
		assert_eq!(metric(930, Direction::Maximize, 3), "0.93");
		assert_eq!(metric(-930, Direction::Maximize, 3), "-0.93");
		assert_eq!(parse_metric("4.4698", Direction::Minimize, 6).unwrap(), -4_469_800);
		assert_eq!(parse_metric("151234", Direction::Minimize, 0).unwrap(), -151_234);
		assert_eq!(parse_metric("-0.93", Direction::Maximize, 3).unwrap(), -930);
		assert!(parse_metric("4.1234567", Direction::Minimize, 6).is_err());
		assert!(parse_metric("fast", Direction::Minimize, 0).is_err());
		assert_eq!(metric(Score::MIN, Direction::Minimize, 0), Score::MAX.to_string());
	}
}
