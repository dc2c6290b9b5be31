#!/usr/bin/env bash
# Installs what xnet-tui and its tests need on a Debian host; safe to run again (does nothing then).
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A need=(
  [dockerd]=docker.io [ip]=iproute2 [iptables]=iptables [nsenter]=util-linux [serf]=serf
  [fping]=fping [iperf3]=iperf3 [tcpdump]=tcpdump [tmux]=tmux [busybox]=busybox-static
  [ovs-vsctl]=openvswitch-switch [pcap-config]=libpcap-dev [tar]=tar [ps]=procps [ping]=iputils-ping [htop]=htop
  [ethtool]=ethtool
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# busybox must be the static build: the lab copies it into a container image.
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf "%s\n" "${missing[@]}" | sort -u) >/dev/null
fi

# npm dependencies, when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi
