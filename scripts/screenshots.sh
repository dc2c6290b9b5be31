#!/usr/bin/env bash
# Real captures of xnet-tui on a lab host: brings up a lab, attaches containers, makes traffic, drives the UI in
# tmux and saves what the terminal shows to screenshots/*.txt (the README embeds them). Needs root and a build.
set -euo pipefail
cd "$(dirname "$0")/.."
cli() { node dist/cli/main.js "$@"; }
T=(tmux -L "xnet-shots-$$")
cleanup() { "${T[@]}" kill-server 2>/dev/null || true; cli lab down >/dev/null 2>&1 || true; }
trap cleanup EXIT
cli lab up --hosts 3 >/dev/null
for c in web db cache; do cli lab exec h1 -- docker run -d --name "$c" xnet/busybox sleep 1d >/dev/null; done
cli lab exec h2 -- docker run -d --name api xnet/busybox sleep 1d >/dev/null
cli --lab h1 attach 172.25.11.23/24 web >/dev/null
cli --lab h1 attach 172.25.11.24/24 db >/dev/null
cli --lab h2 attach 172.25.11.112/24 api >/dev/null
cli --lab h1 launch --nickname one >/dev/null
cli --lab h2 launch --nickname two 198.18.0.1 >/dev/null
cli --lab h3 launch --nickname three 198.18.0.2 >/dev/null
# Traffic on this host and across the mesh, and a ping check the operator keeps (besides the automatic ones).
cli lab exec h1 -- docker exec -d web ping -i 0.1 172.25.11.24 >/dev/null
cli lab exec h1 -- docker exec -d db ping -i 0.05 -s 1000 172.25.11.112 >/dev/null
cli --lab h1 ping --add 172.25.11.112 --from web >/dev/null

shot() { # NAME COLS ROWS KEYS...
  local name=$1 cols=$2 rows=$3; shift 3
  "${T[@]}" new-session -d -s shot -x "$cols" -y "$rows" \
    env LANG=C.UTF-8 XNET_LAB_ID="${XNET_LAB_ID:-}" XDG_CONFIG_HOME=/nonexistent node dist/cli/main.js --lab h1
  sleep 12 # a few seconds of rates for the sparklines
  for k in "$@"; do "${T[@]}" send-keys -t shot "$k"; sleep 0.5; done
  "${T[@]}" capture-pane -p -t shot >"screenshots/$name.txt"
  "${T[@]}" kill-server
  sleep 1 # let the server go before the next shot starts one on the same socket
  echo "screenshots/$name.txt"
}
shot main-80x24 80 24
shot main-160x48 160 48
shot attach-80x24 80 24 a Down Enter 172.25.11.25/24
shot help-80x24 80 24 '?'
shot peers-160x48 160 48 BTab Enter
shot dockerd-80x24 80 24 o
shot pings-80x24 80 24 Tab Tab Tab
shot traffic-160x48 160 48 Tab
