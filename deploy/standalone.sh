#!/usr/bin/env bash
# deploy/standalone.sh: a Spark standalone cluster on this machine, every daemon bound to 127.0.0.1:
# one master and N workers, each a JVM of its own; every executor is a JVM its worker starts.
#
#   deploy/standalone.sh start [N]     master + N workers (default 2), waits until all have registered
#   deploy/standalone.sh status        master URL, which daemons are alive, executors running
#   deploy/standalone.sh stop          stops executors, workers and master (SIGTERM, then SIGKILL after 15 s)
#
# Then run Pretext on it (one executor per worker with --executor-cores 1 --total-executor-cores N):
#   SPARK_CONF_DIR=deploy/.standalone/conf PRETEXT_MASTER=spark://127.0.0.1:7077 \
#       bin/pretext pipeline --set train.workers=2 ...
#   (start writes conf/spark-defaults.conf there: one executor per worker, its cores and memory)
#   SPARK_SUBMIT=... deploy/submit.sh --master spark://127.0.0.1:7077 --executor-cores 1 \
#       --total-executor-cores 2 --executor-memory 1g -- pipeline --set train.workers=2 ...
#
# Environment (all optional):
#   PRETEXT_STANDALONE_DIR   pids, logs and work directories (default deploy/.standalone in the repository)
#   PRETEXT_MASTER_PORT      master RPC port (default 7077); PRETEXT_MASTER_WEBUI_PORT (default 8080; 0 = any free)
#   PRETEXT_WORKER_CORES     cores each worker offers (default 1); PRETEXT_WORKER_MEMORY (default 2g)
#   PRETEXT_EXECUTOR_MEMORY  spark.executor.memory written to conf/spark-defaults.conf (default 1g)
#   PRETEXT_WORKER_CPUS      pin worker i and its executors to the i-th CPU of this list (taskset), e.g. 0,1:
#                            an executor then gets the cores it is given, as under a cluster's CPU limits
#   PRETEXT_DAEMON_HEAP      heap of the master and worker JVMs (default 512m; executors are sized by the driver)
#   PRETEXT_SPARK_CLASSPATH  run master, workers and executors on this classpath instead of the Spark jars
#                            resolved from Maven (the cluster tests pass their test classpath); executors get
#                            it through SPARK_DIST_CLASSPATH
#   JAVA_HOME                the JDK (17 or newer)
# The Spark jar set is the one bin/pretext uses (deploy/spark-runtime, resolved from Maven on first use).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${PRETEXT_STANDALONE_DIR:-$root/deploy/.standalone}"
port="${PRETEXT_MASTER_PORT:-7077}"
webui="${PRETEXT_MASTER_WEBUI_PORT:-8080}"
cores="${PRETEXT_WORKER_CORES:-1}"
memory="${PRETEXT_WORKER_MEMORY:-2g}"
heap="${PRETEXT_DAEMON_HEAP:-512m}"
executor_memory="${PRETEXT_EXECUTOR_MEMORY:-1g}"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
master_url="spark://127.0.0.1:$port"

say() { printf 'standalone: %s\n' "$*"; }
die() { printf 'standalone: %s\n' "$*" >&2; exit 2; }

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { cat "$1" 2>/dev/null || true; }

# The Spark runtime jar set (same POM and marker as bin/pretext).
spark_classpath() {
  if [ -n "${PRETEXT_SPARK_CLASSPATH:-}" ]; then
    printf '%s' "$PRETEXT_SPARK_CLASSPATH"
    return
  fi
  local jars="$root/deploy/spark-runtime/target/jars" want
  want=$(cksum < "$root/deploy/spark-runtime/pom.xml")
  if [ "$(cat "$jars/.complete" 2>/dev/null)" != "$want" ]; then
    say "resolving the Spark runtime jars from Maven (first run only)..." >&2
    rm -rf "$jars"
    mvn -B -q -Dstyle.color=never -f "$root/deploy/spark-runtime/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$jars" >&2
    printf '%s' "$want" > "$jars/.complete"
  fi
  printf '%s' "$jars/*"
}

# Spark's Java 17 flags: daemons started by hand do not get them from spark-submit.
opens=(
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false
  -Dlog4j2.configurationFile="$root/deploy/log4j2-cluster.properties"
)

# Waits until a log file has a line matching $2, while pid $1 lives; $3 seconds at most.
wait_for() {
  local pid="$1" pattern="$2" log="$3" secs="$4" i
  for ((i = 0; i < secs * 4; i++)); do
    if grep -q "$pattern" "$log" 2>/dev/null; then return 0; fi
    if ! alive "$pid"; then return 1; fi
    sleep 0.25
  done
  return 1
}

worker_pids() {
  local f
  for f in "$state"/worker-*.pid; do
    [ -f "$f" ] && pid_of "$f"
  done
}

# Executors are children of their worker.
executor_pids() {
  local w
  for w in $(worker_pids); do
    alive "$w" && { pgrep -P "$w" || true; }
  done
}

