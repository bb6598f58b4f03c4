//! The faster candidate of the wasm-sort example: the baseline with its insertion sort replaced by
//! `core`'s unstable sort (pattern-defeating quicksort), O(n log n).

#![no_std]

const CAPACITY: usize = 1 << 16;
static mut BUFFER: [u32; CAPACITY / 4] = [0; CAPACITY / 4];

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
	core::arch::wasm32::unreachable()
}

/// Where the host writes `len` bytes of input; -1 when they do not fit.
#[no_mangle]
pub extern "C" fn input(len: i32) -> i32 {
	if len < 0 || len as usize > CAPACITY {
		return -1;
	}
	core::ptr::addr_of_mut!(BUFFER) as i32
}

/// Sorts the `len / 4` numbers at `ptr` in place; the output is the same bytes.
#[no_mangle]
pub extern "C" fn solve(ptr: i32, len: i32) -> i64 {
	// SAFETY: `ptr` is the buffer `input` gave out and `len` fits in it.
	let words = unsafe { core::slice::from_raw_parts_mut(ptr as *mut u32, len as usize / 4) };
	words.sort_unstable();
	((ptr as i64) << 32) | (len as i64)
}
