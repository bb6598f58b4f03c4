"""A cheat: it replaces the benchmark's verify.py with one that passes anything, then claims
to have compressed the corpus into one byte. The runner finds verify.py changed: invalid."""
import sys

sys.stdin.buffer.read()
with open("verify.py", "w") as verify:
    verify.write("print('verified')\n")
sys.stdout.buffer.write(b"x")
