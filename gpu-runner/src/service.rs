//! The job service: a bounded queue of jobs, worker threads that evaluate them, signed
//! verdicts, and results kept on disk so that a restarted runner answers for jobs it finished.

use crate::{
	evaluate::{self, Finding},
	store::Store,
};
use anyhow::{Context, Result};
use poi_offchain::wire::{runner_payload, JobRequest, JobState, JobStatus, RunnerInfo, Signature};
use poi_primitives::{digest_of, ArtifactRef, Verdict};
use sp_core::{sr25519, Pair, H256};
use std::{
	collections::HashMap,
	fs,
	path::PathBuf,
	sync::{mpsc, Arc, Mutex},
	thread,
	time::{Duration, Instant, SystemTime},
};

/// How many jobs this machine can evaluate at once: one per core, and at most one per 4 GiB of
/// memory (a candle-gpt job's or a command trial's own limit), 1 to 16.
pub fn default_workers() -> u32 {
	let cores = thread::available_parallelism().map_or(1, |n| n.get() as u64);
	let memory_gib = fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|info| {
			let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
			line.split_whitespace().nth(1)?.parse::<u64>().ok()
		})
		.map_or(4, |kib| kib >> 20);
	cores.min(memory_gib / 4).clamp(1, 16) as u32
}

/// Why a job was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SubmitError {
	/// The queue holds its capacity of jobs.
	QueueFull(u32),
	/// The runner has no evaluator for the job.
	Unsupported(&'static str),
}

impl std::fmt::Display for SubmitError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			SubmitError::QueueFull(n) => {
				write!(f, "queue full: {n} jobs waiting or running; try again later")
			},
			SubmitError::Unsupported(name) => write!(f, "this runner has no {name} evaluator"),
		}
	}
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
	Queued,
	Running,
}

/// The runner's jobs.
pub struct Service {
	key: sr25519::Pair,
	store: Arc<dyn Store>,
	results: PathBuf,
	capacity: u32,
	jobs: Mutex<HashMap<H256, Slot>>,
	queue: mpsc::SyncSender<(JobRequest, Instant)>,
	tools: evaluate::Tools,
	devices: Vec<String>,
	job_limit: Duration,
}

impl Service {
	/// Starts a service with `workers` worker threads, a queue of `capacity` jobs, results kept
	/// under `results`, candle-gpt jobs trained by `tools`' trainer (`poi-gpt`) and command
	/// jobs run in its sandbox (without them the runner refuses those jobs), and `job_limit` for each job from its acceptance to its verdict
	/// (a job that cannot finish by then is answered with a signed harness error).
	pub fn start(
		key: sr25519::Pair,
		store: Arc<dyn Store>,
		results: PathBuf,
		capacity: u32,
		workers: u32,
		tools: evaluate::Tools,
		job_limit: Duration,
	) -> Result<Arc<Self>> {
		crate::private::create_dir(&results).context("the results directory")?;
		let (queue, receiver) = mpsc::sync_channel(capacity.max(1) as usize);
		let service = Arc::new(Service {
			key,
			store,
			results,
			capacity: capacity.max(1),
			jobs: Mutex::new(HashMap::new()),
			queue,
			devices: evaluate::gpt::devices(tools.trainer.as_deref()),
			tools,
			job_limit,
		});
		let receiver = Arc::new(Mutex::new(receiver));
		for n in 0..workers.max(1) {
			let service = Arc::clone(&service);
			let receiver = Arc::clone(&receiver);
			thread::Builder::new()
				.name(format!("poi-job-{n}"))
				.spawn(move || loop {
					let next = receiver.lock().expect("no worker panics holding it; qed").recv();
					match next {
						Ok((job, accepted)) => service.execute(job, accepted),
						Err(_) => break,
					}
				})
				.context("starting a worker thread")?;
		}
		Ok(service)
	}

	/// The runner's public key.
	pub fn public(&self) -> sr25519::Public {
		self.key.public()
	}

