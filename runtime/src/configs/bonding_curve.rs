//! `pallet_bonding_curve`: project tokens (assets of `Assets` from id `2^31` on), their curves,
//! reserves and reward escrows.

use frame_support::{parameter_types, PalletId};
use sp_runtime::traits::Convert;

use super::assets::PROJECT_TOKEN_ASSET_IDS;
use crate::{Assets, Balances, Projects, Runtime};

parameter_types! {
	/// Reserve and escrow accounts are derived from it (`modlpoi/curv` + tag + project).
	pub const BondingCurvePalletId: PalletId = PalletId(*b"poi/curv");
}

/// Project `p`'s token is asset `2^31 + p`. Past `u32::MAX` the id saturates, and the launch
/// of a project that would need it fails with `AssetIdInUse`: 2^31 projects fit.
pub struct ProjectAssetId;

impl Convert<poi_primitives::ProjectId, u32> for ProjectAssetId {
	fn convert(project: poi_primitives::ProjectId) -> u32 {
		PROJECT_TOKEN_ASSET_IDS.saturating_add(project)
	}
}

impl pallet_bonding_curve::Config for Runtime {
	type Currency = Balances;
	type AssetId = u32;
	type Assets = Assets;
	type ProjectAssetId = ProjectAssetId;
	type Projects = Projects;
	type PalletId = BondingCurvePalletId;
	type WeightInfo = crate::weights::pallet_bonding_curve::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Projects;
}
