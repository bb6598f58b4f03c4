//! The harness of the wasm-sort example: from the round's seed it draws rounds of 32-bit
//! numbers, has the candidate sort each (ascending, unsigned), and checks every answer against
//! its own sort. `run` answers 0 when all answers were right, else the failing round plus one.
//!
//! The runner counts only the fuel the candidate spends; the harness's own work is free.

#![no_std]

#[link(wasm_import_module = "poi")]
extern "C" {
	fn seed(ptr: *mut u8);
	fn solve(in_ptr: *const u8, in_len: u32, out_ptr: *mut u8, out_cap: u32) -> i32;
	fn log(ptr: *const u8, len: u32);
}

/// Numbers per round.
const N: usize = 2048;
/// Rounds per run.
const ROUNDS: u32 = 4;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
	core::arch::wasm32::unreachable()
}

/// xorshift64*: the inputs are a function of the seed alone.
fn next(state: &mut u64) -> u32 {
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	(state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
}

fn as_bytes(words: &[u32; N]) -> &[u8] {
	// SAFETY: a [u32; N] is 4 * N initialised bytes; u8 has no alignment needs.
	unsafe { core::slice::from_raw_parts(words.as_ptr().cast(), N * 4) }
}

fn say(text: &str) {
	// SAFETY: the pointer and length name `text`'s bytes.
	unsafe { log(text.as_ptr(), text.len() as u32) }
}

#[no_mangle]
pub extern "C" fn run() -> i32 {
	let mut bytes = [0u8; 32];
	// SAFETY: the host writes exactly 32 bytes.
	unsafe { seed(bytes.as_mut_ptr()) };
	let mut state = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8])) | 1;
	let mut input = [0u32; N];
	let mut output = [0u32; N];
	for round in 0..ROUNDS {
		for x in input.iter_mut() {
			*x = next(&mut state);
		}
		let out_cap = (N * 4) as u32;
		// SAFETY: both buffers are N * 4 bytes long; the host copies within those bounds.
		let written = unsafe {
			solve(as_bytes(&input).as_ptr(), out_cap, output.as_mut_ptr().cast(), out_cap)
		};
		input.sort_unstable();
		if written != out_cap as i32 || input != output {
			say("wrong answer");
			return round as i32 + 1;
		}
	}
	say("4 rounds of 2048 numbers sorted correctly");
	0
}
