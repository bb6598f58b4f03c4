//! The committed metadata (`cli/metadata/poi.scale`), which the client's code is generated
//! from, is the current runtime's: a runtime change that touches a call, a storage item, an
//! event, an error, a constant or a runtime API fails here until it is regenerated with
//! `POI_UPDATE_METADATA=1 cargo test -p poi-client --test metadata`.

use std::path::PathBuf;

fn committed() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../metadata/poi.scale")
}

/// The runtime's metadata at version 16, as `Metadata_metadata_at_version(16)` returns it to
/// subxt (the prefixed `RuntimeMetadata`, without the runtime API's own length prefix).
fn generated() -> Vec<u8> {
	poi_runtime::Runtime::metadata_at_version(16)
		.expect("the runtime offers metadata version 16")
		.to_vec()
}

#[test]
fn committed_metadata_is_the_runtimes() {
	let generated = generated();
	assert_eq!(&generated[..4], b"meta", "prefixed with the metadata magic");
	let path = committed();
	if std::env::var_os("POI_UPDATE_METADATA").is_some() {
		std::fs::write(&path, &generated).expect("writing cli/metadata/poi.scale");
		return;
	}
	let committed = std::fs::read(&path).unwrap_or_else(|e| {
		panic!(
			"{}: {e}; write it with POI_UPDATE_METADATA=1 cargo test -p poi-client --test metadata",
			path.display()
		)
	});
	assert!(
		committed == generated,
		"cli/metadata/poi.scale is not the runtime's metadata: regenerate it with \
		 POI_UPDATE_METADATA=1 cargo test -p poi-client --test metadata (then rebuild the client)"
	);
}
