//! `poi propose` (evaluate locally, commit, reveal, reveal the claim when due, follow the
//! round to its outcome; `--resume` finishes an interrupted one) and `poi proposals`.
//!
//! Before anything is sent, the proposal's state (the salt above all) is written to a file of
//! its own under the state folder (mode 0600), and it is updated after each step, so an
//! interrupted `poi propose` loses nothing: `poi propose --resume` reads it back, finds on chain
//! how far it got, and goes on.

use crate::{chain, output, project, protocol::ProtocolFile, runner, units, Global};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args as ClapArgs;
use poi_client::api::{self, runtime_types::pallet_proposals::types::ProposalStatus};
use poi_client::H256;
use poi_client::{AccountId, Client, Keypair};
use poi_primitives::{
	beats, claim_hash, proposal_commitment, ArtifactRef, NodeId, ProjectId, ProposalId, Score,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(ClapArgs)]
pub struct Args {
	/// The project.
	#[arg(required_unless_present = "resume")]
	pub id: Option<ProjectId>,
	/// The candidate file (a wasm module, a recipe, an archive: what the project's evaluator
	/// takes).
	#[arg(required_unless_present = "resume")]
	pub candidate: Option<PathBuf>,
	/// The project's folder, holding its protocol file and benchmark (checked against the
	/// chain's digests).
	#[arg(long, default_value = ".")]
	pub dir: PathBuf,
	/// Tokens to stake [default: the least the chain takes].
	#[arg(long)]
	pub stake: Option<u128>,
	/// The score to claim, in the metric's units [default: the least that beats the chain's
	/// best by the project's threshold, which the verified score must reach anyway].
	#[arg(long)]
	pub claim: Option<String>,
	/// Propose even when the local evaluation says the candidate does not beat the chain's
	/// best, or does not reach the claim (the stake is then at risk).
	#[arg(long)]
	pub force: bool,
	/// Finish the proposals an earlier `poi propose` left unfinished on this chain.
	#[arg(long, conflicts_with_all = ["id", "candidate"])]
	pub resume: bool,
	/// Where proposal states are kept [default: ~/.local/share/poi/proposals].
	#[arg(long, env = "POI_STATE_DIR")]
	pub state_dir: Option<PathBuf>,
	/// The most blocks to follow the round before leaving it to `--resume`.
	#[arg(long, default_value_t = 600)]
	pub max_blocks: u32,
	#[command(flatten)]
	pub runner: runner::RunnerOptions,
}

#[derive(ClapArgs)]
pub struct ListArgs {
	/// The project.
	pub id: ProjectId,
	/// How many, newest first.
	#[arg(long, default_value_t = 20)]
	pub limit: u32,
}

/// How far a proposal got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Stage {
	/// Written down; the commitment may or may not be on chain.
	Prepared,
	/// Committed.
	Committed,
	/// Revealed: it is a proposal.
	Revealed,
	/// Its claim is revealed too.
	ClaimRevealed,
	/// Settled.
	Settled,
}

/// A proposal's state, kept in a file until it settles.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
	genesis: H256,
	proposer: String,
	project: ProjectId,
	parent: NodeId,
	code: ArtifactRef,
	#[serde(with = "score_text")]
	claimed_score: Score,
	salt: H256,
	commitment: H256,
	stake: String,
	stage: Stage,
	proposal: Option<ProposalId>,
	/// The best block when it was prepared: its proposal, if any, was revealed at or after it.
	#[serde(default)]
	prepared_at: Option<u32>,
	#[serde(default)]
	extrinsics: Vec<String>,
}

mod score_text {
	use poi_primitives::Score;
	use serde::{de::Error, Deserialize, Deserializer, Serializer};
	pub fn serialize<S: Serializer>(score: &Score, s: S) -> Result<S::Ok, S::Error> {
		s.serialize_str(&score.to_string())
	}
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Score, D::Error> {
		String::deserialize(d)?.parse().map_err(D::Error::custom)
	}
}

impl State {
	fn path(dir: &Path, commitment: &H256) -> PathBuf {
		dir.join(format!("{commitment:?}.json"))
	}

	/// Creates the state folder, which holds salts: its owner's alone.
	fn folder(dir: &Path) -> Result<()> {
		use std::os::unix::fs::DirBuilderExt;
		std::fs::DirBuilder::new()
			.recursive(true)
			.mode(0o700)
			.create(dir)
			.with_context(|| format!("cannot create the state folder {}", dir.display()))
	}

	/// Takes the lock of the state of `commitment`, which one process at a time holds while it
	/// works on it (so that two never send its transactions at once); `None` when another
	/// holds it. Released when the file closes, also when the process dies.
	fn lock(dir: &Path, commitment: &H256) -> Result<Option<std::fs::File>> {
		use std::os::unix::fs::OpenOptionsExt;
		Self::folder(dir)?;
		let path = dir.join(format!("{commitment:?}.lock"));
		let file = std::fs::OpenOptions::new()
			.create(true)
			.truncate(false)
			.write(true)
			.mode(0o600)
			.open(&path)
			.with_context(|| format!("cannot open {}", path.display()))?;
		match file.try_lock() {
			Ok(()) => Ok(Some(file)),
			Err(std::fs::TryLockError::WouldBlock) => Ok(None),
			Err(std::fs::TryLockError::Error(e)) => {
				Err(anyhow!("cannot lock {}: {e}", path.display()))
			},
		}
	}