stop_all() {
  local pids=() p
  for p in $(executor_pids) $(worker_pids) $(pid_of "$state/master.pid"); do
    alive "$p" && pids+=("$p")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      local left=()
      for p in "${pids[@]}"; do alive "$p" && left+=("$p"); done
      [ ${#left[@]} -eq 0 ] && break
      sleep 0.25
    done
    for p in "${pids[@]}"; do
      if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
    done
  fi
  rm -f "$state"/master.pid "$state"/worker-*.pid "$state"/master.url
}

start() {
  local n="${1:-2}"
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "start takes a number of workers (1 or more), got '$n'"
  if alive "$(pid_of "$state/master.pid")"; then
    die "a cluster is already running from $state (master pid $(pid_of "$state/master.pid")); deploy/standalone.sh stop first"
  fi
  stop_all   # leftovers of a cluster whose master died
  mkdir -p "$state"
  local cp
  cp="$(spark_classpath)"
  # Workers launch executors through Spark's launcher, which wants SPARK_HOME/jars: the Spark jars
  # themselves, or an empty folder when the classpath comes from PRETEXT_SPARK_CLASSPATH.
  local home="$state/spark-home"
  rm -rf "$home"
  mkdir -p "$home"
  if [ -n "${PRETEXT_SPARK_CLASSPATH:-}" ]; then
    mkdir -p "$home/jars"
  else
    ln -s "$root/deploy/spark-runtime/target/jars" "$home/jars"
  fi
  export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP=127.0.0.1
  if [ -n "${PRETEXT_SPARK_CLASSPATH:-}" ]; then export SPARK_DIST_CLASSPATH="$PRETEXT_SPARK_CLASSPATH"; fi

  local log="$state/master.log"
  nohup "$java_bin" -Xmx"$heap" "${opens[@]}" -cp "$cp" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port "$webui" > "$log" 2>&1 < /dev/null &
  echo $! > "$state/master.pid"
  if ! wait_for "$!" "I have been elected leader" "$log" 120; then
    tail -20 "$log" >&2
    stop_all
    die "the master did not start (log: $log); is port $port free? (PRETEXT_MASTER_PORT)"
  fi
  echo "$master_url" > "$state/master.url"
  local i
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$state/work-$i"
    # PRETEXT_WORKER_CPUS: worker i (and every executor it starts, which inherits the affinity) runs
    # on the i-th CPU list of the comma-separated value, like a cgroup CPU limit on a real cluster
    local pin=()
    if [ -n "${PRETEXT_WORKER_CPUS:-}" ]; then
      local cpus
      IFS=, read -r -a cpus <<< "$PRETEXT_WORKER_CPUS"
      [ -n "${cpus[$((i - 1))]:-}" ] || die "PRETEXT_WORKER_CPUS=$PRETEXT_WORKER_CPUS names no CPU for worker $i"
      command -v taskset > /dev/null || die "PRETEXT_WORKER_CPUS needs taskset (util-linux)"
      pin=(taskset -c "${cpus[$((i - 1))]}")
    fi
    nohup "${pin[@]}" "$java_bin" -Xmx"$heap" "${opens[@]}" -cp "$cp" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port 0 --work-dir "$state/work-$i" \
      "$master_url" > "$state/worker-$i.log" 2>&1 < /dev/null &
    echo $! > "$state/worker-$i.pid"
  done
  for ((i = 1; i <= n; i++)); do
    if ! wait_for "$(pid_of "$state/worker-$i.pid")" "Successfully registered with master" "$state/worker-$i.log" 120; then
      tail -20 "$state/worker-$i.log" >&2
      stop_all
      die "worker $i did not register with the master (log: $state/worker-$i.log)"
    fi
  done
  # What a driver needs to use the cluster as started: one executor per worker with the worker's
  # cores (Pretext sets the executors' OMP_NUM_THREADS from spark.executor.cores), and no task before
  # every executor has registered (data-parallel training would otherwise start on fewer workers);
  # read by spark-submit (bin/pretext) from SPARK_CONF_DIR.
  mkdir -p "$state/conf"
  cat > "$state/conf/spark-defaults.conf" <<EOF
spark.master                 $master_url
spark.executor.cores         $cores
spark.cores.max              $((n * cores))
spark.executor.memory        $executor_memory
spark.driver.host            127.0.0.1
spark.driver.bindAddress     127.0.0.1
spark.scheduler.minRegisteredResourcesRatio        1.0
spark.scheduler.maxRegisteredResourcesWaitingTime  120s
EOF
  say "master $master_url (web UI port $webui), $n worker(s) x $cores core(s), $memory each; logs and work dirs in $state"
  say "run on it: SPARK_CONF_DIR=$state/conf PRETEXT_MASTER=$master_url bin/pretext ... --set train.workers=$n"
  say "stop it: deploy/standalone.sh stop"
}

status() {
  local m
  m="$(pid_of "$state/master.pid")"
  if ! alive "$m"; then
    say "not running ($state)"
    return 3
  fi
  say "master $(cat "$state/master.url") pid $m alive"
  local f w up=0 all=0
  for f in "$state"/worker-*.pid; do
    [ -f "$f" ] || continue
    w="$(pid_of "$f")"
    all=$((all + 1))
    if alive "$w"; then
      up=$((up + 1))
      say "$(basename "$f" .pid) pid $w alive, executors: $( (pgrep -P "$w" || true) | tr '\n' ' ')"
    else
      say "$(basename "$f" .pid) pid $w DEAD (log: ${f%.pid}.log)"
    fi
  done
  say "$up of $all worker(s) alive"
  [ "$up" -eq "$all" ] && [ "$all" -gt 0 ]
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop_all; say "stopped ($state)" ;;
  status) status ;;
  *) die "usage: deploy/standalone.sh start [N] | status | stop" ;;
esac
