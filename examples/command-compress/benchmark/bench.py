"""The command-compress benchmark: compresses corpus.txt with the candidate's compress.py,
has verify.py check that decompress.py gives every byte back, and prints the compressed size.

The candidate runs as a child process whose output this script reads, so that what the
candidate prints never reaches the runner's metric; only this script prints the metric. The
protocol runs this script, and it runs verify.py, from /src, the untouched snapshot, so that
Python imports nothing from files a candidate made in /job (the working folder).
"""
import os
import subprocess
import sys

TIMEOUT = 20  # seconds for each step; the protocol's wall clock bounds the whole trial


def run(script, *args, data=b""):
    """Runs `script` with `data` on stdin; its stdout, or this benchmark fails with its error."""
    done = subprocess.run(
        [sys.executable, script, *args], input=data, capture_output=True, timeout=TIMEOUT
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
        sys.exit(f"{script} failed (exit status {done.returncode})")
    return done.stdout


corpus = open("corpus.txt", "rb").read()
packed = run("compress.py", data=corpus)
path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "packed")
with open(path, "wb") as out:
    out.write(packed)
sys.stdout.write(run(os.path.join(os.path.dirname(__file__), "verify.py"), path).decode())
print(f"compressed_bytes: {len(packed)}")
