#!/usr/bin/env bash
# deploy/yarn/submit.sh: a Pretext command on YARN, with the cluster's spark-submit (Spark 3.5.x).
#   deploy/yarn/submit.sh --deploy-mode cluster -- pipeline --conf conf/cifar10-simclr.conf \
#       --set data.input=hdfs:///data/cifar-10-batches-bin --set run.dir=hdfs:///pretext/runs
#   deploy/yarn/submit.sh --deploy-mode client --num-executors 4 --executor-cores 4 -- pipeline ...
# Everything before "--" goes to spark-submit, everything after it to Pretext (as deploy/submit.sh,
# which this calls with --master yarn). HADOOP_CONF_DIR (or YARN_CONF_DIR) must name the cluster's
# configuration, as for any spark-submit on YARN.
#
# What it adds (each only where the options before "--" do not set it already):
#   --deploy-mode cluster             the default here: the driver runs in the application master
#   spark.yarn.maxAppAttempts=1       a second attempt would find the run's lock held by the first
#                                     attempt's driver on another host and stop; resume instead by
#                                     submitting again with the same --run-id
#   spark.executor.memoryOverhead=2g  ND4J keeps its arrays off the JVM heap: YARN counts them
#   spark.driver.memoryOverhead=2g    (cluster mode) the same for the driver's evaluation
# In cluster mode:
#   - every Pretext "--conf FILE" that is a local file is shipped with --files and named by its file
#     name (YARN puts it in the driver container's working directory);
#   - a run directory on the local disk is refused (exit 2): the driver's container disk is gone when
#     the application ends. Give run.dir=hdfs://... (pipeline, quickstart, retrain's registry is its
#     own option) or --run hdfs://... (pretrain, features, finetune).
# PRETEXT_JAR names the application jar (default: the shaded jar in jobs/target, see deploy/submit.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

submit_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
pretext_args=("$@")

has_option() {  # has_option NAME: NAME given as "--NAME V", "--NAME=V" or "--conf NAME=V"
  local a prev=""
  for a in ${submit_args[@]+"${submit_args[@]}"}; do
    case "$a" in
      "--$1" | "--$1="*) return 0 ;;
    esac
    if [ "$prev" = "--conf" ] && [[ "$a" == "$1="* ]]; then return 0; fi
    prev="$a"
  done
  return 1
}

mode=cluster
prev=""
for a in ${submit_args[@]+"${submit_args[@]}"}; do
  if [ "$prev" = "--deploy-mode" ]; then mode="$a"; fi
  case "$a" in --deploy-mode=*) mode="${a#--deploy-mode=}" ;; esac
  prev="$a"
done
case "$mode" in
  cluster | client) ;;
  *) echo "deploy/yarn/submit.sh: --deploy-mode must be cluster or client, got '$mode'" >&2; exit 2 ;;
esac

extra=(--master yarn)
has_option deploy-mode || extra+=(--deploy-mode cluster)
has_option spark.yarn.maxAppAttempts || extra+=(--conf spark.yarn.maxAppAttempts=1)
has_option spark.executor.memoryOverhead || extra+=(--conf spark.executor.memoryOverhead=2g)
if [ "$mode" = cluster ] && ! has_option spark.driver.memoryOverhead; then
  extra+=(--conf spark.driver.memoryOverhead=2g)
fi
if has_option master; then
  echo "deploy/yarn/submit.sh: --master is yarn here; use deploy/submit.sh for another master" >&2
  exit 2
fi

if [ "$mode" = cluster ] && [ ${#pretext_args[@]} -gt 0 ]; then
  files=()
  rewritten=()
  command="${pretext_args[0]}"
  run_dir=""
  run_opt=""
  prev=""
  for a in "${pretext_args[@]}"; do
    if [ "$prev" = "--conf" ] && [ -f "$a" ]; then
      files+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
      a="$(basename "$a")"
    fi
    if [ "$prev" = "--set" ] && [[ "$a" == run.dir=* ]]; then run_dir="${a#run.dir=}"; fi
    if [ "$prev" = "--run" ]; then run_opt="$a"; fi
    rewritten+=("$a")
    prev="$a"
  done
  pretext_args=("${rewritten[@]}")
  if [ ${#files[@]} -gt 0 ]; then
    if has_option files; then
      echo "deploy/yarn/submit.sh: give the config files with Pretext's --conf only (they are shipped with --files)" >&2
      exit 2
    fi
    extra+=(--files "$(IFS=,; echo "${files[*]}")")
  fi
  remote() { [[ "$1" =~ ^[a-zA-Z][a-zA-Z0-9+.-]*:// ]]; }
  case "$command" in
    pipeline | quickstart)
      run_dir="${run_dir%\"}"; run_dir="${run_dir#\"}"
      if [ -z "$run_dir" ] || ! remote "$run_dir"; then
        echo "deploy/yarn/submit.sh: in cluster mode the run directory must be on a shared file system:" >&2
        echo "  add --set run.dir=hdfs:///pretext/runs (the driver's container disk goes with the application)," >&2
        echo "  or use --deploy-mode client" >&2
        exit 2
      fi ;;
    pretrain | features | finetune)
      if [ -n "$run_opt" ] && ! remote "$run_opt"; then
        echo "deploy/yarn/submit.sh: in cluster mode --run must be on a shared file system (hdfs://...), got '$run_opt'" >&2
        exit 2
      fi ;;
  esac
fi

exec bash "$here/../submit.sh" "${extra[@]}" ${submit_args[@]+"${submit_args[@]}"} -- ${pretext_args[@]+"${pretext_args[@]}"}
