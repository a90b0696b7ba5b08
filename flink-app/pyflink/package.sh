#!/usr/bin/env bash
# Builds the zip Managed Flink runs for the PyFlink job:
#
#   engagement_metrics.py              <- run option `python`
#   lib/pyflink-kinesis-connector.jar  <- run option `jarfile`
#
# Output: flink-app/pyflink/build/engagement-metrics-pyflink.zip
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/build"
stage="$build/zip"
zip="$build/engagement-metrics-pyflink.zip"

mvn -B -q -f "$here/connector/pom.xml" package

rm -rf "$stage" "$zip"
mkdir -p "$stage/lib"
cp "$here/engagement_metrics.py" "$stage/"
cp "$here/connector/target/pyflink-kinesis-connector.jar" "$stage/lib/"
# Python's zipfile rather than zip(1), which is not on every machine.
(cd "$stage" && python3 -m zipfile -c "$zip" engagement_metrics.py lib)

echo "built $zip ($(du -h "$zip" | cut -f1))"
