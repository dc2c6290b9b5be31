#!/usr/bin/env bash
# Installs what xnet-tui and its tests need on a Debian host; safe to run again (does nothing then).
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A need=(
  [dockerd]=docker.io [ip]=iproute2 [iptables]=iptables [nsenter]=util-linux [serf]=serf
  [fping]=fping [iperf3]=iperf3 [tcpdump]=tcpdump [tmux]=tmux [busybox]=busybox-static
  [ovs-vsctl]=openvswitch-switch [pcap-config]=libpcap-dev [tar]=tar [ps]=procps [ping]=iputils-ping [htop]=htop
  [python3]=python3 [make]=make [g++]=g++
  [ethtool]=ethtool
  # eBPF counters: compiled at build (clang, llvm, libbpf's headers), loaded with bpftool; the agent's map
  # reader and writer (xnet-mapread) built with cc against libbpf.
  [clang]=clang [llc]=llvm [bpftool]=bpftool [cc]=gcc
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# busybox must be the static build: the lab copies it into a container image.
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf "%s\n" "${missing[@]}" | sort -u) >/dev/null
fi

# node-gyp builds the capture addon (npm `pcap`) against this node's own headers: never a download.
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

# npm dependencies, when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi

# npm may skip install scripts (allowScripts) or have built for another node: the addon must load here.
if ! node -e "import('pcap')" >/dev/null 2>&1; then
  echo "setup: npm rebuild pcap" >&2
  npm rebuild pcap --foreground-scripts || true
  if ! node -e "import('pcap')" >/dev/null 2>&1; then
    # npm's own node-gyp, run by hand: works even when npm refuses to run the package's install script.
    gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
    (cd node_modules/pcap && node "$gyp" rebuild)
  fi
  node -e "import('pcap')" || { echo "setup: the pcap addon does not load (see above)" >&2; exit 1; }
fi
