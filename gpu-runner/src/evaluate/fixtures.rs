//! WebAssembly text the tests use, shared by the unit tests and the integration tests (which
//! run the same modules through the runner's child processes): a harness, a byte-sum
//! candidate to vary, and a compile-time bomb.

/// The harness: hands the 32-byte seed to the candidate, expects the sum of its bytes back as
/// a little-endian u32; logs "checked".
pub const HARNESS: &str = r#"(module
  (import "poi" "seed" (func $seed (param i32)))
  (import "poi" "solve" (func $solve (param i32 i32 i32 i32) (result i32)))
  (import "poi" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "checked")
  (func (export "run") (result i32)
    (local $n i32) (local $sum i32) (local $i i32)
    (call $seed (i32.const 0))
    (local.set $n (call $solve (i32.const 0) (i32.const 32) (i32.const 100) (i32.const 4)))
    (if (i32.ne (local.get $n) (i32.const 4)) (then (return (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 32)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $log (i32.const 200) (i32.const 7))
    (if (result i32) (i32.eq (i32.load (i32.const 100)) (local.get $sum))
      (then (i32.const 0)) (else (i32.const 1)))))"#;

/// A byte-sum candidate that sums the input `rounds` times (keeping the last sum) and adds
/// `bias` to its answer; `extra` is spliced into the module.
pub fn candidate(rounds: u32, bias: i32, extra: &str, solve_prelude: &str) -> String {
	format!(
		r#"(module
  {extra}
  (memory (export "memory") 1)
  (func (export "input") (param i32) (result i32) (i32.const 1024))
  (func (export "solve") (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $sum i32) (local $r i32)
    {solve_prelude}
    (block $rounds (loop $round
      (br_if $rounds (i32.ge_u (local.get $r) (i32.const {rounds})))
      (local.set $sum (i32.const 0))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $sum (i32.add (local.get $sum)
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $round)))
    (i32.store (i32.const 2048) (i32.add (local.get $sum) (i32.const {bias})))
    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 4))))"#
	)
}

/// A module of `count` functions of `body` each (a compile-time bomb), exporting a valid
/// byte-sum candidate so that only compiling it could fail.
pub fn compile_bomb_text(count: usize, body: &str) -> String {
	let functions: String = (0..count).map(|_| format!("(func {body})\n")).collect();
	candidate(1, 0, &functions, "")
}