	/// Writes the state (atomically, readable by its owner only).
	fn save(&self, dir: &Path) -> Result<()> {
		use std::io::Write;
		use std::os::unix::fs::OpenOptionsExt;
		Self::folder(dir)?;
		let path = Self::path(dir, &self.commitment);
		let partial = path.with_extension("json.partial");
		// A new file of ours (whatever was left under this name, a link included, goes).
		let _ = std::fs::remove_file(&partial);
		let mut file = std::fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(&partial)
			.with_context(|| format!("cannot write {}", partial.display()))?;
		file.write_all(&serde_json::to_vec_pretty(self).expect("a state serializes"))?;
		file.sync_all()?;
		std::fs::rename(&partial, &path)
			.with_context(|| format!("cannot write {}", path.display()))?;
		// The rename itself survives a crash once the folder is synced.
		std::fs::File::open(dir).and_then(|d| d.sync_all()).ok();
		Ok(())
	}
}

pub(crate) fn state_dir(args_dir: &Option<PathBuf>) -> PathBuf {
	args_dir.clone().unwrap_or_else(|| runner::data_home().join("poi").join("proposals"))
}

pub async fn run(global: &Global, args: Args) -> Result<()> {
	let signer = global.signer()?;
	let dir = state_dir(&args.state_dir);
	if args.resume {
		return resume(global, &signer, &dir, args.max_blocks).await;
	}
	let (id, candidate) =
		(args.id.expect("clap requires it"), args.candidate.clone().expect("clap requires it"));
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let project = chain::project(&at, id).await?;
	if !chain::is_active(&project) {
		bail!("project {id} is frozen: it takes no proposals now");
	}
	let protocol = &project.protocol;
	let direction = poi_client::direction_from(&protocol.metric.direction);
	let scale = protocol.metric.scale_exponent;

	// The project's folder must be this project's: its document and benchmark digests.
	let file = ProtocolFile::load(&args.dir)?;
	check_digest(&file.path, &protocol.document, "protocol document", id)?;
	check_digest(&file.benchmark, &protocol.benchmark, "benchmark", id)?;
	plain_file(&candidate)?;

	output::status(format!("evaluating {} locally", candidate.display()));
	let evaluation = args.runner.evaluate(&runner::Local {
		evaluator: poi_client::evaluator_from(&protocol.evaluator),
		direction,
		scale_exponent: scale,
		benchmark: &file.benchmark,
		candidate: &candidate,
		document: &file.path,
		seed: [0; 32],
	})?;
	let score = evaluation.score()?;
	let settled = submit(
		&client,
		&signer,
		&Submit {
			id,
			candidate: &candidate,
			score,
			claim: args.claim.as_deref(),
			stake: args.stake,
			force: args.force,
			state_dir: &dir,
			max_blocks: args.max_blocks,
			runner: &args.runner,
			quiet: global.json,
		},
	)
	.await?;
	output::print(global.json, settled.json, || settled.text);
	Ok(())
}

/// A candidate evaluated locally, to propose.
pub struct Submit<'a> {
	/// The project.
	pub id: ProjectId,
	/// The candidate file.
	pub candidate: &'a Path,
	/// Its local score.
	pub score: Score,
	/// The claim in the metric's units (`None`: the least that beats the best).
	pub claim: Option<&'a str>,
	/// The stake (`None`: the least the chain takes).
	pub stake: Option<u128>,
	/// Propose even when the checks say no.
	pub force: bool,
	/// Where proposal states are kept.
	pub state_dir: &'a Path,
	/// The most blocks to follow the round.
	pub max_blocks: u32,
	/// Where the candidate is stored.
	pub runner: &'a runner::RunnerOptions,
	/// No notes on stderr.
	pub quiet: bool,
}

/// A settled proposal: for scripts and for people.
pub struct Settled {
	/// JSON.
	pub json: serde_json::Value,
	/// Words.
	pub text: String,
}

