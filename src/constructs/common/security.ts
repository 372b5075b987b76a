// Security contexts that satisfy the Pod Security Standard `restricted` profile: non-root,
// seccomp RuntimeDefault, no privilege escalation, every capability dropped, read-only root.
import type { PodSecurityContext, SecurityContext } from 'cdk8s-plus-28/lib/imports/k8s.js';

/** UID/GID of the `node` user in the official node images (our image runs as it). */
export const NODE_UID = 1000;

export function restrictedPodSecurityContext(uid: number, fsGroup?: number): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    ...(fsGroup === undefined ? {} : { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' }),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}
