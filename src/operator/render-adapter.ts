// Desired state of one MultiNicOperator for the reconciler: the MultiNicSystem manifests from
// `renderSystem` (the same constructs the `system` chart synthesizes) plus the Secrets the
// constructs name but never render (generated database credentials). A generated Secret is part
// of the desired set, so it is owned, protected and pruned like everything else; its values are
// read back from the cluster on every reconcile (authoritative GET, never the cache) so they are
// generated exactly once.
import { randomBytes } from 'node:crypto';

import { DATABASE_SECRET_KEYS } from '../api/multinic-operator.js';
import type { MultiNicOperator } from '../api/multinic-operator.js';
import { APP_COMPONENT_LABEL } from '../api/labels.js';
import { getObject } from '../kube/apply.js';
import type { KubeHttp } from '../kube/http.js';
import type { KubeObject } from '../kube/types.js';
import type { RenderFn } from './reconciler.js';
import { renderSystem } from './render.js';
import type { RenderOptions } from './render.js';

export interface RendererContext {
  http: KubeHttp;
  /** Namespace the operator runs in. */
  operatorNamespace: string;
  /** Usernames acting for the operator (written into the ValidatingAdmissionPolicy). */
  operatorUsernames: readonly string[];
  /** Image of every role unless the CR names one. @default - the constructs' default */
  image?: string;
  /** Namespace of the agent Jobs. @default - the constructs' default ('multinic-agent') */
  agentNamespace?: string;
  /** Random bytes source (tests). @default crypto.randomBytes */
  random?: (size: number) => Buffer;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

function password(random: (size: number) => Buffer): string {
  return random(24).toString('base64url');
}

export function createRenderer(context: RendererContext): RenderFn {
  const random = context.random ?? randomBytes;
  const options: RenderOptions = {
    operatorNamespace: context.operatorNamespace,
    operatorUsernames: context.operatorUsernames,
    ...(context.image !== undefined ? { image: context.image } : {}),
    ...(context.agentNamespace !== undefined ? { agentNamespace: context.agentNamespace } : {}),
  };
  return async (cr: MultiNicOperator): Promise<KubeObject[]> => {
    const rendered = renderSystem(cr, options);
    const objects: KubeObject[] = rendered.manifests.map(
      (manifest) => structuredClone(manifest) as KubeObject,
    );
    for (const required of rendered.requiredSecrets) {
      const ref = { apiVersion: 'v1', kind: 'Secret', namespace: required.namespace, name: required.name };
      const existing = await getObject<SecretObject>(context.http, ref);
      const data = existing?.data ?? {};
      const value = (key: string, fallback: () => string): string =>
        data[key] ?? Buffer.from(fallback()).toString('base64');
      const credentials = cr.spec.database.credentials;
      objects.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: required.name,
          namespace: required.namespace,
          labels: { ...rendered.managedLabels, [APP_COMPONENT_LABEL]: 'database' },
        },
        type: 'Opaque',
        data: {
          [DATABASE_SECRET_KEYS.rootPassword]: value(DATABASE_SECRET_KEYS.rootPassword, () =>
            password(random),
          ),
          [DATABASE_SECRET_KEYS.password]: value(DATABASE_SECRET_KEYS.password, () => password(random)),
          [DATABASE_SECRET_KEYS.user]: value(DATABASE_SECRET_KEYS.user, () => credentials.user),
          [DATABASE_SECRET_KEYS.database]: value(DATABASE_SECRET_KEYS.database, () => credentials.database),
        },
      });
    }
    return objects;
  };
}
