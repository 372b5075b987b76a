// Desired state of one MultiNicOperator for the reconciler: the MultiNicSystem manifests from
// `renderSystem` (the same constructs the `system` chart synthesizes). The Secrets the constructs
// name but never render (database credentials) are NOT part of the desired set: the data they
// unlock outlives the MultiNicOperator, like a StatefulSet's PVCs outlive the StatefulSet. So a
// missing generated Secret is created once (no ownerReference: deleting the CR keeps it, and a
// re-created CR reuses it), an existing one is only read by name (authoritative GET; the operator
// never lists Secrets), and a Secret the user names is never created, labelled or written.
import { randomBytes } from 'node:crypto';

import { DATABASE_SECRET_KEYS } from '../api/multinic-operator.js';
import type { MultiNicOperator } from '../api/multinic-operator.js';
import { APP_COMPONENT_LABEL } from '../api/labels.js';
import { createObject, getObject } from '../kube/apply.js';
import { isKubeStatus } from '../kube/http.js';
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

function base64(value: string): string {
  return Buffer.from(value).toString('base64');
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
      if ((await getObject<SecretObject>(context.http, ref)) !== undefined) continue;
      const credentials = cr.spec.database.credentials;
      if (credentials.secretRef?.name === required.name) {
        throw new Error(
          `database credentials Secret ${required.namespace}/${required.name} (spec.database.credentials.secretRef) does not exist; create it with the keys ${DATABASE_SECRET_KEYS.rootPassword} and ${DATABASE_SECRET_KEYS.password}`,
        );
      }
      const generated: SecretObject = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: required.name,
          namespace: required.namespace,
          labels: { ...rendered.managedLabels, [APP_COMPONENT_LABEL]: 'database' },
        },
        type: 'Opaque',
        data: {
          [DATABASE_SECRET_KEYS.rootPassword]: base64(password(random)),
          [DATABASE_SECRET_KEYS.password]: base64(password(random)),
          [DATABASE_SECRET_KEYS.user]: base64(credentials.user),
          [DATABASE_SECRET_KEYS.database]: base64(credentials.database),
        },
      };
      // Another replica or an earlier attempt may have created it meanwhile: theirs stands.
      await createObject(context.http, generated).catch((error: unknown) => {
        if (!isKubeStatus(error, 409)) throw error;
      });
    }
    return objects;
  };
}
