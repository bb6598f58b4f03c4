//! A project folder's protocol file (`protocol.json`): the document verifiers' runners read,
//! which also holds every field `create_project` takes. Its format is written down in
//! `docs/cli.md` ("Researchers"); the examples under `examples/` follow it.

use anyhow::{bail, Context, Result};
use poi_primitives::{Direction, Evaluator, MAX_BASIS_POINTS};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The protocol file's name in a project folder.
pub const FILE: &str = "protocol.json";

/// The fields of a protocol file that `poi` reads; everything else in it is for people and for
/// the runner's evaluator (`wasm`, `candleGpt`, `command` settings).
struct Raw {
	name: String,
	evaluator: String,
	budget: u64,
	metric: RawMetric,
	threshold_bps: u32,
	tolerance_bps: u32,
	quorum: u32,
	files: RawFiles,
	token: RawToken,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawMetric {
	name: String,
	direction: String,
	scale_exponent: u8,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFiles {
	repository: PathBuf,
	benchmark: PathBuf,
	baseline: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawToken {
	name: String,
	symbol: String,
	curve: RawCurve,
}

/// Balances are decimal strings (they do not fit a JSON number) or numbers.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
	Text(String),
	Number(u64),
}

impl Amount {
	fn value(&self, field: &str) -> Result<u128> {
		match self {
			Amount::Number(n) => Ok(u128::from(*n)),
			Amount::Text(text) => text.trim().parse().with_context(|| {
				format!("token.curve.{field}: \"{text}\" is not a whole number of planck")
			}),
		}
	}
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawCurve {
	base_price: Amount,
	slope: Amount,
	miner_pool_cap: Amount,
	reward_per_approval: Amount,
	initial_escrow: Amount,
}

/// A project's metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
	/// Its name (`val_bpb`, `fuel`).
	pub name: String,
	/// Whether larger or smaller values are better.
	pub direction: Direction,
	/// Scores are the metric times 10^scale.
	pub scale_exponent: u8,
}

/// A project's token and curve (balances in planck).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
	/// The token's name.
	pub name: String,
	/// Its symbol.
	pub symbol: String,
	/// Price of the first whole token.
	pub base_price: u128,
	/// Price increase per token of supply.
	pub slope: u128,
	/// The most tokens miner rewards may mint.
	pub miner_pool_cap: u128,
	/// Tokens minted per approved improvement.
	pub reward_per_approval: u128,
	/// What the creator pays into the reward escrow.
	pub initial_escrow: u128,
}

/// A project folder's protocol file, checked.
#[derive(Clone, Debug)]
pub struct ProtocolFile {
	/// The file itself (the protocol document, as stored).
	pub path: PathBuf,
	/// The project's name.
	pub name: String,
	/// The evaluator and its budget.
	pub evaluator: Evaluator,
	/// The metric.
	pub metric: Metric,
	/// Basis points a proposal must beat the best by.
	pub threshold_bps: u32,
	/// Basis points a verifier's score may sit from the median.
	pub tolerance_bps: u32,
	/// Verifiers per round.
	pub quorum: u32,
	/// The repository snapshot (an existing file).
	pub repository: PathBuf,
	/// The benchmark (an existing file).
	pub benchmark: PathBuf,
	/// The baseline candidate (an existing file).
	pub baseline: PathBuf,
	/// The token.
	pub token: Token,
}

impl ProtocolFile {
	/// Reads `dir/protocol.json` (or the file `dir` names) and checks every field; the
	/// artifact paths are relative to the file's folder and must exist.
	pub fn load(dir: &Path) -> Result<Self> {
		let path = if dir.is_dir() { dir.join(FILE) } else { dir.to_path_buf() };
		let text = std::fs::read(&path).with_context(|| {
			format!(
				"{}: cannot read the protocol file (a project folder holds {FILE})",
				path.display()
			)
		})?;
		Self::parse(&path, &text)
	}

