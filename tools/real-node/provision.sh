#!/usr/bin/env bash
# Installs the Debian packages the image build and the dev real node use, when missing:
# buildah + mmdebstrap (daemonless image build), containerd + runc + CNI plugins (the node's
# runtime), iptables (the node namespace's NAT) and util-linux's nsenter/unshare. Idempotent;
# prints what it had to do.
set -euo pipefail

fail() { echo "real-node provision: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

missing=()
need() { # need <package> <file-it-provides>
  [ -e "$2" ] || missing+=("$1")
}
need buildah /usr/bin/buildah
need mmdebstrap /usr/bin/mmdebstrap
need containerd /usr/bin/containerd
need runc /usr/sbin/runc
need containernetworking-plugins /usr/lib/cni/bridge
need iptables /usr/sbin/iptables
need util-linux /usr/bin/nsenter
need uidmap /usr/bin/newuidmap
if [ "${#missing[@]}" -gt 0 ]; then
  echo "real-node provision: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || fail "apt-get update failed; install ${missing[*]} by hand"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed (need root or passwordless sudo)"
fi
