//! What the runner forgets, and when. Finished jobs' results are kept for
//! [`Retention::results`] after they were written (long past every round and challenge window
//! they can serve); blobs of the embedded store for [`Retention::blobs`] after they were last
//! stored or read (each fetch renews a blob, so a project's harness stays while proposals keep
//! coming). An IPFS daemon collects its own garbage. The service sweeps once at start and then
//! every [`SWEEP_EVERY`].

use anyhow::{Context, Result};
use std::{
	fs,
	path::Path,
	time::{Duration, SystemTime},
};

/// How often the service sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How long the runner keeps what it wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
	/// A finished job's result, after it was written.
	pub results: Duration,
	/// An embedded-store blob, after it was last stored or read.
	pub blobs: Duration,
}

/// Removes the plain files directly in `dir` last modified more than `max_age` before `now`;
/// how many it removed.
pub fn sweep(dir: &Path, max_age: Duration, now: SystemTime) -> Result<usize> {
	let mut removed = 0;
	for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
		let entry = entry?;
		let meta = entry.metadata()?;
		if !meta.is_file() {
			continue;
		}
		let age = now.duration_since(meta.modified()?).unwrap_or_default();
		if age > max_age {
			fs::remove_file(entry.path())
				.with_context(|| format!("removing {}", entry.path().display()))?;
			removed += 1;
		}
	}
	Ok(removed)
}

/// Marks `file` as used now (its modification time), so that [`sweep`] keeps it.
pub fn renew(file: &Path) -> std::io::Result<()> {
	fs::File::options().write(true).open(file)?.set_modified(SystemTime::now())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn age(file: &Path, by: Duration) {
		let when = SystemTime::now() - by;
		fs::File::options().write(true).open(file).unwrap().set_modified(when).unwrap();
	}

	#[test]
	fn old_files_go_recent_and_renewed_ones_stay() {
		let dir = tempfile::tempdir().unwrap();
		let day = Duration::from_secs(86400);
		for name in ["old", "new", "renewed"] {
			fs::write(dir.path().join(name), name).unwrap();
		}
		fs::create_dir(dir.path().join("sub")).unwrap();
		age(&dir.path().join("old"), 3 * day);
		age(&dir.path().join("renewed"), 3 * day);
		renew(&dir.path().join("renewed")).unwrap();
		assert_eq!(sweep(dir.path(), 2 * day, SystemTime::now()).unwrap(), 1);
		assert!(!dir.path().join("old").exists());
		for kept in ["new", "renewed", "sub"] {
			assert!(dir.path().join(kept).exists(), "{kept}");
		}
		// Later, everything is old enough.
		let later = SystemTime::now() + 3 * day;
		assert_eq!(sweep(dir.path(), 2 * day, later).unwrap(), 2);
	}
}
