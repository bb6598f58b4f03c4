//! Helpers shared by the node's integration tests: they run the real `poi-node` binary.

#![allow(dead_code)]

use std::{
	path::PathBuf,
	process::{Command, Output},
};

/// The `poi-node` binary cargo built for these tests.
pub fn node_bin() -> PathBuf {
	PathBuf::from(env!("CARGO_BIN_EXE_poi-node"))
}

/// Runs `poi-node` with these arguments to completion.
pub fn run(args: &[&str]) -> Output {
	Command::new(node_bin()).args(args).output().expect("poi-node starts")
}

/// Stdout and stderr of a run, as text.
pub fn text(output: &Output) -> (String, String) {
	(
		String::from_utf8_lossy(&output.stdout).into_owned(),
		String::from_utf8_lossy(&output.stderr).into_owned(),
	)
}

/// Asserts that a run failed cleanly: non-zero exit, an error message, no panic.
pub fn assert_clean_failure(output: &Output, expected: &str) {
	let (stdout, stderr) = text(output);
	assert!(!output.status.success(), "expected failure; stdout: {stdout}\nstderr: {stderr}");
	assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
	assert!(stderr.contains(expected), "stderr should mention {expected:?}; stderr: {stderr}");
	for sign_of_panic in ["panicked", "backtrace", "Backtrace", "RUST_BACKTRACE"] {
		assert!(!stderr.contains(sign_of_panic), "panic output on stderr: {stderr}");
	}
}

/// The repository root.
pub fn repo_root() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("node/ has a parent").to_path_buf()
}
