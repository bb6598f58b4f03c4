use super::*;

#[test]
fn a_report_is_one_flat_json_object_and_reads_back() {
	let report = Report {
		finding: Finding::Measured {
			val_bpb: 2.25,
			trials: vec![TrialReport {
				val_bpb: 2.25,
				steps: 300,
				train_seconds: 6.5,
				tokens_per_second: 3300.0,
			}],
		},
		device: "cpu".into(),
		peak_rss_kib: Some(20_480),
	};
	let json = serde_json::to_value(&report).unwrap();
	assert_eq!(
		json,
		serde_json::json!({
			"finding": "measured",
			"valBpb": 2.25,
			"trials": [{ "valBpb": 2.25, "steps": 300, "trainSeconds": 6.5, "tokensPerSecond": 3300.0 }],
			"device": "cpu",
			"peakRssKib": 20480,
		})
	);
	assert_eq!(serde_json::from_value::<Report>(json).unwrap(), report);
	let invalid: Report = serde_json::from_str(
		r#"{"finding":"invalid","reason":"diverged","device":"cpu","peakRssKib":null}"#,
	)
	.unwrap();
	assert_eq!(invalid.finding, Finding::Invalid { reason: "diverged".into() });
	let harness: Report = serde_json::from_str(
		r#"{"finding":"harnessError","reason":"short corpus","device":"cpu"}"#,
	)
	.unwrap();
	assert_eq!(harness.finding, Finding::HarnessError { reason: "short corpus".into() });
	assert_eq!(harness.peak_rss_kib, None);
	assert!(serde_json::from_str::<Report>(r#"{"finding":"perfect","device":"cpu"}"#).is_err());
}
