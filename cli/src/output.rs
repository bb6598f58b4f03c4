//! Output: text for people on stdout, or one JSON document with `--json`; a status line on
//! stderr for long waits (redrawn in place on a terminal, one line per change otherwise).

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

static LAST: Mutex<Option<String>> = Mutex::new(None);

/// Shows `text` as the status line (nothing when it did not change).
pub fn status(text: impl Into<String>) {
	let text = text.into();
	let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
	if last.as_deref() == Some(text.as_str()) {
		return;
	}
	let mut err = std::io::stderr();
	if err.is_terminal() {
		let _ = write!(err, "\r\x1b[K{text}");
	} else {
		let _ = writeln!(err, "{text}");
	}
	let _ = err.flush();
	*last = Some(text);
}

/// Ends the status line, so that what follows starts on a line of its own.
pub fn clear_status() {
	let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
	if last.take().is_some() && std::io::stderr().is_terminal() {
		let _ = write!(std::io::stderr(), "\r\x1b[K");
	}
}

/// Prints `value` as JSON (`--json`) or `text` for people.
pub fn print(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
	clear_status();
	if json {
		println!("{}", serde_json::to_string_pretty(&value).expect("JSON values serialize"));
	} else {
		println!("{}", text());
	}
}

/// A progress callback for [`poi_client::submit`] that names the transaction.
pub fn progress(what: &'static str) -> impl FnMut(poi_client::Progress) {
	move |p| match p {
		poi_client::Progress::Pooled => status(format!("{what}: in the node's pool")),
		poi_client::Progress::InBlock => {
			status(format!("{what}: in a block, waiting for finality"))
		},
	}
}