	/// The artifact store.
	pub fn store(&self) -> &dyn Store {
		&*self.store
	}

	/// Forgets results and blobs older than `retention` allows; how many of each went.
	pub fn collect_garbage(&self, retention: crate::gc::Retention) -> Result<(usize, usize)> {
		let results = crate::gc::sweep(&self.results, retention.results, SystemTime::now())?;
		let blobs = self.store.collect_garbage(retention.blobs)?;
		if results + blobs > 0 {
			log::info!("forgot {results} old results and {blobs} unused blobs");
		}
		Ok((results, blobs))
	}

	/// Sweeps now, and then every [`crate::gc::SWEEP_EVERY`] on a thread of its own.
	pub fn start_garbage_collection(
		self: &Arc<Self>,
		retention: crate::gc::Retention,
	) -> Result<()> {
		let service = Arc::downgrade(self);
		thread::Builder::new()
			.name("poi-gc".into())
			.spawn(move || {
				while let Some(service) = service.upgrade() {
					if let Err(e) = service.collect_garbage(retention) {
						log::warn!("garbage collection: {e:#}");
					}
					drop(service);
					thread::sleep(crate::gc::SWEEP_EVERY);
				}
			})
			.context("starting the garbage collector")?;
		Ok(())
	}

	/// Takes `job` (or answers for it if it is already known).
	pub fn submit(&self, job: JobRequest) -> Result<JobStatus, SubmitError> {
		let id = job.id();
		let mut jobs = self.jobs.lock().expect("never poisoned: no panics under the lock; qed");
		if let Some(status) = self.known(&jobs, id) {
			return Ok(status);
		}
		if !self.tools.evaluators().contains(&job.evaluator.name()) {
			return Err(SubmitError::Unsupported(job.evaluator.name()));
		}
		if jobs.len() >= self.capacity as usize {
			return Err(SubmitError::QueueFull(self.capacity));
		}
		let (proposal, evaluator) = (job.proposal, job.evaluator.name());
		self.queue
			.try_send((job, Instant::now()))
			.map_err(|_| SubmitError::QueueFull(self.capacity))?;
		jobs.insert(id, Slot::Queued);
		log::info!("job {id:?} queued: proposal {proposal}, evaluator {evaluator}");
		Ok(JobStatus { id, state: JobState::Queued })
	}

	/// Where job `id` is.
	pub fn status(&self, id: H256) -> JobStatus {
		let jobs = self.jobs.lock().expect("never poisoned; qed");
		self.known(&jobs, id).unwrap_or(JobStatus { id, state: JobState::Unknown })
	}

	fn known(&self, jobs: &HashMap<H256, Slot>, id: H256) -> Option<JobStatus> {
		match jobs.get(&id) {
			Some(Slot::Queued) => Some(JobStatus { id, state: JobState::Queued }),
			Some(Slot::Running) => Some(JobStatus { id, state: JobState::Running }),
			None => self.result(id),
		}
	}

	fn result_path(&self, id: H256) -> PathBuf {
		self.results.join(format!("{}.json", hex::encode(id.as_bytes())))
	}

	fn result(&self, id: H256) -> Option<JobStatus> {
		let bytes = fs::read(self.result_path(id)).ok()?;
		match serde_json::from_slice(&bytes) {
			Ok(status) => Some(status),
			Err(e) => {
				log::warn!("ignoring damaged result file of job {id:?}: {e}");
				None
			},
		}
	}

	/// What `info` answers.
	pub fn info(&self) -> RunnerInfo {
		let queued = self.jobs.lock().expect("never poisoned; qed").len() as u32;
		RunnerInfo {
			public_key: H256(self.key.public().0),
			version: env!("CARGO_PKG_VERSION").into(),
			devices: self.devices.clone(),
			evaluators: self.tools.evaluators().into_iter().map(String::from).collect(),
			store: self.store.kind().into(),
			queued,
			capacity: self.capacity,
		}
	}

