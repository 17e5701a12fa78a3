#!/usr/bin/env bash
# Submit a Pretext command to a cluster with the cluster's own spark-submit (Spark 3.5.x, Scala 2.12).
#   deploy/submit.sh --master yarn --deploy-mode cluster -- pipeline --conf cifar10-simclr.conf --set data.input=hdfs:///data/cifar-10-batches-bin
#   deploy/submit.sh --master k8s://https://HOST:443 --deploy-mode cluster \
#       --conf spark.kubernetes.container.image=IMAGE -- pipeline --conf ...
# Everything before "--" goes to spark-submit; everything after it to Pretext.
# The Java 17 flags DL4J + Spark need are passed to driver and executors; Aeron (train.trainer = shared)
# needs the unblock timeout on both and room in /dev/shm on executors.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar=$(ls "$root"/jobs/target/pretext-jobs-*-shaded.jar 2>/dev/null | head -1)
if [ -z "$jar" ]; then
  echo "deploy/submit.sh: no shaded jar; build it with: mvn -B -DskipTests package" >&2
  exit 2
fi
submit_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
flags="-Dorg.eclipse.deeplearning4j.helpers.disable=false -Daeron.publication.unblock.timeout=60000000000 -Djdk.reflect.useDirectMethodHandle=false"
exec "${SPARK_SUBMIT:-spark-submit}" \
  --class dev.pretext.cli.Main \
  --conf "spark.driver.extraJavaOptions=$flags" \
  --conf "spark.executor.extraJavaOptions=$flags" \
  "${submit_args[@]}" "$jar" "$@"
