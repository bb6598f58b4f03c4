"""The baseline: zlib at its fastest level."""
import sys
import zlib

sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 1))