/// Checks `s` against the chain as it is now (its best, the miner's tokens and balance),
/// stores the candidate, and takes the proposal through commit, reveal and claim to its
/// outcome.
pub async fn submit(client: &Client, signer: &Keypair, s: &Submit<'_>) -> Result<Settled> {
	let (id, score, candidate, dir) = (s.id, s.score, s.candidate, s.state_dir);
	plain_file(candidate)?;
	let who = poi_client::account_of(signer);
	let at = chain::now(client).await?;
	let project = chain::project(&at, id).await?;
	if !chain::is_active(&project) {
		bail!("project {id} is frozen: it takes no proposals now");
	}
	let protocol = &project.protocol;
	let direction = poi_client::direction_from(&protocol.metric.direction);
	let scale = protocol.metric.scale_exponent;
	let metric = |score: Score| units::metric(score, direction, scale);
	let metric_name = String::from_utf8_lossy(&protocol.metric.name.0).into_owned();
	let best = chain::best_score(&at, id, &project).await?;
	let threshold = protocol.min_improvement_bps;
	if !beats(score, best, threshold) && !s.force {
		bail!(
			"the candidate measures {} {metric_name}, which does not beat the chain's best {} by {threshold} bps: not staking on it (--force to propose anyway)",
			metric(score),
			metric(best)
		);
	}
	let least = least_beating(best, threshold);
	let claimed_score = match s.claim {
		Some(text) => {
			units::parse_metric(text, direction, scale).map_err(|e| anyhow!("--claim: {e}"))?
		},
		None => least.min(score),
	};
	if claimed_score > score && !s.force {
		bail!(
			"the claim {} is better than the candidate measures ({} {metric_name}): a verified score below the claim is slashed (--force to claim it anyway)",
			metric(claimed_score),
			metric(score)
		);
	}

	// Stake, fee and deposit: checked before anything is sent.
	let held = chain::tokens(&at, id, &who).await?;
	let stake = match s.stake {
		Some(stake) => stake,
		None => least_stake(&at, id, held).await?,
	};
	if stake > held {
		bail!(
			"{who} holds {held} tokens of project {id} and the stake is {stake}: buy more (poi token buy {id} {})",
			stake - held
		);
	}
	let fee = chain::constant(&at, api::constants().proposals().verifier_fee())?
		.saturating_mul(u128::from(protocol.quorum));
	let deposit = chain::constant(&at, api::constants().proposals().proposal_deposit())?;
	let free = chain::free(&at, &who).await?;
	// The account must stay alive, and pay three transactions' fees (commit, reveal, claim).
	let alive = chain::constant(&at, api::constants().balances().existential_deposit())?;
	if free <= fee.saturating_add(deposit).saturating_add(alive).saturating_add(FEE_MARGIN) {
		bail!(
			"{who} has {} free; a proposal holds a {} verification fee and a {} deposit, plus transaction fees and the existential deposit: fund the account first",
			units::poi(free),
			units::poi(fee),
			units::poi(deposit)
		);
	}
	let digest = poi_primitives::digest_of(&std::fs::read(candidate)?);
	let held_by_chain = at
		.storage()
		.try_fetch(api::storage().proposals().candidates(), (id, digest))
		.await
		.map_err(|e| anyhow!("cannot read the project's candidates: {e}"))?;
	if held_by_chain.is_some() {
		bail!(
			"this candidate was proposed to project {id} already (poi proposals {id} lists them)"
		);
	}
	// A released candidate is reserved for its miner a while: anyone else's reveal would fail.
	let reserved = at
		.storage()
		.try_fetch(api::storage().proposals().reservations(), (id, digest))
		.await
		.map_err(|e| anyhow!("cannot read the project's reservations: {e}"))?;
	if let Some(reservation) = reserved {
		let reservation =
			reservation.decode().map_err(|e| anyhow!("cannot decode a reservation: {e}"))?;
		let theirs =
			chain::proposal(&at, reservation.proposal).await?.is_some_and(|p| p.proposer != who);
		if theirs && u64::from(reservation.until) >= at.block_number() {
			bail!(
				"this candidate is reserved for the miner of proposal {} until block {}",
				reservation.proposal,
				reservation.until
			);
		}
	}

	output::status("storing the candidate");
	let code = s.runner.put(candidate).await.context("storing the candidate")?;
	// The CID travels as text in the state file: it must come back the same bytes.
	if !code.cid.iter().all(|b| b.is_ascii_graphic()) {
		bail!("the store named the candidate with a CID that is not plain ASCII");
	}
	let salt = random_salt()?;
	let claim = claim_hash(claimed_score, &salt);
	let commitment = proposal_commitment(id, project.best, &code, &claim, &who.0);
	// Held until this run ends, so that a `--resume` or `poi mine` elsewhere leaves it alone.
	let _lock = State::lock(dir, &commitment)?
		.ok_or_else(|| anyhow!("commitment {commitment:?} is locked by another poi"))?;
	let mut state = State {
		genesis: client.genesis_hash(),
		proposer: who.to_string(),
		project: id,
		parent: project.best,
		code,
		claimed_score,
		salt,
		commitment,
		stake: stake.to_string(),
		stage: Stage::Prepared,
		proposal: None,
		prepared_at: u32::try_from(at.block_number()).ok(),
		extrinsics: Vec::new(),
	};
	state.save(dir)?;
	output::clear_status();
	if !s.quiet {
		eprintln!(
			"candidate measures {} {metric_name} (chain best {}); claiming {}, staking {stake} tokens; state in {}",
			metric(score),
			metric(best),
			metric(claimed_score),
			State::path(dir, &commitment).display()
		);
	}
	follow(client, signer, dir, &mut state, s.max_blocks).await
}