	/// Checks the bytes of the protocol file at `path`.
	pub fn parse(path: &Path, text: &[u8]) -> Result<Self> {
		let at = |what: &str| format!("{}: {what}", path.display());
		let value: serde_json::Value = serde_json::from_slice(text)
			.map_err(|e| anyhow::anyhow!(at(&format!("not JSON: {e}"))))?;
		let Some(fields) = value.as_object() else { bail!(at("not a JSON object")) };
		// Each field on its own, so that an error names it.
		let field = |name: &str| -> Result<serde_json::Value> {
			fields
				.get(name)
				.cloned()
				.ok_or_else(|| anyhow::anyhow!(at(&format!("missing field `{name}`"))))
		};
		fn typed<T: serde::de::DeserializeOwned>(
			value: serde_json::Value,
			name: &str,
			at: &dyn Fn(&str) -> String,
		) -> Result<T> {
			serde_json::from_value(value).map_err(|e| anyhow::anyhow!(at(&format!("{name}: {e}"))))
		}
		let raw = Raw {
			name: typed(field("name")?, "name", &at)?,
			evaluator: typed(field("evaluator")?, "evaluator", &at)?,
			budget: typed(field("budget")?, "budget", &at)?,
			metric: typed(field("metric")?, "metric", &at)?,
			threshold_bps: typed(field("thresholdBps")?, "thresholdBps", &at)?,
			tolerance_bps: typed(field("toleranceBps")?, "toleranceBps", &at)?,
			quorum: typed(field("quorum")?, "quorum", &at)?,
			files: typed(field("files")?, "files", &at)?,
			token: typed(field("token")?, "token", &at)?,
		};
		let evaluator = match raw.evaluator.as_str() {
			"wasm" => Evaluator::Wasm { fuel: raw.budget },
			"candle-gpt" => Evaluator::CandleGpt {
				steps: u32::try_from(raw.budget)
					.map_err(|_| anyhow::anyhow!(at("budget: training steps fit a u32")))?,
			},
			"command" => Evaluator::Command {
				seconds: u32::try_from(raw.budget)
					.map_err(|_| anyhow::anyhow!(at("budget: seconds fit a u32")))?,
			},
			other => {
				bail!(at(&format!("evaluator \"{other}\" is not one of wasm, candle-gpt, command")))
			},
		};
		if raw.budget == 0 {
			bail!(at("budget: must be more than 0"));
		}
		let direction = match raw.metric.direction.as_str() {
			"minimize" => Direction::Minimize,
			"maximize" => Direction::Maximize,
			other => {
				bail!(at(&format!("metric.direction \"{other}\" is not minimize or maximize")))
			},
		};
		if raw.metric.name.trim().is_empty() {
			bail!(at("metric.name: empty"));
		}
		if raw.metric.scale_exponent > 18 {
			bail!(at("metric.scaleExponent: at most 18"));
		}
		if raw.threshold_bps == 0 || raw.threshold_bps > MAX_BASIS_POINTS {
			bail!(at("thresholdBps: between 1 and 10000"));
		}
		if raw.tolerance_bps > MAX_BASIS_POINTS {
			bail!(at("toleranceBps: at most 10000"));
		}
		if raw.quorum == 0 {
			bail!(at("quorum: at least 1"));
		}
		if raw.token.name.trim().is_empty() || raw.token.symbol.trim().is_empty() {
			bail!(at("token.name and token.symbol: not empty"));
		}
		let folder = path.parent().unwrap_or(Path::new("."));
		let file = |field: &str, relative: &Path| -> Result<PathBuf> {
			let full = folder.join(relative);
			if !full.is_file() {
				bail!(at(&format!(
					"files.{field}: {} does not exist (build the project's artifacts first)",
					full.display()
				)));
			}
			Ok(full)
		};
		let curve = &raw.token.curve;
		Ok(ProtocolFile {
			path: path.to_path_buf(),
			name: raw.name,
			evaluator,
			metric: Metric {
				name: raw.metric.name,
				direction,
				scale_exponent: raw.metric.scale_exponent,
			},
			threshold_bps: raw.threshold_bps,
			tolerance_bps: raw.tolerance_bps,
			quorum: raw.quorum,
			repository: file("repository", &raw.files.repository)?,
			benchmark: file("benchmark", &raw.files.benchmark)?,
			baseline: file("baseline", &raw.files.baseline)?,
			token: Token {
				name: raw.token.name,
				symbol: raw.token.symbol,
				base_price: curve.base_price.value("basePrice")?,
				slope: curve.slope.value("slope")?,
				miner_pool_cap: curve.miner_pool_cap.value("minerPoolCap")?,
				reward_per_approval: curve.reward_per_approval.value("rewardPerApproval")?,
				initial_escrow: curve.initial_escrow.value("initialEscrow")?,
			},
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn folder() -> tempfile::TempDir {
		let dir = tempfile::tempdir().unwrap();
		for name in ["repo.bin", "bench.bin", "base.bin"] {
			std::fs::write(dir.path().join(name), name).unwrap();
		}
		dir
	}

	fn good() -> serde_json::Value {
		serde_json::json!({
			"name": "sort", "task": "prose for people",
			"evaluator": "wasm", "budget": 1000,
			"metric": {"name": "fuel", "direction": "minimize", "scaleExponent": 0},
			"thresholdBps": 100, "toleranceBps": 0, "quorum": 1,
			"files": {"repository": "repo.bin", "benchmark": "bench.bin", "baseline": "base.bin"},
			"token": {"name": "sort", "symbol": "SORT", "curve": {
				"basePrice": "1000000000000", "slope": 100000000000u64, "minerPoolCap": "1000",
				"rewardPerApproval": "10", "initialEscrow": "1000000000000000"}},
			"wasm": {"memoryMiB": 16}
		})
	}

	fn parse(dir: &Path, value: &serde_json::Value) -> Result<ProtocolFile> {
		ProtocolFile::parse(&dir.join(FILE), value.to_string().as_bytes())
	}

	#[test]
	fn a_complete_file_gives_every_on_chain_field() {
		let dir = folder();
		let file = parse(dir.path(), &good()).unwrap();
		assert_eq!(file.evaluator, Evaluator::Wasm { fuel: 1000 });
		assert_eq!(
			file.metric,
			Metric { name: "fuel".into(), direction: Direction::Minimize, scale_exponent: 0 }
		);
		assert_eq!((file.threshold_bps, file.tolerance_bps, file.quorum), (100, 0, 1));
		assert_eq!(file.benchmark, dir.path().join("bench.bin"));
		assert_eq!(file.token.base_price, 1_000_000_000_000);
		assert_eq!(file.token.slope, 100_000_000_000);
		assert_eq!(file.token.initial_escrow, 1_000_000_000_000_000);
		for (evaluator, expected) in [
			("candle-gpt", Evaluator::CandleGpt { steps: 1000 }),
			("command", Evaluator::Command { seconds: 1000 }),
		] {
			let mut value = good();
			value["evaluator"] = evaluator.into();
			assert_eq!(parse(dir.path(), &value).unwrap().evaluator, expected);
		}
	}

	#[test]
	fn the_examples_protocol_files_are_complete() {
		// Their artifacts are built by their build scripts; only the fields are checked here.
		let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
		for example in ["wasm-sort", "candle-gpt", "command-compress"] {
			let path = root.join(example).join(FILE);
			let text = std::fs::read(&path).unwrap();
			match ProtocolFile::parse(&path, &text) {
				Ok(_) => {},
				Err(e) => assert!(e.to_string().contains("does not exist"), "{example}: {e}"),
			}
		}
	}

	#[test]
	fn each_missing_or_malformed_field_is_named() {
		let dir = folder();
		let cases: Vec<(fn(&mut serde_json::Value), &str)> = vec![
			(|v| drop(v.as_object_mut().unwrap().remove("budget")), "missing field `budget`"),
			(|v| drop(v.as_object_mut().unwrap().remove("token")), "missing field `token`"),
			(|v| v["evaluator"] = "docker".into(), "evaluator \"docker\""),
			(|v| v["budget"] = 0.into(), "budget: must be more than 0"),
			(|v| v["budget"] = (-1).into(), "budget"),
			(|v| v["evaluator"] = "command".into(), ""),
			(|v| v["metric"]["direction"] = "down".into(), "metric.direction \"down\""),
			(|v| v["metric"]["name"] = " ".into(), "metric.name: empty"),
			(|v| v["metric"]["scaleExponent"] = 40.into(), "scaleExponent"),
			(|v| v["metric"]["unit"] = "s".into(), "unknown field `unit`"),
			(|v| v["thresholdBps"] = 0.into(), "thresholdBps"),
			(|v| v["thresholdBps"] = 10_001.into(), "thresholdBps"),
			(|v| v["toleranceBps"] = 10_001.into(), "toleranceBps"),
			(|v| v["quorum"] = 0.into(), "quorum"),
			(|v| v["files"]["benchmark"] = "nowhere.wasm".into(), "files.benchmark"),
			(|v| v["token"]["symbol"] = "".into(), "token.symbol"),
			(|v| v["token"]["curve"]["slope"] = "1.5".into(), "token.curve.slope"),
			(|v| v["token"]["curve"]["slope"] = "-3".into(), "token.curve.slope"),
		];
		for (change, expected) in cases {
			let mut value = good();
			change(&mut value);
			match parse(dir.path(), &value) {
				Ok(_) => assert!(expected.is_empty(), "accepted, expected {expected}"),
				Err(e) => {
					assert!(!expected.is_empty(), "refused: {e}");
					assert!(e.to_string().contains(expected), "{e} should name {expected}");
					assert_eq!(e.to_string().lines().count(), 1, "one line: {e}");
				},
			}
		}
		let text = b"{ not json";
		assert!(ProtocolFile::parse(&dir.path().join(FILE), text).is_err());
		let missing = ProtocolFile::load(&dir.path().join("nowhere")).unwrap_err();
		assert!(missing.to_string().contains("cannot read the protocol file"), "{missing}");
	}
}
