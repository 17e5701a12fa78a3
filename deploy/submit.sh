#!/usr/bin/env bash
# Submit a Pretext command to a cluster with the cluster's own spark-submit (Spark 3.5.x, Scala 2.12).
#   deploy/submit.sh --master yarn --deploy-mode client -- pipeline --conf conf/cifar10-simclr.conf --set data.input=hdfs:///data/cifar-10-batches-bin
#   deploy/submit.sh --master k8s://https://HOST:443 --deploy-mode client \
#       --conf spark.kubernetes.container.image=IMAGE -- pipeline --conf ...
# Everything before "--" goes to spark-submit; everything after it to Pretext.
# In cluster mode, give the run directory on a shared file system (--set run.dir=hdfs://...): the
# driver's own disk goes with its container. deploy/yarn/submit.sh does that check for YARN.
# The spark-submit used is $SPARK_SUBMIT, else spark-submit on PATH; the jar is $PRETEXT_JAR, else the
# shaded jar in jobs/target.
# The Java 17 flags DL4J + Spark need are passed to driver and executors; Aeron (train.trainer = shared)
# needs the unblock timeout on both and room in /dev/shm on executors.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="${PRETEXT_JAR:-}"
if [ -n "$jar" ] && [ ! -f "$jar" ]; then
  echo "deploy/submit.sh: PRETEXT_JAR=$jar is not a file" >&2
  exit 2
fi
if [ -z "$jar" ]; then
  for j in "$root"/jobs/target/pretext-jobs-*-shaded.jar; do
    if [ -f "$j" ]; then jar="$j"; break; fi
  done
fi
if [ -z "$jar" ]; then
  echo "deploy/submit.sh: no shaded jar in $root/jobs/target; build it with: mvn -B -DskipTests package" >&2
  exit 2
fi
submit="${SPARK_SUBMIT:-spark-submit}"
if ! command -v "$submit" >/dev/null 2>&1; then
  echo "deploy/submit.sh: '$submit' not found; put the cluster's Spark 3.5 bin/ on PATH, or set" >&2
  echo "  SPARK_SUBMIT=/path/to/spark/bin/spark-submit deploy/submit.sh ..." >&2
  exit 2
fi
submit_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
flags="-Dorg.eclipse.deeplearning4j.helpers.disable=false -Daeron.publication.unblock.timeout=60000000000 -Djdk.reflect.useDirectMethodHandle=false"
exec "$submit" \
  --class dev.pretext.cli.Main \
  --conf "spark.driver.extraJavaOptions=$flags" \
  --conf "spark.executor.extraJavaOptions=$flags" \
  ${submit_args[@]+"${submit_args[@]}"} "$jar" "$@"
