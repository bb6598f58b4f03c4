use super::*;
use candle_core::Device;

/// A corpus with structure to learn: a repeating verse with numbers in it.
fn corpus() -> Vec<u8> {
	let mut text = String::new();
	for i in 0..600 {
		text.push_str(&format!("line {i}: the quick brown fox jumps over the lazy dog.\n"));
	}
	text.into_bytes()
}

const DOCUMENT: &[u8] = br#"{"candleGpt": {"trials": 1, "validation": {"fraction": 0.2, "chunk": 1024, "maxTokens": 2048}}}"#;

fn recipe(steps: u32, lr: f64) -> String {
	format!(
		r#"{{"model": {{"layers": 1, "heads": 2, "embd": 16, "context": 16}},
		    "optimizer": {{"name": "adamw", "lr": {lr}}}, "batch": 8, "steps": {steps}}}"#
	)
}

fn run(document: &[u8], recipe: &str, seed: u8) -> Finding {
	evaluate(document, &corpus(), recipe.as_bytes(), &[seed; 32], 1_000, &Device::Cpu, &mut |_| {})
}

fn bpb(finding: &Finding) -> f64 {
	match finding {
		Finding::Measured { val_bpb, .. } => *val_bpb,
		other => panic!("not measured: {other:?}"),
	}
}

#[test]
fn training_lowers_val_bpb_and_is_deterministic() {
	let untrained = bpb(&run(DOCUMENT, &recipe(1, 0.003), 1));
	let trained = bpb(&run(DOCUMENT, &recipe(60, 0.01), 1));
	// Untrained: about log2(256) = 8 bits per byte.
	assert!((7.0..9.0).contains(&untrained), "{untrained}");
	assert!(trained < untrained - 2.0, "{trained} vs {untrained}");
	assert_eq!(bpb(&run(DOCUMENT, &recipe(60, 0.01), 1)), trained);
	// Another seed holds out other chunks and draws other weights.
	assert_ne!(bpb(&run(DOCUMENT, &recipe(60, 0.01), 2)), trained);
}