pub(crate) fn check_digest(
	path: &Path,
	on_chain: &poi_client::api::runtime_types::poi_primitives::ArtifactRef,
	what: &str,
	id: ProjectId,
) -> Result<()> {
	let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
	if poi_primitives::digest_of(&bytes) != on_chain.digest {
		bail!(
			"{} is not project {id}'s {what} (its digest differs from the chain's): pass the project's folder with --dir",
			path.display()
		);
	}
	Ok(())
}

/// A link could point anywhere (at a secret, say): only a plain file is stored and proposed.
fn plain_file(candidate: &Path) -> Result<()> {
	match std::fs::symlink_metadata(candidate) {
		Err(_) => bail!("the candidate {} does not exist", candidate.display()),
		Ok(meta) if !meta.is_file() => {
			bail!("the candidate {} is not a plain file", candidate.display())
		},
		Ok(_) => Ok(()),
	}
}

/// What three transactions (commit, reveal, claim) may cost in fees, with room to spare.
const FEE_MARGIN: u128 = 100_000_000_000;

/// The least score that beats `best` by `bps` of it.
fn least_beating(best: Score, bps: u32) -> Score {
	let gain = poi_primitives::share_of(best, bps).max(1);
	best.saturating_add(gain)
}

/// The fewest tokens whose value reaches the chain's least stake value (at most `held`).
async fn least_stake(at: &poi_client::AtBlock, id: ProjectId, held: u128) -> Result<u128> {
	let least = chain::constant(at, api::constants().proposals().min_stake())?;
	let least_value = chain::constant(at, api::constants().proposals().min_stake_value())?;
	let worth = |stake: u128| async move {
		Ok::<_, anyhow::Error>(
			chain::quote_sell(at, id, stake).await?.is_some_and(|v| v >= least_value),
		)
	};
	// The value of a stake grows with its size: the least one worth enough, by bisection.
	let (mut low, mut high) = (least.max(1), held.max(least));
	if worth(high).await? {
		while low < high {
			let mid = low + (high - low) / 2;
			if worth(mid).await? {
				high = mid;
			} else {
				low = mid + 1;
			}
		}
		return Ok(high);
	}
	bail!(
		"a stake must be worth at least {}; {held} tokens of project {id} are not: buy more (poi token buy {id} N)",
		units::poi(least_value)
	)
}

fn random_salt() -> Result<H256> {
	let mut salt = [0u8; 32];
	getrandom::getrandom(&mut salt).map_err(|e| anyhow!("no randomness for the salt: {e}"))?;
	Ok(H256::from(salt))
}

/// This signer's proposals still under way on this chain, read from the state folder.
pub struct Unfinished {
	/// Each with its lock, held while this process works on it.
	states: Vec<(State, std::fs::File)>,
	/// Unfinished states of this signer's that belong to other chains.
	pub other_chains: usize,
	/// Unfinished states another process is working on (its lock held).
	pub busy: usize,
}

impl Unfinished {
	/// The unfinished states in `dir` of `signer`'s on `client`'s chain (of `project` only,
	/// when given), but those whose commitment is in `skip`.
	pub fn load(
		client: &Client,
		signer: &Keypair,
		dir: &Path,
		project: Option<ProjectId>,
		skip: &std::collections::BTreeSet<H256>,
	) -> Result<Self> {
		let who = poi_client::account_of(signer).to_string();
		let mut found = Self { states: Vec::new(), other_chains: 0, busy: 0 };
		let Ok(entries) = std::fs::read_dir(dir) else { return Ok(found) };
		for entry in entries.flatten() {
			let path = entry.path();
			if path.extension().is_none_or(|e| e != "json") {
				continue;
			}
			let text =
				std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
			let state: State = serde_json::from_slice(&text)
				.map_err(|e| anyhow!("{}: not a proposal state: {e}", path.display()))?;
			if state.stage == Stage::Settled
				|| state.proposer != who
				|| project.is_some_and(|p| p != state.project)
				|| skip.contains(&state.commitment)
			{
				continue;
			}
			if state.genesis != client.genesis_hash() {
				found.other_chains += 1;
				continue;
			}
			match State::lock(dir, &state.commitment)? {
				Some(lock) => found.states.push((state, lock)),
				None => found.busy += 1,
			}
		}
		Ok(found)
	}

	/// How many are under way.
	pub fn len(&self) -> usize {
		self.states.len()
	}

	/// Whether none is.
	pub fn is_empty(&self) -> bool {
		self.states.is_empty()
	}

