#!/usr/bin/env bash
# The whole suite in two lanes at once: the integration tests (one at a time, on the local stack and its fixed
# loopback ports) in one, the unit and service tests in the other, in a network namespace of their own so that
# no port either lane opens can meet the other's. Where no network namespace can be made (no unshare or ip, or
# not allowed), the lanes run one after the other. Two integration lanes were tried, each with its own stack:
# on two cores the machine was loaded to 10 and calls failed for it (job processes too slow to answer).
# Usage: bash test/lanes.sh [vitest options and file filters...]
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Runs its arguments in a new network namespace with loopback up: as root directly, else as root of a new
# user namespace. livekit-sip's SIP library will not start without one interface that is up, not loopback and
# has an IPv4 address (on a host, eth0): the namespace gets a bridge with no ports and a documentation address
# (192.0.2.1, RFC 5737), which nothing is sent to and which leads nowhere.
isolated() {
  local flags=(--net)
  [ "$(id -u)" -eq 0 ] || flags=(--user --map-root-user --net)
  unshare "${flags[@]}" -- sh -c 'ip link set lo up && ip link add wt0 type bridge && ip addr add 192.0.2.1/32 dev wt0 &&
    ip link set wt0 up && exec "$@"' isolated "$@"
}

# A lane whose filters match none of its files has nothing to do: that is not a failure.
lane() {
  npx vitest run --passWithNoTests "$@"
}

started=$(date +%s)
# Says how each lane ended, and fails unless both passed.
finish() {
  echo "[lanes] integration exited $1, unit+service exited $2, after $(($(date +%s) - started)) s"
  [ "$1" -eq 0 ] && [ "$2" -eq 0 ]
}

if ! command -v unshare > /dev/null || ! command -v ip > /dev/null || ! isolated true 2> /dev/null; then
  echo "[lanes] no network namespace here (unshare or ip missing, or not allowed): the lanes one after the other"
  lane --project unit --project service "$@"
  status_others=$?
  lane --project integration "$@"
  finish $? "$status_others"
  exit
fi

# Each lane in a process group of its own (job control), so that an interrupted run stops both whole lanes.
set -m
(lane --project integration "$@" 2>&1 | sed -u 's/^/[integration] /') &
integration=$!
(isolated bash -c "$(declare -f lane); lane --project unit --project service \"\$@\"" lane "$@" 2>&1 | sed -u 's/^/[unit+service] /') &
others=$!
set +m

stop_lanes() {
  kill -TERM -- "-$integration" "-$others" 2> /dev/null
  exit 130
}
trap stop_lanes INT TERM

wait "$others"
status_others=$?
wait "$integration"
finish $? "$status_others"
