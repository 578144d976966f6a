# Shared by redis-cluster.sh and redis-sentinel.sh (sourced, not run): waiting for a condition
# and stopping one node without ever killing a process that is not ours. The sourcing script
# sets `set -euo pipefail`; these functions are written to hold under it.

wait_for() {  # wait_for DESCRIPTION SECONDS COMMAND...
  local what=$1 limit=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= limit)); then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.1
  done
}

stop_node() {  # stop_node PORT DIR: shut down the node on PORT whose files are in DIR/PORT
  local port=$1 dir=$2 pid
  redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  if [ -f "$dir/$port/redis.pid" ]; then
    pid=$(cat "$dir/$port/redis.pid")
    # only our own node: the pid file is ours and the process is a redis-server on our port
    if kill -0 "$pid" 2>/dev/null && grep -q "redis-server.*:$port" "/proc/$pid/cmdline" 2>/dev/null; then
      kill -9 "$pid" || true
    fi
  fi
}