	/// One pass over all of them: every step that is due (a reveal, a claim) is done for each
	/// before anyone waits, so that following one round never lets another's window pass.
	/// What settled or failed leaves the set: each with its commitment and the outcome. What
	/// the others wait for is in `waiting`.
	pub async fn advance(
		&mut self,
		client: &Client,
		signer: &Keypair,
		dir: &Path,
		waiting: &mut Vec<String>,
	) -> Vec<(H256, Result<Settled>)> {
		let mut done = Vec::new();
		let mut still = Vec::new();
		for (mut state, lock) in std::mem::take(&mut self.states) {
			match step(client, signer, dir, &mut state, Mode::Resume).await {
				Ok(Progress::Settled(settled)) => done.push((state.commitment, Ok(settled))),
				Ok(Progress::Waiting(phase)) => {
					waiting.push(phase);
					still.push((state, lock));
				},
				Err(e) => done.push((state.commitment, Err(e))),
			}
		}
		self.states = still;
		done
	}

	/// The commitments under way.
	pub fn commitments(&self) -> impl Iterator<Item = H256> + '_ {
		self.states.iter().map(|(s, _)| s.commitment)
	}
}

async fn resume(global: &Global, signer: &Keypair, dir: &Path, max_blocks: u32) -> Result<()> {
	let client = global.connect().await?;
	let mut unfinished = Unfinished::load(&client, signer, dir, None, &Default::default())?;
	if unfinished.is_empty() {
		if unfinished.busy > 0 {
			bail!(
				"{} unfinished proposal(s) in {} are being followed by another poi (propose, --resume or mine): let it finish",
				unfinished.busy,
				dir.display()
			);
		}
		if unfinished.other_chains > 0 {
			bail!(
				"{} unfinished proposal(s) in {} belong to another chain (genesis differs from the node at {}): pass that chain's --url",
				unfinished.other_chains,
				dir.display(),
				global.url
			);
		}
		bail!("no unfinished proposal of {} in {}", poi_client::account_of(signer), dir.display());
	}
	// All of them at once; one that fails does not stop the others.
	let mut failed = Vec::new();
	let start = chain::now(&client).await?.block_number();
	loop {
		let mut waiting = Vec::new();
		for (commitment, outcome) in unfinished.advance(&client, signer, dir, &mut waiting).await {
			output::clear_status();
			match outcome {
				Ok(settled) => output::print(global.json, settled.json, || settled.text),
				Err(e) => {
					eprintln!("warning: commitment {commitment:?}: {e:#}");
					failed.push(format!("{commitment:?}"));
				},
			}
		}
		if unfinished.is_empty() {
			break;
		}
		let now = chain::now(&client).await?.block_number();
		output::status(format!("block {now}: {}", waiting.join("; ")));
		if now.saturating_sub(start) > u64::from(max_blocks) {
			output::clear_status();
			for commitment in unfinished.commitments() {
				eprintln!(
					"warning: commitment {commitment:?} is still under way after {max_blocks} blocks"
				);
				failed.push(format!("{commitment:?}"));
			}
			break;
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	if !failed.is_empty() {
		bail!(
			"{} unfinished proposal(s) failed: {} (poi propose --resume again)",
			failed.len(),
			failed.join(", ")
		);
	}
	Ok(())
}

/// Takes `state` from its stage to settlement, saving it after each step.
async fn follow(
	client: &Client,
	signer: &Keypair,
	dir: &Path,
	state: &mut State,
	max_blocks: u32,
) -> Result<Settled> {
	let start = chain::now(client).await?.block_number();
	loop {
		match step(client, signer, dir, state, Mode::Fresh).await? {
			Progress::Settled(settled) => return Ok(settled),
			Progress::Waiting(phase) => {
				let now = chain::now(client).await?.block_number();
				output::status(format!("block {now}: {phase}"));
				if now.saturating_sub(start) > u64::from(max_blocks) {
					bail!(
						"commitment {:?} is still under way after {max_blocks} blocks ({phase}): run poi propose --resume later",
						state.commitment
					);
				}
				tokio::time::sleep(Duration::from_secs(2)).await;
			},
		}
	}
}

/// Whether a state was just written by this run, or read back from a file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
	/// Just prepared: its commit is sent now.
	Fresh,
	/// Read back: its commit may have been sent, included, revealed or forfeited meanwhile.
	Resume,
}

/// What one look at the chain did for a state.
enum Progress {
	Settled(Settled),
	/// Nothing is due yet: what it waits for.
	Waiting(String),
}

/// Does what is due for `state` now (commit, reveal, reveal the claim), saving it after each
/// step, and says whether it has settled. Never waits for a block.
async fn step(
	client: &Client,
	signer: &Keypair,
	dir: &Path,
	state: &mut State,
	mode: Mode,
) -> Result<Progress> {
	let who = poi_client::account_of(signer);
	let at = chain::best(client).await?;
	let record = at
		.storage()
		.try_fetch(api::storage().proposals().commitments(), (state.commitment,))
		.await
		.map_err(|e| anyhow!("cannot read commitments: {e}"))?
		.map(|r| r.decode())
		.transpose()
		.map_err(|e| anyhow!("cannot decode the commitment: {e}"))?;
	if let Some(record) = &record {
		if record.who != who {
			bail!(
				"commitment {:?} is on chain, committed by {} (a copy from the pool): start the proposal again for a new salt",
				state.commitment,
				record.who
			);
		}
	}
	match (state.stage, record) {
		// On chain already: committed before an interruption.
		(Stage::Prepared, Some(_)) => commit(client, signer, dir, state, false).await,
		(Stage::Prepared, None) if mode == Mode::Fresh => {
			commit(client, signer, dir, state, true).await
		},
		(Stage::Prepared | Stage::Committed, None) => not_on_chain(client, dir, state, &who).await,
		(Stage::Committed, Some(record)) => {
			reveal(client, signer, dir, state, &at, record.block).await
		},
		(Stage::Revealed | Stage::ClaimRevealed | Stage::Settled, _) => {
			in_round(client, signer, dir, state, &at).await
		},
	}
}

/// Sends the commit of `state` (when `send`; else it is on chain already) and marks it
/// committed.
async fn commit(
	client: &Client,
	signer: &Keypair,
	dir: &Path,
	state: &mut State,
	send: bool,
) -> Result<Progress> {
	if send {
		let stake: u128 = state.stake.parse().context("the state's stake")?;
		let call = api::tx().proposals().commit(state.project, state.commitment, stake);
		let included = poi_client::submit(client, &call, signer, output::progress("commit"))
			.await
			.map_err(|e| anyhow!("commit: {e}"))?;
		state.extrinsics.push(format!("commit {:?}", included.extrinsic));
	}
	state.stage = Stage::Committed;
	state.save(dir)?;
	Ok(Progress::Waiting(format!("commitment {:?} committed", state.commitment)))
}

/// `state`'s commitment is not on chain: read back around its commit (which never landed, or
/// landed and was revealed or forfeited since), or after it (revealed before an interruption,
/// or forfeited). A proposal revealed from it while nobody watched is found, and the state
/// then names it, at stage Revealed; else it fails: a state prepared is never committed again
/// unchecked, and one committed was forfeited, and settles.
async fn not_on_chain(
	client: &Client,
	dir: &Path,
	state: &mut State,
	who: &AccountId,
) -> Result<Progress> {
	state.proposal = find_proposal(client, state, who).await?;
	if let Some(found) = state.proposal {
		state.stage = Stage::Revealed;
		state.save(dir)?;
		return Ok(Progress::Waiting(format!("proposal {found} found revealed")));
	}
	if state.stage == Stage::Prepared {
		bail!(
			"its commit is not on chain (it never landed, or its reveal window passed and the stake was forfeited): propose the candidate again with poi propose (and delete {})",
			State::path(dir, &state.commitment).display()
		);
	}
	state.stage = Stage::Settled;
	state.save(dir)?;
	bail!(
		"commitment {:?} is no longer on chain and no proposal of it is: its reveal window passed and the stake was forfeited",
		state.commitment
	);
}

/// Reveals committed `state` once the chain takes it: in a block at least RevealDelay after
/// its commit's, `committed_at`.
async fn reveal(
	client: &Client,
	signer: &Keypair,
	dir: &Path,
	state: &mut State,
	at: &poi_client::AtBlock,
	committed_at: u32,
) -> Result<Progress> {
	let reveal_delay = chain::constant(at, api::constants().proposals().reveal_delay())?;
	let reveal_from = u64::from(committed_at).saturating_add(u64::from(reveal_delay));
	if at.block_number() < reveal_from {
		return Ok(Progress::Waiting(format!(
			"commitment {:?}: reveal from block {reveal_from}",
			state.commitment
		)));
	}
	let call = api::tx().proposals().reveal(
		state.commitment,
		state.parent,
		poi_client::artifact(&state.code),
		claim_hash(state.claimed_score, &state.salt),
	);
	let included = poi_client::submit(client, &call, signer, output::progress("reveal"))
		.await
		.map_err(|e| anyhow!("reveal: {e}"))?;
	state.extrinsics.push(format!("reveal {:?}", included.extrinsic));
	if let Some(forfeited) =
		included.events.find_first::<api::proposals::events::StakeForfeited>().and_then(|e| e.ok())
	{
		state.stage = Stage::Settled;
		state.save(dir)?;
		bail!("the reveal was refused and the stake forfeited ({:?})", forfeited.reason);
	}
	let revealed = included
		.events
		.find_first::<api::proposals::events::Revealed>()
		.and_then(|e| e.ok())
		.ok_or_else(|| anyhow!("reveal succeeded without a Revealed event"))?;
	state.proposal = Some(revealed.proposal);
	state.stage = Stage::Revealed;
	state.save(dir)?;
	Ok(Progress::Waiting(format!("proposal {} revealed", revealed.proposal)))
}

/// Revealed `state`, in its round: its claim is revealed once verifiers stop committing, and
/// it settles once the round has decided.
async fn in_round(
	client: &Client,
	signer: &Keypair,
	dir: &Path,
	state: &mut State,
	at: &poi_client::AtBlock,
) -> Result<Progress> {
	let now = at.block_number();
	let proposal = state.proposal.ok_or_else(|| anyhow!("the state names no proposal"))?;
	let info = chain::proposal(at, proposal)
		.await?
		.ok_or_else(|| anyhow!("proposal {proposal} is not on this chain"))?;
	if !matches!(info.status, ProposalStatus::Verifying) {
		state.stage = Stage::Settled;
		state.save(dir)?;
		return Ok(Progress::Settled(settled_text(client, state, proposal, &info).await?));
	}
	let round = at
		.storage()
		.try_fetch(api::storage().proposals().rounds(), (proposal,))
		.await
		.map_err(|e| anyhow!("cannot read proposal {proposal}'s round: {e}"))?
		.map(|r| r.decode())
		.transpose()
		.map_err(|e| anyhow!("cannot decode proposal {proposal}'s round: {e}"))?;
	use api::runtime_types::poi_primitives::Phase;
	// Verifiers' verdicts are revealed, and the claim may be: once they stop committing.
	let due = round.as_ref().is_some_and(|round| match round.phase {
		Phase::Reveal => true,
		Phase::Commit => now > u64::from(round.commit_until),
		Phase::Draw => false,
	});
	let phase = match &round {
		_ if due => "verdict reveal phase".to_string(),
		Some(round) if matches!(round.phase, Phase::Commit) => {
			format!("verifiers committing (until block {})", round.commit_until)
		},
		_ => "waiting for its round's draw".into(),
	};
	if state.stage == Stage::Revealed {
		let hidden =
			matches!(info.claim, api::runtime_types::pallet_proposals::types::Claim::Hidden(_));
		if hidden && due {
			let call =
				api::tx().proposals().reveal_claim(proposal, state.claimed_score, state.salt);
			let included =
				poi_client::submit(client, &call, signer, output::progress("reveal_claim"))
					.await
					.map_err(|e| anyhow!("reveal_claim: {e}"))?;
			state.extrinsics.push(format!("revealClaim {:?}", included.extrinsic));
		}
		if !hidden || due {
			// Revealed now, or before an interruption.
			state.stage = Stage::ClaimRevealed;
			state.save(dir)?;
		}
	}
	Ok(Progress::Waiting(format!("proposal {proposal}: {phase}")))
}

/// What a settled proposal came to, for scripts and for people.
async fn settled_text(
	client: &Client,
	state: &State,
	proposal: ProposalId,
	settled: &chain::ProposalInfo,
) -> Result<Settled> {
	let id = state.project;
	let at = chain::now(client).await?;
	let project = chain::project(&at, id).await?;
	let direction = poi_client::direction_from(&project.protocol.metric.direction);
	let metric = |s: Score| units::metric(s, direction, project.protocol.metric.scale_exponent);
	let outcome = outcome_text(&settled.status);
	Ok(Settled {
		json: json!({
			"proposal": proposal, "project": id, "status": chain::status_name(&settled.status),
			"outcome": outcome, "verifiedScore": settled.verified_score.map(|s| s.to_string()),
			"claimedScore": state.claimed_score.to_string(), "commitment": format!("{:?}", state.commitment),
			"code": state.code, "extrinsics": state.extrinsics,
		}),
		text: format!(
			"proposal {proposal}: {} (verified {}, claimed {}): {outcome}",
			chain::status_text(&settled.status),
			settled.verified_score.map(metric).unwrap_or_else(|| "-".into()),
			metric(state.claimed_score),
		),
	})
}

/// What a settled status meant for the miner.
fn outcome_text(status: &ProposalStatus<AccountId, u128, u32>) -> String {
	use api::runtime_types::pallet_proposals::types::RewardState;
	match status {
		ProposalStatus::Approved { reward, .. } => match reward {
			RewardState::Paid(amount) => format!("stake returned, {amount} tokens paid"),
			RewardState::Escrowed { amount, .. } => {
				format!("stake returned, {amount} tokens held until the challenge window ends")
			},
		},
		ProposalStatus::Rejected(_) => "stake slashed".into(),
		ProposalStatus::Released(_) => "stake returned, nothing paid".into(),
		ProposalStatus::Superseded { .. } => "superseded by a better proposal".into(),
		ProposalStatus::Expired => "expired".into(),
		ProposalStatus::Overturned { .. } => "overturned by a challenge".into(),
		ProposalStatus::Verifying => "still verifying".into(),
	}
}

/// The proposal revealed from `state`'s commitment: its project's proposals, newest first,
/// back to the first revealed before the state was prepared (proposal ids follow their
/// reveals).
async fn find_proposal(
	client: &Client,
	state: &State,
	who: &AccountId,
) -> Result<Option<ProposalId>> {
	let at = chain::best(client).await?;
	const PAGE: u32 = 100;
	let mut end = chain::proposal_count(&at, state.project).await?;
	while end > 0 {
		let start = end.saturating_sub(PAGE);
		let mut page = chain::proposals(&at, state.project, start, end - start).await?;
		page.reverse();
		for (id, p) in page {
			if state.prepared_at.is_some_and(|block| p.revealed_at < block) {
				return Ok(None);
			}
			if p.proposer != *who {
				continue;
			}
			// The commitment it was revealed from, computed again: the claim's hash needs the
			// state's salt once the claim itself is shown.
			let claim = match &p.claim {
				api::runtime_types::pallet_proposals::types::Claim::Hidden(hash) => *hash,
				api::runtime_types::pallet_proposals::types::Claim::Revealed(score) => {
					claim_hash(*score, &state.salt)
				},
			};
			let Some(code) = poi_client::artifact_from(&p.code) else { continue };
			if proposal_commitment(p.project, p.parent, &code, &claim, &who.0) == state.commitment {
				return Ok(Some(id));
			}
		}
		end = start;
	}
	Ok(None)
}

pub async fn list(global: &Global, args: ListArgs) -> Result<()> {
	let client = global.connect().await?;
	let at = chain::now(&client).await?;
	let project = chain::project(&at, args.id).await?;
	let direction = poi_client::direction_from(&project.protocol.metric.direction);
	let scale = project.protocol.metric.scale_exponent;
	let metric = |s: Score| units::metric(s, direction, scale);
	let proposals = project::recent_proposals(&at, args.id, args.limit.min(100)).await?;
	let rows: Vec<_> = proposals
		.iter()
		.map(|(id, p)| {
			json!({
				"id": id, "proposer": p.proposer.to_string(), "parent": p.parent,
				"code": poi_client::artifact_from(&p.code), "status": chain::status_name(&p.status),
				"statusText": chain::status_text(&p.status),
				"verifiedScore": p.verified_score.map(|s| s.to_string()),
				"verified": p.verified_score.map(metric),
				"claimedScore": match &p.claim {
					api::runtime_types::pallet_proposals::types::Claim::Revealed(s) => Some(s.to_string()),
					_ => None,
				},
				"stake": p.stake.to_string(), "revealedAt": p.revealed_at,
			})
		})
		.collect();
	output::print(global.json, json!(rows), || {
		if proposals.is_empty() {
			return format!("project {} has no proposals yet", args.id);
		}
		proposals
			.iter()
			.map(|(id, p)| {
				format!(
					"{id:>5}  {:<30} verified {:>14}  by {}  block {}",
					chain::status_text(&p.status),
					p.verified_score.map(metric).unwrap_or_else(|| "-".into()),
					p.proposer,
					p.revealed_at
				)
			})
			.collect::<Vec<_>>()
			.join("\n")
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_least_beating_score_beats_and_one_less_does_not() {
		for (best, bps) in
			[(-151_234i128, 100u32), (-997_900, 50), (1_000, 0), (0, 100), (7, 10_000)]
		{
			let least = least_beating(best, bps);
			assert!(beats(least, best, bps), "{least} beats {best} by {bps}");
			assert!(!beats(least - 1, best, bps), "{} does not", least - 1);
		}
	}

	#[test]
	fn one_process_at_a_time_holds_a_states_lock() {
		let dir = tempfile::tempdir().unwrap();
		let folder = dir.path().join("states");
		let commitment = H256::repeat_byte(5);
		let held = State::lock(&folder, &commitment).unwrap().expect("free at first");
		// Another open file (as another process would have) cannot take it meanwhile.
		assert!(State::lock(&folder, &commitment).unwrap().is_none());
		assert!(State::lock(&folder, &H256::repeat_byte(6)).unwrap().is_some(), "per state");
		drop(held);
		assert!(State::lock(&folder, &commitment).unwrap().is_some(), "released when closed");
		use std::os::unix::fs::PermissionsExt;
		assert_eq!(std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777, 0o700);
	}

	#[test]
	fn a_state_round_trips_and_is_private() {
		let dir = tempfile::tempdir().unwrap();
		let state = State {
			genesis: H256::repeat_byte(1),
			proposer: "5Grw".into(),
			project: 3,
			parent: 0,
			code: ArtifactRef::new(H256::repeat_byte(2), b"cid".to_vec()).unwrap(),
			claimed_score: -170_141_183_460_469_231_731_687_303_715_884_105_728,
			salt: H256::repeat_byte(9),
			commitment: H256::repeat_byte(4),
			stake: "5".into(),
			stage: Stage::Revealed,
			proposal: Some(7),
			prepared_at: Some(12),
			extrinsics: vec!["commit 0x00".into()],
		};
		state.save(dir.path()).unwrap();
		let path = State::path(dir.path(), &state.commitment);
		use std::os::unix::fs::PermissionsExt;
		assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		let back: State = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
		assert_eq!(back.claimed_score, state.claimed_score);
		assert_eq!((back.stage, back.proposal, back.salt), (Stage::Revealed, Some(7), state.salt));
	}
}