#[test]
fn the_median_of_the_trials_is_the_score() {
	let document = br#"{"candleGpt": {"trials": 3, "validation": {"fraction": 0.2, "chunk": 1024, "maxTokens": 1024}}}"#;
	let Finding::Measured { val_bpb, trials } = run(document, &recipe(10, 0.01), 3) else {
		panic!("measured")
	};
	assert_eq!(trials.len(), 3);
	let mut values: Vec<f64> = trials.iter().map(|t| t.val_bpb).collect();
	values.sort_by(f64::total_cmp);
	assert_eq!(val_bpb, values[1]);
	// Trials start from different weights.
	assert!(values[0] < values[2]);
	assert!(trials.iter().all(|t| t.steps == 10 && t.tokens_per_second > 0.0));
	assert_eq!(train::median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
}

#[test]
fn a_recipe_trains_its_steps_and_may_not_exceed_the_budget() {
	let with_budget = |steps: u32, budget: u32| {
		evaluate(
			DOCUMENT,
			&corpus(),
			recipe(steps, 0.01).as_bytes(),
			&[1; 32],
			budget,
			&Device::Cpu,
			&mut |_| {},
		)
	};
	// Exactly the recipe's steps, whatever the machine: the budget only bounds them.
	let Finding::Measured { trials, val_bpb } = with_budget(12, 12) else { panic!("measured") };
	assert_eq!(trials[0].steps, 12);
	assert_eq!(bpb(&with_budget(12, 1_000)), val_bpb, "a larger budget changes nothing");
	match with_budget(13, 12) {
		Finding::Invalid { reason } => assert!(reason.contains("budget of 12"), "{reason}"),
		other => panic!("{other:?}"),
	}
}

#[test]
fn recipes_outside_the_surface_are_invalid() {
	let invalid = |recipe: &str, why: &str| match run(DOCUMENT, recipe, 1) {
		Finding::Invalid { reason } => assert!(reason.contains(why), "{reason:?} lacks {why:?}"),
		other => panic!("{recipe}: {other:?}"),
	};
	invalid("not json", "does not parse");
	invalid(&recipe(10, 0.01).replace("\"batch\"", "\"shell\": 1, \"batch\""), "unknown field");
	invalid(&recipe(10, 0.01).replace("\"heads\": 2", "\"heads\": 3"), "do not divide");
	invalid(&recipe(10, 0.01).replace("\"layers\": 1", "\"layers\": 0"), "layers must be");
	invalid(&recipe(10, 0.01).replace("\"layers\": 1", "\"layers\": 9"), "layers must be");
	invalid(&recipe(10, 0.01).replace("\"context\": 16", "\"context\": 1024"), "context");
	invalid(&recipe(10, 2.0), "learning rate");
	invalid(&recipe(10, -1.0), "learning rate");
	invalid(&recipe(10, 0.01).replace("adamw", "lion"), "does not parse");
	invalid(&recipe(10, 0.01).replace("\"batch\": 8", "\"batch\": 65"), "batch must be");
	invalid(
		&recipe(10, 0.01).replace("\"batch\"", "\"schedule\": {\"warmupSteps\": 11}, \"batch\""),
		"warm-up",
	);
	let sgd_only = br#"{"candleGpt": {"validation": {"fraction": 0.2, "chunk": 1024}, "surface": {"optimizers": ["sgd"], "maxParams": 20000}}}"#;
	match run(sgd_only, &recipe(10, 0.01), 1) {
		Finding::Invalid { reason } => assert!(reason.contains("adamw is not allowed"), "{reason}"),
		other => panic!("{other:?}"),
	}
	let wide = recipe(10, 0.01).replace("\"embd\": 16", "\"embd\": 64");
	match run(sgd_only, &wide.replace("adamw", "sgd"), 1) {
		Finding::Invalid { reason } => assert!(reason.contains("parameters"), "{reason}"),
		other => panic!("{other:?}"),
	}
}

#[test]
fn a_diverging_recipe_is_invalid() {
	let document = br#"{"candleGpt": {"validation": {"fraction": 0.2, "chunk": 1024}, "surface": {"maxLr": 1e30}}}"#;
	let recipe = recipe(30, 1e30)
		.replace("adamw", "sgd")
		.replace("\"batch\"", "\"initStd\": 1.0, \"batch\"");
	match run(document, &recipe, 1) {
		Finding::Invalid { reason } => assert!(reason.contains("diverged"), "{reason}"),
		other => panic!("{other:?}"),
	}
}

#[test]
fn bad_project_settings_or_corpus_are_harness_errors() {
	let harness = |document: &[u8], corpus: &[u8], why: &str| match evaluate(
		document,
		corpus,
		recipe(5, 0.01).as_bytes(),
		&[1; 32],
		100,
		&Device::Cpu,
		&mut |_| {},
	) {
		Finding::HarnessError { reason } => assert!(reason.contains(why), "{reason}"),
		other => panic!("{other:?}"),
	};
	harness(br#"{"candleGpt": {"trials": 0}}"#, &corpus(), "trials");
	harness(br#"{"candleGpt": {"trials": 10}}"#, &corpus(), "trials");
	harness(br#"{"candleGpt": {"validation": {"fraction": 0.9}}}"#, &corpus(), "fraction");
	harness(br#"{"candleGpt": {"surface": {"maxLayers": "many"}}}"#, &corpus(), "candleGpt");
	harness(DOCUMENT, b"far too short", "fewer than two chunks");
	// A document that is prose, or about other things, gives the defaults.
	assert_eq!(settings_of(b"# rules\nbe nice").unwrap(), Settings::default());
	assert_eq!(settings_of(br#"{"wasm": {}}"#).unwrap(), Settings::default());
}

#[test]
fn the_split_holds_out_chunks_chosen_by_the_seed() {
	let corpus = corpus();
	let validation = Validation { fraction: 0.25, chunk: 1000, max_tokens: 100 };
	let of = |seed| data::split(&corpus, &validation, 16, &mut data::Rng::new(seed)).unwrap();
	let a = of(1);
	let chunks = corpus.len().div_ceil(1000);
	assert_eq!(a.valid.len(), chunks.div_ceil(4));
	assert_eq!(a.valid.len() + a.train.len(), chunks);
	// Held-out chunks are never trained on.
	assert!(a.valid.iter().all(|v| a.train.iter().all(|t| t.as_ptr() != v.as_ptr())));
	assert_eq!(of(1).valid, a.valid);
	assert_ne!(of(2).valid, a.valid);
	assert_ne!(trial_seed(&[1; 32], 0), trial_seed(&[1; 32], 1));
	assert_ne!(trial_seed(&[1; 32], 0), trial_seed(&[2; 32], 0));
}

#[test]
fn schedules() {
	let s = |warmup, decay| Schedule { warmup_steps: warmup, decay, final_lr_fraction: 0.1 };
	assert_eq!(s(0, Decay::Constant).lr_at(1.0, 50, 100), 1.0);
	assert_eq!(s(10, Decay::Constant).lr_at(1.0, 4, 100), 0.5);
	assert_eq!(s(0, Decay::Linear).lr_at(1.0, 0, 100), 1.0);
	assert!((s(0, Decay::Linear).lr_at(1.0, 50, 100) - 0.55).abs() < 1e-12);
	assert!((s(0, Decay::Cosine).lr_at(1.0, 50, 100) - 0.55).abs() < 1e-12);
	assert!((s(0, Decay::Cosine).lr_at(2.0, 100, 100) - 0.2).abs() < 1e-12);
}

#[test]
fn parameter_count_matches_the_model() {
	let shape = ModelShape { layers: 2, heads: 2, embd: 16, context: 8, mlp_ratio: 4 };
	// Per block: 4 (16x16 + 16) attention, 16x64 + 64 + 64x16 + 16 MLP, 4x16 norms.
	let block = 4 * (256 + 16) + (1024 + 64 + 1024 + 16) + 64;
	let expected = 2 * block + (256 + 8) * 16 + (16 * 256 + 256) + 32;
	assert_eq!(recipe::parameters(&shape), Some(expected));
	assert_eq!(model::count_parameters(&shape, &Device::Cpu).unwrap(), expected);
}

#[test]
fn a_shape_too_large_to_count_is_refused_not_wrapped() {
	// Each of these overflows a u64 somewhere (c², c×hidden, layers×block); unchecked, the
	// count would wrap to a small number and pass a surface's parameter bound.
	let huge = ModelShape { layers: 1, heads: 1, embd: u32::MAX, context: 1, mlp_ratio: u32::MAX };
	assert_eq!(recipe::parameters(&huge), None);
	let wide = ModelShape { embd: 1 << 31, mlp_ratio: 1, ..huge };
	assert_eq!(recipe::parameters(&wide), None);
	let deep = ModelShape { layers: u32::MAX, embd: 1 << 20, mlp_ratio: 4, ..huge };
	assert_eq!(recipe::parameters(&deep), None);
}

#[test]
fn a_trial_gives_the_same_bits_on_any_number_of_threads() {
	// Verifiers' machines differ in cores: the score may not.
	let recipe = recipe(20, 0.01).replace("\"embd\": 16", "\"embd\": 32");
	let on = |threads| {
		let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
		pool.install(|| bpb(&run(DOCUMENT, &recipe, 4)))
	};
	let one = on(1);
	assert_eq!(on(2), one);
	assert_eq!(on(3), one);
}
