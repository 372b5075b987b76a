# shellcheck shell=bash
# Progress lines for the provisioning scripts: a step prints when it starts being slow and then
# every MULTINIC_HEARTBEAT_S seconds (default 60) while it runs, so a 30-minute cold build is
# never silent. Sourced, not executed.

# run_with_heartbeat <prefix> <step> <log> <command...>
# Runs the command with stdout+stderr into <log> and returns its exit status; prints
# "<prefix>: <step> still running (<elapsed>s)" every interval while it runs.
run_with_heartbeat() {
  local prefix="$1" step="$2" log="$3"
  shift 3
  local interval="${MULTINIC_HEARTBEAT_S:-60}" start pid status=0 ticks=0
  start="$(date +%s)"
  "$@" >"$log" 2>&1 &
  pid=$!
  # Polling each second (rather than a background `sleep 60` loop) leaves no sleeper behind.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    if [ $((ticks % interval)) -eq 0 ] && kill -0 "$pid" 2>/dev/null; then
      echo "$prefix: $step still running ($(($(date +%s) - start))s)"
    fi
  done
  wait "$pid" || status=$?
  return "$status"
}
