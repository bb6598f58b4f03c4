//! What `poi-node benchmark extrinsic` builds blocks of: signed `balances.transfer_keep_alive`
//! and `proposals.commit` transactions, on the `benchmark` chain (the development chain plus a
//! project whose token Ferdie holds; see the runtime's `benchmark` preset). Each builder signs
//! from an account that sent nothing at genesis, so its nonces count from 0.

use std::{sync::Arc, time::Duration};

use poi_runtime::{
	genesis_config_presets::BENCHMARK_PROJECT, AccountId, Balance, BalancesCall, RuntimeCall,
};
use sc_client_api::{BlockBackend, UsageProvider};
use sp_core::{Encode, Pair};
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::Era,
	traits::{BlakeTwo256, Hash},
	OpaqueExtrinsic, SaturatedConversion,
};

use crate::service::FullClient;

/// Builds `balances.transfer_keep_alive` of one POI from Eve to Dave.
pub struct TransferKeepAliveBuilder {
	client: Arc<FullClient>,
}

impl TransferKeepAliveBuilder {
	/// A builder signing with `client`'s chain.
	pub fn new(client: Arc<FullClient>) -> Self {
		Self { client }
	}
}

impl frame_benchmarking_cli::ExtrinsicBuilder for TransferKeepAliveBuilder {
	fn pallet(&self) -> &str {
		"balances"
	}

	fn extrinsic(&self) -> &str {
		"transfer_keep_alive"
	}

	fn build(&self, nonce: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let dest: AccountId = Sr25519Keyring::Dave.to_account_id();
		let value: Balance = poi_runtime::UNIT;
		let call = BalancesCall::transfer_keep_alive { dest: dest.into(), value }.into();
		Ok(signed(&self.client, Sr25519Keyring::Eve, call, nonce).into())
	}
}

/// Builds `proposals.commit` of the benchmark project's minimum stake from Ferdie, each with
/// its own commitment.
pub struct CommitBuilder {
	client: Arc<FullClient>,
}

impl CommitBuilder {
	/// A builder signing with `client`'s chain.
	pub fn new(client: Arc<FullClient>) -> Self {
		Self { client }
	}
}

impl frame_benchmarking_cli::ExtrinsicBuilder for CommitBuilder {
	fn pallet(&self) -> &str {
		"proposals"
	}

	fn extrinsic(&self) -> &str {
		"commit"
	}

	fn build(&self, nonce: u32) -> Result<OpaqueExtrinsic, &'static str> {
		let commitment = BlakeTwo256::hash_of(&(b"poi-bench", nonce));
		let call = pallet_proposals::Call::commit {
			project: BENCHMARK_PROJECT,
			commitment,
			stake: poi_runtime::configs::MinStake::get(),
		};
		Ok(signed(&self.client, Sr25519Keyring::Ferdie, RuntimeCall::Proposals(call), nonce).into())
	}
}

/// `call` signed by `sender` with `nonce`, valid on `client`'s chain from its best block.
fn signed(
	client: &FullClient,
	sender: Sr25519Keyring,
	call: RuntimeCall,
	nonce: u32,
) -> poi_runtime::UncheckedExtrinsic {
	use poi_runtime::Runtime;
	let genesis = client.block_hash(0).ok().flatten().expect("the genesis block exists; qed");
	let best = client.usage_info().chain;
	let period = poi_runtime::configs::BlockHashCount::get()
		.checked_next_power_of_two()
		.map(|c| c / 2)
		.unwrap_or(2) as u64;
	let extension: poi_runtime::TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::mortal(
			period,
			best.best_number.saturated_into(),
		)),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
	);
	let implicit = (
		(),
		poi_runtime::VERSION.spec_version,
		poi_runtime::VERSION.transaction_version,
		genesis,
		best.best_hash,
		(),
		(),
		(),
	);
	let payload = poi_runtime::SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| sender.pair().sign(bytes));
	poi_runtime::UncheckedExtrinsic::new_signed(
		call,
		sender.to_account_id().into(),
		poi_runtime::Signature::Sr25519(signature),
		extension,
	)
}

/// The inherents of a benchmark block: a timestamp.
pub fn inherent_data() -> sc_cli::Result<InherentData> {
	let mut data = InherentData::new();
	let timestamp = sp_timestamp::InherentDataProvider::new(Duration::from_millis(0).into());
	futures::executor::block_on(timestamp.provide_inherent_data(&mut data))
		.map_err(|e| format!("creating the timestamp inherent: {e:?}"))?;
	Ok(data)
}
