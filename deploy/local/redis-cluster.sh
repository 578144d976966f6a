#!/usr/bin/env bash
# A local Redis Cluster on loopback for development and tests: 6 nodes, 3 primaries with one
# replica each, made with `redis-cli --cluster create`. Needs only redis-server and redis-cli.
#
#   deploy/local/redis-cluster.sh start [BASE_PORT] [DIR]   # nodes on BASE_PORT..BASE_PORT+5
#   deploy/local/redis-cluster.sh stop  [BASE_PORT] [DIR]
#   deploy/local/redis-cluster.sh status [BASE_PORT]
#
# BASE_PORT defaults to 7000 and DIR to ${TMPDIR:-/tmp}/slotwise-cluster-BASE_PORT. `start`
# prints the settings that point slotwise at it (REDIS_MODE=cluster, REDIS_URL=...). Nothing
# is persisted (no RDB, no AOF): `stop` shuts the nodes down and removes DIR.
set -euo pipefail

cmd=${1:-}
base=${2:-7000}
dir=${3:-"${TMPDIR:-/tmp}/slotwise-cluster-$base"}
ports=()
for i in 0 1 2 3 4 5; do ports+=($((base + i))); done

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster_ok() {
  for port in "${ports[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q 'cluster_state:ok' || return 1
  done
  # every primary knows its replica (so a killed primary can fail over)
  [ "$(redis-cli -h 127.0.0.1 -p "$base" cluster nodes | grep -c slave)" -ge 3 ] || return 1
  # and every replica has finished its first sync (else a failover starts from nothing)
  for port in "${ports[@]}"; do
    info=$(redis-cli -h 127.0.0.1 -p "$port" info replication)
    if grep -q 'role:slave' <<<"$info"; then grep -q 'master_link_status:up' <<<"$info" || return 1; fi
  done
}

start() {
  mkdir -p "$dir"
  for port in "${ports[@]}"; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --protected-mode no \
      --cluster-enabled yes --cluster-config-file "$dir/$port/nodes.conf" \
      --cluster-node-timeout 1000 --cluster-replica-validity-factor 0 \
      --save '' --appendonly no --dir "$dir/$port" \
      --daemonize yes --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log"
  done
  for port in "${ports[@]}"; do
    wait_for "redis on $port" 10 redis-cli -h 127.0.0.1 -p "$port" ping
  done
  local nodes=()
  for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  wait_for "the cluster to be ok" 60 cluster_ok
  echo "REDIS_MODE=cluster"
  echo "REDIS_URL=redis://127.0.0.1:$base/0"
  echo "REDIS_CLUSTER_NODES=$(IFS=,; echo "${nodes[*]}")"
}

stop() {
  for port in "${ports[@]}"; do stop_node "$port" "$dir"; done
  rm -rf "$dir"
}

status() {
  for port in "${ports[@]}"; do
    role=$(redis-cli -h 127.0.0.1 -p "$port" role 2>/dev/null | head -1 || true)
    echo "127.0.0.1:$port ${role:-down}"
  done
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
