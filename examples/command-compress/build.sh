#!/usr/bin/env bash
# Builds the command-compress example's archives into examples/command-compress/build/:
# snapshot.tar (the benchmark repository), and the candidates baseline.tar, better.tar and
# cheat.tar (compress.py and decompress.py each). The archives are reproducible: sorted, with
# fixed times and owners, so their digests are the same on every machine.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$here/build"
pack() {
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
		--exclude=__pycache__ -cf "$here/build/$2.tar" -C "$here/$1" .
}
pack benchmark snapshot
for candidate in baseline better cheat; do
	pack "$candidate" "$candidate"
done
echo "$here/build"
