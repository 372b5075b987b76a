// Writes counted denials into `status.protectionStatus` of their MultiNicOperator. Every replica
// serving the webhook does this for its own counts (not only the leader), as a read-add-write
// with a resourceVersion precondition, so concurrent writers never lose an increment.
import { MULTINIC_OPERATOR } from '../api/groups.js';
import { getObject, mergePatchObject } from '../kube/apply.js';
import { isKubeStatus } from '../kube/http.js';
import type { KubeHttp } from '../kube/http.js';
import type { KubeObject } from '../kube/types.js';
import { FIELD_MANAGER } from './labels.js';
import type { OwnerRef, ProtectionAccounting } from './protection-accounting.js';

interface CrWithProtection extends KubeObject {
  status?: { protectionStatus?: { preventedMutations?: number; lastProtectionEvent?: string } };
}

/** Flushes the pending denials of `owner`; on failure they are put back for the next attempt. */
export async function flushDenials(
  http: KubeHttp,
  accounting: ProtectionAccounting,
  owner: OwnerRef,
): Promise<boolean> {
  const pending = accounting.take(owner);
  if (pending === undefined) return true;
  const ref = { apiVersion: MULTINIC_OPERATOR.apiVersion, kind: MULTINIC_OPERATOR.kind, ...owner };
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cr = await getObject<CrWithProtection>(http, ref);
      if (cr === undefined) return true; // the CR is gone: nothing to count into
      const previous = cr.status?.protectionStatus;
      const last =
        previous?.lastProtectionEvent !== undefined &&
        Date.parse(previous.lastProtectionEvent) > pending.last.getTime()
          ? previous.lastProtectionEvent
          : pending.last.toISOString();
      try {
        await mergePatchObject(
          http,
          ref,
          {
            metadata: { resourceVersion: cr.metadata.resourceVersion },
            status: {
              protectionStatus: {
                preventedMutations: (previous?.preventedMutations ?? 0) + pending.count,
                lastProtectionEvent: last,
              },
            },
          },
          { subresource: 'status', fieldManager: `${FIELD_MANAGER}-protection` },
        );
        return true;
      } catch (error) {
        if (!isKubeStatus(error, 409)) throw error;
      }
    }
    throw new Error('status kept changing (5 conflicts)');
  } catch {
    accounting.restore(owner, pending);
    return false;
  }
}
