//! The verifiers' off-chain worker on this chain: [`OffchainChain`] gives `poi_offchain`'s
//! worker the local verifiers, their jobs and a way to send signed verdict transactions.
//!
//! A local verifier is a registered verifier whose account key is in the node's keystore under
//! key type `poiv` (`poi-node key insert --key-type poiv --scheme sr25519 --suri ...`; the
//! dev node inserts `//Alice`'s). Its transactions are signed with that key and pay their fees
//! from its account.

use crate::{Config, VerifierJobs, Verifiers};
use alloc::vec::Vec;
use core::marker::PhantomData;
use frame_system::offchain::{SendSignedTransaction, Signer};
use poi_offchain::{
	wire::Signature,
	worker::{Chain, LocalJob},
};
use poi_primitives::{ProposalId, Verdict};
use sp_core::H256;
use sp_runtime::SaturatedConversion;

/// The verifier key's crypto: sr25519 keys of key type `poiv`.
pub mod crypto {
	use sp_runtime::{
		app_crypto::{app_crypto, sr25519},
		MultiSignature, MultiSigner,
	};
	app_crypto!(sr25519, poi_offchain::VERIFIER_KEY_TYPE);

	/// What a runtime with `MultiSignature` accounts names as the pallet's `AuthorityId`.
	pub struct VerifierAuthId;

	impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for VerifierAuthId {
		type RuntimeAppPublic = Public;
		type GenericSignature = sp_core::sr25519::Signature;
		type GenericPublic = sp_core::sr25519::Public;
	}
}

/// The chain as the off-chain worker sees it.
pub struct OffchainChain<T>(PhantomData<T>);

impl<T> Default for OffchainChain<T> {
	fn default() -> Self {
		OffchainChain(PhantomData)
	}
}

impl<T: Config> OffchainChain<T> {
	fn send(who: &T::AccountId, call: <T::Jobs as VerifierJobs<T::AccountId>>::Call) -> bool {
		let Some(account) = Signer::<T, T::AuthorityId>::keystore_accounts().find(|a| a.id == *who)
		else {
			return false;
		};
		let call: <T as frame_system::Config>::RuntimeCall = call.into();
		let sent = Signer::<T, T::AuthorityId>::any_account()
			.with_filter(alloc::vec![account.public])
			.send_signed_transaction(|_| call.clone());
		matches!(sent, Some((_, Ok(()))))
	}
}

impl<T: Config> Chain for OffchainChain<T> {
	type Account = T::AccountId;

	fn block(&self) -> u64 {
		frame_system::Pallet::<T>::block_number().saturated_into()
	}

	fn local_verifiers(&self) -> Vec<T::AccountId> {
		Signer::<T, T::AuthorityId>::keystore_accounts()
			.map(|account| account.id)
			.filter(|who| Verifiers::<T>::contains_key(who))
			.collect()
	}

	fn jobs(&self, who: &T::AccountId) -> Vec<LocalJob> {
		T::Jobs::jobs(who)
	}

	fn submit_commit(&self, who: &T::AccountId, proposal: ProposalId, commitment: H256) -> bool {
		Self::send(who, T::Jobs::commit_call(proposal, commitment))
	}

	fn submit_reveal(
		&self,
		who: &T::AccountId,
		proposal: ProposalId,
		verdict: &Verdict,
		salt: H256,
		signature: &Signature,
	) -> bool {
		Self::send(who, T::Jobs::reveal_call(proposal, verdict, salt, signature))
	}
}
