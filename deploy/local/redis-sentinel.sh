#!/usr/bin/env bash
# A local Sentinel group on loopback for development and tests: a primary, a replica and three
# sentinels monitoring them as "slotwise". Needs only redis-server (`--sentinel`) and redis-cli.
#
#   deploy/local/redis-sentinel.sh start [BASE_PORT] [DIR]  # primary BASE_PORT, replica +1,
#                                                            # sentinels +2, +3, +4
#   deploy/local/redis-sentinel.sh stop  [BASE_PORT] [DIR]
#   deploy/local/redis-sentinel.sh status [BASE_PORT]
#
# BASE_PORT defaults to 7100 and DIR to ${TMPDIR:-/tmp}/slotwise-sentinel-BASE_PORT. `start`
# prints the settings that point slotwise at it (REDIS_MODE=sentinel, REDIS_SENTINELS=...).
# A primary is declared down after 1 s; nothing is persisted; `stop` removes DIR.
set -euo pipefail

cmd=${1:-}
base=${2:-7100}
dir=${3:-"${TMPDIR:-/tmp}/slotwise-sentinel-$base"}
primary=$base
replica=$((base + 1))
sentinels=($((base + 2)) $((base + 3)) $((base + 4)))
name=slotwise

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

replica_synced() {
  redis-cli -h 127.0.0.1 -p "$replica" info replication | grep -q 'master_link_status:up'
}

sentinels_agree() {
  for port in "${sentinels[@]}"; do
    redis-cli -h 127.0.0.1 -p "$port" sentinel master "$name" 2>/dev/null \
      | grep -A1 -x 'num-other-sentinels' | tail -1 | grep -qx 2 || return 1
    redis-cli -h 127.0.0.1 -p "$port" sentinel replicas "$name" 2>/dev/null | grep -q "$replica" || return 1
  done
}

data_node() {  # data_node PORT [extra args...]
  local port=$1
  shift
  mkdir -p "$dir/$port"
  redis-server --port "$port" --bind 127.0.0.1 --protected-mode no --save '' --appendonly no \
    --dir "$dir/$port" --daemonize yes --pidfile "$dir/$port/redis.pid" \
    --logfile "$dir/$port/redis.log" "$@"
}

start() {
  mkdir -p "$dir"
  data_node "$primary"
  wait_for "the primary" 10 redis-cli -h 127.0.0.1 -p "$primary" ping
  data_node "$replica" --replicaof 127.0.0.1 "$primary"
  wait_for "the replica to sync" 20 replica_synced
  for port in "${sentinels[@]}"; do
    mkdir -p "$dir/$port"
    cat >"$dir/$port/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
protected-mode no
daemonize yes
pidfile $dir/$port/redis.pid
logfile $dir/$port/redis.log
dir $dir/$port
sentinel monitor $name 127.0.0.1 $primary 2
sentinel down-after-milliseconds $name 1000
sentinel failover-timeout $name 5000
sentinel parallel-syncs $name 1
CONF
    redis-server "$dir/$port/sentinel.conf" --sentinel
  done
  wait_for "the sentinels to find each other and the replica" 60 sentinels_agree
  echo "REDIS_MODE=sentinel"
  echo "REDIS_SENTINELS=$(printf '127.0.0.1:%s,' "${sentinels[@]}" | sed 's/,$//')"
  echo "REDIS_SENTINEL_MASTER=$name"
}

stop() {
  for port in "${sentinels[@]}" "$replica" "$primary"; do stop_node "$port" "$dir"; done
  rm -rf "$dir"
}

status() {
  for port in "$primary" "$replica"; do
    role=$(redis-cli -h 127.0.0.1 -p "$port" role 2>/dev/null | head -1 || true)
    echo "127.0.0.1:$port ${role:-down}"
  done
  for port in "${sentinels[@]}"; do
    addr=$(redis-cli -h 127.0.0.1 -p "$port" sentinel get-master-addr-by-name "$name" 2>/dev/null | paste -sd: || true)
    echo "127.0.0.1:$port sentinel -> ${addr:-down}"
  done
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
