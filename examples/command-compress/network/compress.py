"""A candidate that reaches for the network: it asks a server (on the verifier's own loopback,
at the port the test writes in place of PORT) before compressing. In the sandbox there is no
network: the connection fails, the benchmark fails, the candidate is invalid."""
import sys
import urllib.request
import zlib

urllib.request.urlopen("http://127.0.0.1:PORT/", timeout=5).read()
sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))
