#!/usr/bin/env bash
# Compiles the eBPF programs (src/**/*.bpf.c: the counters, the VXLAN admission) into dist/ with Debian's clang, when it is there.
# Without it the agent counts from interface counters and says so; scripts/setup-host.sh installs clang.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null 2>&1 || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
  echo "build-bpf: no clang or libbpf-dev: eBPF counters not built (scripts/setup-host.sh installs them)" >&2
  exit 0
fi

arch_inc="/usr/include/$(uname -m)-linux-gnu" # asm/types.h for the BPF target
for src in $(find src -name "*.bpf.c" | sort); do
  out="dist/${src#src/}"; out="${out%.c}.o"; mkdir -p "$(dirname "$out")"
  clang -O2 -g -Wall -Werror -target bpf -I"$arch_inc" -c "$src" -o "$out"
done

# The agent's helpers in C: its map reader and writer (src/net/bpf/mapread.c: the counters read once a second in
# a few bytes a row, and the VXLAN admission's map written, not through bpftool's JSON), and the spawner that
# starts its probe loops (src/net/spawner.c: no fork of the agent for each). Without a C compiler the agent uses
# bpftool and Node's spawn, as before.
if command -v cc >/dev/null 2>&1; then
  mkdir -p dist/net/bpf && cc -O2 -Wall -Werror -o dist/net/bpf/xnet-mapread src/net/bpf/mapread.c -lbpf
  cc -O2 -Wall -Werror -o dist/net/xnet-spawner src/net/spawner.c
else
  echo "build-bpf: no C compiler (scripts/setup-host.sh installs gcc): the counters and the admission go through bpftool, probe loops are spawned from the agent" >&2
fi
