//! What the runner keeps for itself: its base directory, results and blobs are directories only
//! its user can enter (0700), and a secret file that others can read is refused rather than
//! used (a leaked runner key signs verdicts in the verifier's name).

use anyhow::{anyhow, bail, Context, Result};
use std::{fs, io::Write, path::Path};

/// The secret in `file`, or `None` when there is no such file; an error when others can read
/// it or it cannot be read.
pub fn read_secret(file: &Path) -> Result<Option<String>> {
	match fs::read_to_string(file) {
		Ok(text) => {
			check_file(file)?;
			Ok(Some(text))
		},
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
		Err(e) => Err(anyhow!(e)).with_context(|| format!("reading {}", file.display())),
	}
}

/// Writes `text` as a new file only its owner can read (0600; its directory 0700); an error
/// when the file exists already.
pub fn write_secret(file: &Path, text: &str) -> Result<()> {
	if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
		create_dir(dir)?;
	}
	let mut options = fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
	let mut out = match options.open(file) {
		Ok(out) => out,
		Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
			bail!("{} appeared while creating it; try again", file.display())
		},
		Err(e) => return Err(anyhow!(e)).with_context(|| format!("creating {}", file.display())),
	};
	writeln!(out, "{text}")?;
	out.sync_all()?;
	Ok(())
}

/// Creates `dir` (and its missing parents) as a directory only its owner can enter; an
/// existing one is narrowed to 0700.
pub fn create_dir(dir: &Path) -> Result<()> {
	let mut builder = fs::DirBuilder::new();
	builder.recursive(true);
	#[cfg(unix)]
	std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
	builder.create(dir).with_context(|| format!("creating {}", dir.display()))?;
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
		if mode != 0o700 {
			fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
				.with_context(|| format!("narrowing {} to mode 0700", dir.display()))?;
			log::info!("narrowed {} from mode {mode:o} to 0700", dir.display());
		}
	}
	Ok(())
}

/// Fails when `file` can be read or written by anyone but its owner.
pub fn check_file(file: &Path) -> Result<()> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = fs::metadata(file)
			.with_context(|| format!("reading {}", file.display()))?
			.permissions()
			.mode() & 0o777;
		if mode & 0o077 != 0 {
			bail!(
				"{} is open to other users (mode {mode:o}): `chmod 600` it, and replace the \
				 secret if others may have read it",
				file.display()
			);
		}
	}
	Ok(())
}

#[cfg(all(test, unix))]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	fn mode(path: &Path) -> u32 {
		fs::metadata(path).unwrap().permissions().mode() & 0o777
	}

	#[test]
	fn directories_are_the_owners_alone() {
		let dir = tempfile::tempdir().unwrap();
		let nested = dir.path().join("a/b");
		create_dir(&nested).unwrap();
		assert_eq!(mode(&nested), 0o700);
		assert_eq!(mode(&dir.path().join("a")), 0o700);
		// An existing open directory is narrowed.
		let open = dir.path().join("open");
		fs::create_dir(&open).unwrap();
		fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
		create_dir(&open).unwrap();
		assert_eq!(mode(&open), 0o700);
	}

	#[test]
	fn a_secret_others_can_read_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("secret");
		fs::write(&file, "x").unwrap();
		for open in [0o644, 0o640, 0o604, 0o660, 0o602] {
			fs::set_permissions(&file, fs::Permissions::from_mode(open)).unwrap();
			let error = check_file(&file).unwrap_err();
			assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
		}
		fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
		check_file(&file).unwrap();
		fs::set_permissions(&file, fs::Permissions::from_mode(0o400)).unwrap();
		check_file(&file).unwrap();
	}
}