	fn set(&self, id: H256, slot: Option<Slot>) {
		let mut jobs = self.jobs.lock().expect("never poisoned; qed");
		match slot {
			Some(slot) => jobs.insert(id, slot),
			None => jobs.remove(&id),
		};
	}

	fn execute(&self, job: JobRequest, accepted: Instant) {
		let id = job.id();
		self.set(id, Some(Slot::Running));
		log::info!(
			"job {id:?} started: proposal {}, candidate {:?}",
			job.proposal,
			job.code.digest
		);
		let started = Instant::now();
		let time_left = self.job_limit.saturating_sub(accepted.elapsed());
		let evaluation = if time_left.is_zero() {
			// It waited its whole time in the queue: the verifier still gets a verdict.
			evaluate::Evaluation {
				finding: Finding::HarnessError,
				log: format!(
					"job {id:?}: waited in the queue past the runner's job limit of {} s\n",
					self.job_limit.as_secs()
				),
			}
		} else {
			std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
				evaluate::evaluate_with(&job, &*self.store, &self.tools, time_left)
			}))
			.unwrap_or_else(|_| evaluate::Evaluation {
				finding: Finding::HarnessError,
				log: "the evaluator panicked\n".into(),
			})
		};
		let status = self.seal(&job, evaluation);
		if let JobState::Done { verdict, .. } = &status.state {
			log::info!(
				"job {id:?} done in {:.1} s: {}",
				started.elapsed().as_secs_f64(),
				describe(verdict)
			);
		}
		let written =
			serde_json::to_vec(&status).context("encoding the result").and_then(|bytes| {
				let path = self.result_path(id);
				let tmp = path.with_extension("tmp");
				fs::write(&tmp, bytes)?;
				fs::rename(&tmp, &path)?;
				Ok(())
			});
		if let Err(e) = written {
			log::error!("job {id:?}: keeping its result failed: {e:#}");
		}
		self.set(id, None);
	}

	/// Stores the log, builds the verdict and signs it.
	pub fn seal(&self, job: &JobRequest, evaluation: evaluate::Evaluation) -> JobStatus {
		seal(&self.key, &*self.store, job, evaluation)
	}
}

/// Stores `evaluation`'s log in `store`, builds the verdict and signs it with `key`.
pub fn seal(
	key: &sr25519::Pair,
	store: &dyn Store,
	job: &JobRequest,
	evaluation: evaluate::Evaluation,
) -> JobStatus {
	let log = store.put(evaluation.log.as_bytes()).unwrap_or_else(|e| {
		log::error!("storing the log of job {:?} failed: {e:#}", job.id());
		ArtifactRef { digest: digest_of(evaluation.log.as_bytes()), cid: Default::default() }
	});
	let verdict = match evaluation.finding {
		Finding::Score(score) => Verdict::Score { score, log },
		Finding::Invalid => Verdict::Invalid { log },
		Finding::HarnessError => Verdict::HarnessError { log },
	};
	let signature = Signature(key.sign(&runner_payload(job, &verdict)).0);
	JobStatus { id: job.id(), state: JobState::Done { verdict, signature } }
}

