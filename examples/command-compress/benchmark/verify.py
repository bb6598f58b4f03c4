"""Checks that decompress.py turns the packed file (argv[1]) back into corpus.txt exactly."""
import subprocess
import sys

corpus = open("corpus.txt", "rb").read()
packed = open(sys.argv[1], "rb").read()
unpacked = subprocess.run(
    [sys.executable, "decompress.py"], input=packed, capture_output=True, check=True, timeout=20
).stdout
if unpacked != corpus:
    sys.exit(f"decompress.py gave {len(unpacked)} bytes that are not the corpus's {len(corpus)}")
print("verified: the round trip gives the corpus back")
