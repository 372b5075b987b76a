#!/usr/bin/env bash
# `npm test`: provision what the suite needs (OS packages, MariaDB, the control-plane
# binaries, cached by version), then run every vitest project. Fails loudly, never skips.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash tools/provision.sh
MULTINIC_CONTROL_PLANE_BIN="$(tools/control-plane/build.sh | tail -n 1)"
export MULTINIC_CONTROL_PLANE_BIN
echo "test: provisioning took $((SECONDS - start))s (control plane in $MULTINIC_CONTROL_PLANE_BIN)"
# vitest strips types without checking them: type-check tests and the published build first.
tsc --noEmit
tsc -p tsconfig.build.json --noEmit
exec vitest run "$@"
