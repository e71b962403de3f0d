#!/usr/bin/env bash
# Prints the short hash that names a build of the forwarder: SHA-256 over the listing `sha256sum` gives of
# forwarder/'s go.mod, go.sum and *.go files (paths relative to forwarder/, in byte order), first 12 hex digits.
# stack/setup.sh names the binary wt-forwarder-<hash>; agent/livekit/forwarder-bin.ts computes the same.
set -euo pipefail
dir=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../forwarder" && pwd)}
cd "$dir"
find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12
