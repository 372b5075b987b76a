#!/usr/bin/env bash
# Builds the pinned local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kwok) from the Go module proxy into a cache directory keyed by version.
# Warm runs only check that the binaries exist. Prints one line per step with its timing.
#
#   tools/control-plane/build.sh            # -> prints the bin directory on its last line
#   MULTINIC_CACHE_DIR=/somewhere tools/control-plane/build.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../common/progress.sh
source "$here/../common/progress.sh"

cache_root="${MULTINIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/multinic}"
bin_dir="$cache_root/control-plane/k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
export GOTOOLCHAIN=local CGO_ENABLED=0


fail() { echo "control-plane build: $*" >&2; exit 1; }
command -v go >/dev/null 2>&1 || fail "Go is not installed (need Go >= 1.25 on PATH; e.g. /usr/local/go/bin)"

step() { # step <name> <binary> <command...>
  local name="$1" binary="$2"; shift 2
  if [ -x "$bin_dir/$binary" ]; then echo "control-plane build: $name cached"; return 0; fi
  local start=$SECONDS log="$bin_dir/.build-$name.log"
  mkdir -p "$bin_dir"
  echo "control-plane build: $name building (log: $log)"
  if ! run_with_heartbeat "control-plane build" "$name" "$log" "$@"; then
    tail -n 30 "$log" >&2
    fail "$name failed (full log: $log)"
  fi
  echo "control-plane build: $name built in $((SECONDS - start))s"
}

build_etcd() {
  cd "$here/etcd" && go build -p "${GO_BUILD_P:-2}" -trimpath -ldflags "-s -w" -o "$bin_dir/etcd" .
}

build_kubernetes() {
  local minor ldflags kv
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"
  ldflags="-s -w"
  for kv in "gitVersion=${K8S_VERSION}" "gitMajor=1" "gitMinor=${minor}" "gitTreeState=clean"; do
    ldflags+=" -X k8s.io/component-base/version.${kv} -X k8s.io/client-go/pkg/version.${kv}"
  done
  cd "$here/kubernetes" && go build -p "${GO_BUILD_P:-2}" -trimpath -ldflags "$ldflags" -o "$bin_dir/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubelet
}

build_kwok() {
  cd "$here/kwok" && go build -p "${GO_BUILD_P:-2}" -trimpath -ldflags "-s -w" -o "$bin_dir/kwok" sigs.k8s.io/kwok/cmd/kwok
}

step etcd etcd build_etcd
step kwok kwok build_kwok
step kubernetes kubelet build_kubernetes
echo "$bin_dir"