fn describe(verdict: &Verdict) -> String {
	match verdict {
		Verdict::Score { score, .. } => format!("score {score}"),
		Verdict::Invalid { .. } => "invalid".into(),
		Verdict::HarnessError { .. } => "harness error".into(),
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use crate::{
		evaluate::tests::{candidate, HARNESS},
		store::BlobStore,
	};
	use poi_primitives::Evaluator;
	use std::time::{Duration, Instant};

	/// A job on a fresh store: the byte-sum harness and a candidate.
	pub(crate) fn job_with(
		store: &dyn Store,
		candidate_text: &str,
		wall_seconds: u32,
	) -> JobRequest {
		let document = format!(r#"{{"wasm": {{"wallSeconds": {wall_seconds}}}}}"#);
		crate::evaluate::tests::job(
			store,
			document.as_bytes(),
			&wat::parse_str(HARNESS).unwrap(),
			&wat::parse_str(candidate_text).unwrap(),
		)
	}

	pub(crate) fn wait_done(service: &Service, id: H256) -> JobStatus {
		let deadline = Instant::now() + Duration::from_secs(30);
		loop {
			let status = service.status(id);
			if matches!(status.state, JobState::Done { .. }) {
				return status;
			}
			assert!(Instant::now() < deadline, "job {id:?} not done: {status:?}");
			thread::sleep(Duration::from_millis(20));
		}
	}

	fn start(dir: &std::path::Path, capacity: u32) -> Arc<Service> {
		let store = Arc::new(BlobStore::open(&dir.join("blobs")).unwrap());
		Service::start(
			crate::keys::dev_key(),
			store,
			dir.join("results"),
			capacity,
			1,
			evaluate::Tools::default(),
			evaluate::DEFAULT_JOB_LIMIT,
		)
		.unwrap()
	}

	#[test]
	fn jobs_are_evaluated_signed_and_remembered_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		let service = start(dir.path(), 4);
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			for private in ["results", "blobs"] {
				let mode = fs::metadata(dir.path().join(private)).unwrap().permissions().mode();
				assert_eq!(mode & 0o777, 0o700, "{private}");
			}
		}
		let job = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		let first = service.submit(job.clone()).unwrap();
		assert_eq!(first.id, job.id());
		let done = wait_done(&service, job.id());
		let JobState::Done { verdict, signature } = &done.state else { unreachable!() };
		let Verdict::Score { score, log } = verdict else { panic!("{verdict:?}") };
		assert!(*score < 0, "minimised fuel");
		// The log is in the store, and it says what happened.
		let text = String::from_utf8(service.store().fetch(log).unwrap()).unwrap();
		assert!(text.contains(&format!("verdict: score {score}")), "{text}");
		// The signature is over (genesis, proposal, round, seed, verifier, BLAKE2(verdict))
		// with the runner's key, and good for nothing else.
		let payload = runner_payload(&job, verdict);
		assert!(sr25519::Pair::verify(
			&sr25519::Signature::from_raw(signature.0),
			&payload,
			&service.public()
		));
		for change in [
			|j: &mut JobRequest| j.proposal = 8,
			|j: &mut JobRequest| j.round = poi_primitives::RoundKind::Challenge,
			|j: &mut JobRequest| j.seed = H256::repeat_byte(0xee),
			|j: &mut JobRequest| j.verifier = H256::repeat_byte(0xee),
		] {
			let mut other = job.clone();
			change(&mut other);
			assert!(!sr25519::Pair::verify(
				&sr25519::Signature::from_raw(signature.0),
				runner_payload(&other, verdict),
				&service.public()
			));
		}

		// Submitting again answers with the result, not a second run.
		assert_eq!(service.submit(job.clone()).unwrap(), done);
		// A restarted runner still knows it.
		drop(service);
		let restarted = start(dir.path(), 4);
		assert_eq!(restarted.status(job.id()), done);
		let unknown = H256::repeat_byte(0xee);
		assert_eq!(restarted.status(unknown), JobStatus { id: unknown, state: JobState::Unknown });
	}

	#[test]
	fn a_job_for_the_same_round_with_other_content_cannot_poison_the_real_one() {
		// Whoever reaches the runner first submits the verifier's round (same chain, proposal,
		// round, seed and verifier) with another candidate, hoping that the worker's later
		// request is answered from that cached verdict.
		let dir = tempfile::tempdir().unwrap();
		let service = start(dir.path(), 4);
		let real = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		let mut poisoned = real.clone();
		poisoned.code = job_with(service.store(), &candidate(1, 0, "", "(unreachable)"), 20).code;
		let planted = service.submit(poisoned.clone()).unwrap();
		wait_done(&service, planted.id);

		let answer = service.submit(real.clone()).unwrap();
		assert_ne!(answer.id, planted.id, "another request is another job");
		let JobState::Done { verdict, .. } = wait_done(&service, real.id()).state else {
			unreachable!()
		};
		assert!(
			matches!(verdict, Verdict::Score { .. }),
			"the real candidate was run: {verdict:?}"
		);
		let JobState::Done { verdict, .. } = service.status(planted.id).state else {
			unreachable!()
		};
		assert!(matches!(verdict, Verdict::Invalid { .. }), "{verdict:?}");
		// Every part of the request names the job.
		for change in [
			|j: &mut JobRequest| j.evaluator = Evaluator::Wasm { fuel: 7 },
			|j: &mut JobRequest| j.direction = poi_primitives::Direction::Maximize,
			|j: &mut JobRequest| j.scale_exponent = 3,
			|j: &mut JobRequest| j.project = 9,
			|j: &mut JobRequest| j.document.digest = H256::repeat_byte(1),
			|j: &mut JobRequest| j.benchmark.digest = H256::repeat_byte(1),
			|j: &mut JobRequest| j.code.cid = Default::default(),
		] {
			let mut other = real.clone();
			change(&mut other);
			assert_ne!(other.id(), real.id());
		}
	}

	#[test]
	fn old_results_and_unused_blobs_are_forgotten() {
		let dir = tempfile::tempdir().unwrap();
		let service = start(dir.path(), 4);
		let job = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		let done = wait_done(&service, service.submit(job.clone()).unwrap().id);
		let unused = service.store().put(b"a blob nobody reads").unwrap();
		let day = Duration::from_secs(86400);
		let retention = crate::gc::Retention { results: 2 * day, blobs: 30 * day };
		// Nothing is old yet.
		assert_eq!(service.collect_garbage(retention).unwrap(), (0, 0));
		assert_eq!(service.status(job.id()), done);
		// Three days on, the result goes; 31 days on, the blobs nobody read since go, and the
		// one a job reads again stays.
		let age = |path: PathBuf, by: Duration| {
			let file = fs::File::options().write(true).open(path).unwrap();
			file.set_modified(SystemTime::now() - by).unwrap();
		};
		let blob =
			|a: &ArtifactRef| dir.path().join("blobs").join(std::str::from_utf8(&a.cid).unwrap());
		age(service.result_path(job.id()), 3 * day);
		for artifact in [&job.code, &job.benchmark, &job.document, &unused] {
			age(blob(artifact), 31 * day);
		}
		service.store().fetch(&job.benchmark).unwrap();
		let JobState::Done { verdict, .. } = &done.state else { unreachable!() };
		let log_blob = blob(verdict.log());
		age(log_blob.clone(), 31 * day);
		assert_eq!(service.collect_garbage(retention).unwrap(), (1, 4));
		assert_eq!(service.status(job.id()).state, JobState::Unknown);
		assert!(blob(&job.benchmark).exists(), "read again: renewed");
		assert!(!log_blob.exists() && !blob(&unused).exists() && !blob(&job.code).exists());
	}

	#[test]
	fn a_full_queue_refuses_jobs_and_takes_them_again_later() {
		let dir = tempfile::tempdir().unwrap();
		let service = start(dir.path(), 1);
		// A job that spins until its 2 s wall clock runs out (its fuel would last far longer).
		let mut slow = job_with(service.store(), &candidate(1, 0, "", "(loop $l (br $l))"), 2);
		slow.evaluator = Evaluator::Wasm { fuel: u64::MAX / 2 };
		service.submit(slow.clone()).unwrap();
		let mut next = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		next.proposal = 8;
		assert_eq!(service.submit(next.clone()), Err(SubmitError::QueueFull(1)));
		assert_eq!(service.info().queued, 1);
		let done = wait_done(&service, slow.id());
		let JobState::Done { verdict: Verdict::HarnessError { .. }, .. } = done.state else {
			panic!("{done:?}")
		};
		// The worker goes on after a job hit its limits.
		service.submit(next.clone()).unwrap();
		let JobState::Done { verdict: Verdict::Score { .. }, .. } =
			wait_done(&service, next.id()).state
		else {
			panic!("scored")
		};
	}

	#[test]
	fn a_job_that_cannot_finish_in_time_is_answered_with_a_signed_harness_error() {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(BlobStore::open(&dir.path().join("blobs")).unwrap());
		let limit = Duration::from_secs(2);
		let service = Service::start(
			crate::keys::dev_key(),
			store,
			dir.path().join("results"),
			4,
			1,
			evaluate::Tools::default(),
			limit,
		)
		.unwrap();
		let began = Instant::now();
		// A job that spins: its document allows 20 s, the runner's job limit 2 s.
		let mut slow = job_with(service.store(), &candidate(1, 0, "", "(loop $l (br $l))"), 20);
		slow.evaluator = Evaluator::Wasm { fuel: u64::MAX / 2 };
		service.submit(slow.clone()).unwrap();
		// And another behind it, accepted a moment later: it waits until its own time is over,
		// or starts with the moment it has left and the wall clock stops it. Either way it is
		// answered, in time, with a signed harness error.
		let mut next = slow.clone();
		next.proposal = 8;
		service.submit(next.clone()).unwrap();
		for job in [&slow, &next] {
			let done = wait_done(&service, job.id());
			let JobState::Done { verdict, signature } = &done.state else { unreachable!() };
			let Verdict::HarnessError { log } = verdict else { panic!("{verdict:?}") };
			assert!(sr25519::Pair::verify(
				&sr25519::Signature::from_raw(signature.0),
				runner_payload(job, verdict),
				&service.public()
			));
			let text = String::from_utf8(service.store().fetch(log).unwrap()).unwrap();
			assert!(
				text.contains("harness error") || text.contains("waited in the queue"),
				"{text}"
			);
		}
		assert!(began.elapsed() < Duration::from_secs(10), "the 20 s of the document counted");
	}

	#[test]
	fn the_default_workers_fit_the_machine() {
		let workers = default_workers();
		let cores = thread::available_parallelism().unwrap().get() as u32;
		assert!((1..=cores.min(16)).contains(&workers), "{workers} of {cores} cores");
	}

	#[test]
	fn jobs_for_missing_evaluators_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let service = start(dir.path(), 4);
		let mut job = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		job.evaluator = Evaluator::CandleGpt { steps: 60 };
		assert_eq!(service.submit(job.clone()), Err(SubmitError::Unsupported("candle-gpt")));
		assert_eq!(service.status(job.id()).state, JobState::Unknown);
		let info = service.info();
		assert_eq!(info.evaluators, vec!["wasm".to_string()]);
		assert_eq!((info.store.as_str(), info.capacity, info.queued), ("embedded", 4, 0));
		assert_eq!(info.public_key.0, crate::keys::dev_key().public().0);
	}

	#[test]
	fn a_runner_with_a_trainer_takes_candle_gpt_jobs() {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(BlobStore::open(&dir.path().join("blobs")).unwrap());
		let trainer = crate::evaluate::tests::trainer(
			dir.path(),
			"poi-gpt",
			r#"echo '{"finding":"measured","valBpb":2.25,"trials":[],"device":"cpu"}'"#,
		);
		let service = Service::start(
			crate::keys::dev_key(),
			store,
			dir.path().join("r"),
			2,
			1,
			evaluate::Tools { trainer: Some(trainer), ..evaluate::Tools::default() },
			evaluate::DEFAULT_JOB_LIMIT,
		)
		.unwrap();
		assert_eq!(service.info().evaluators, vec!["wasm".to_string(), "candle-gpt".to_string()]);
		let mut job = job_with(service.store(), &candidate(1, 0, "", ""), 20);
		job.evaluator = Evaluator::CandleGpt { steps: 60 };
		job.scale_exponent = 2;
		service.submit(job.clone()).unwrap();
		let JobState::Done { verdict: Verdict::Score { score, .. }, .. } =
			wait_done(&service, job.id()).state
		else {
			panic!("scored")
		};
		assert_eq!(score, -225);
	}
}
