#!/usr/bin/env bash
# Runs every flink-app test: the Java job (MiniCluster tests and the shaded-jar check, via
# `mvn verify`) and the PyFlink job (pytest on a local PyFlink). Both suites always run, so one
# failure does not hide the other; the exit code is non-zero if either failed.
#
# Dependencies come from the registries and are cached outside the repo: Maven in ~/.m2, pip in
# its normal cache. The virtualenv lives at flink-app/pyflink/.venv (gitignored) and is rebuilt
# when requirements-dev.txt changes.
set -uo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$app/pyflink"
venv="$py/.venv"
status=0
# No test talks to AWS; should one try, the SDK must not probe the instance metadata address.
export AWS_EC2_METADATA_DISABLED=true

echo "==> Java: mvn -B -f flink-app/pom.xml verify"
java_start=$SECONDS
if mvn -B -f "$app/pom.xml" verify; then
  echo "==> Java: passed in $((SECONDS - java_start)) s; jar: $(ls "$app"/target/engagement-metrics-*.jar | grep -v original)"
else
  echo "==> Java: FAILED after $((SECONDS - java_start)) s"
  status=1
fi

pick_python() {
  # PyFlink 1.20 supports Python 3.8 to 3.11.
  for candidate in "${PYTHON:-}" python3.11 python3.10 python3.9 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 11) else 1)'; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

setup_venv() {
  local want have python
  want="$(sha256sum "$py/requirements-dev.txt" | cut -d' ' -f1)"
  have="$(cat "$venv/.requirements.sha256" 2>/dev/null || true)"
  if [ -x "$venv/bin/python" ] && [ "$want" = "$have" ]; then
    return 0
  fi
  python="$(pick_python)" || { echo "no Python 3.8-3.11 found for PyFlink 1.20 (set PYTHON)"; return 1; }
  echo "==> Python: creating $venv with $python ($("$python" --version))"
  rm -rf "$venv"
  "$python" -m venv "$venv" &&
    "$venv/bin/python" -m pip install --quiet --upgrade pip &&
    "$venv/bin/python" -m pip install --quiet -r "$py/requirements-dev.txt" &&
    echo "$want" > "$venv/.requirements.sha256"
}

echo "==> Python: PyFlink job"
py_start=$SECONDS
if setup_venv && "$py/package.sh"; then
  export PYFLINK_KINESIS_JAR="$py/connector/target/pyflink-kinesis-connector.jar"
  export PYFLINK_PACKAGE_ZIP="$py/build/engagement-metrics-pyflink.zip"
  if (cd "$py" && "$venv/bin/python" -m pytest -ra); then
    echo "==> Python: passed in $((SECONDS - py_start)) s"
  else
    echo "==> Python: FAILED after $((SECONDS - py_start)) s"
    status=1
  fi
else
  echo "==> Python: setup or packaging FAILED"
  status=1
fi

exit $status
