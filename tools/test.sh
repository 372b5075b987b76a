#!/usr/bin/env bash
# `npm test`: provision what the suite needs (OS packages, MariaDB, the control-plane binaries
# cached by version, the project's image cached by content hash), then run every vitest project
# (unit, integration, realnode). Each provisioning step prints its time. Fails loudly, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
timed() { # timed <step> <command...>: runs it, then prints how long it took
  local step="$1" began=$SECONDS
  shift
  "$@"
  echo "test: $step took $((SECONDS - began))s"
}
timed "OS packages and MariaDB" bash tools/provision.sh
timed "real-node packages" bash tools/real-node/provision.sh
# The contract project brings the real OpenStack up itself (warm from the cache); packages first.
timed "real OpenStack packages" tsx tools/openstack/openstack.ts install
# The builds print their progress (and a heartbeat while a step runs); the last line is the result.
cp_build() { MULTINIC_CONTROL_PLANE_BIN="$(tools/control-plane/build.sh | tee /dev/stderr | tail -n 1)"; }
timed "control plane" cp_build
image_build() { MULTINIC_IMAGE_DIR="$(tools/image/build.sh | tee /dev/stderr | tail -n 1)"; }
timed "image" image_build
export MULTINIC_CONTROL_PLANE_BIN MULTINIC_IMAGE_DIR
echo "test: provisioning took $((SECONDS - start))s (control plane in $MULTINIC_CONTROL_PLANE_BIN, image in $MULTINIC_IMAGE_DIR)"
# vitest strips types without checking them: type-check tests and the published build first.
tsc --noEmit
tsc -p tsconfig.build.json --noEmit
exec vitest run "$@"
