// Keeps the webhook's CA + serving certificate in a Secret (shared by all operator replicas),
// rotates it before expiry, and patches the CA bundle into every ValidatingWebhookConfiguration
// that points at our webhook (the install's shell and any the operator applies itself).
import { createObject, getObject, listObjects, mergePatchObject } from '../kube/apply.js';
import { isKubeStatus } from '../kube/http.js';
import type { KubeHttp } from '../kube/http.js';
import type { KubeObject } from '../kube/types.js';
import { ensureCertBundle, RotationNeed, SECRET_KEYS } from './certs.js';
import type { CertBundle } from './certs.js';
import { FIELD_MANAGER } from './labels.js';

/** `webhooks[].name` of the protection webhook (src/constructs/protection/protection-webhook.ts). */
export const PROTECTION_WEBHOOK_NAME = 'protection.multinic.example.com';
/**
 * The `scale` companion: the API server matches objectSelector against the request's objects, and
 * for `deployments/scale` those are label-less `autoscaling/v1` Scale objects, so the main webhook
 * is never called for a scale. This entry has no objectSelector (the handler looks the parent's
 * labels up in the operator's cache) and `failurePolicy: Ignore`, so a down webhook never blocks
 * scaling of anything; added at runtime when the configuration lacks it.
 */
export const SCALE_WEBHOOK_NAME = 'scale.protection.multinic.example.com';

function scaleWebhook(primary: Record<string, unknown>): Record<string, unknown> {
  return {
    name: SCALE_WEBHOOK_NAME,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Ignore',
    timeoutSeconds: primary['timeoutSeconds'] ?? 5,
    matchPolicy: 'Equivalent',
    ...(primary['namespaceSelector'] !== undefined
      ? { namespaceSelector: primary['namespaceSelector'] }
      : {}),
    rules: [
      {
        apiGroups: ['apps'],
        apiVersions: ['*'],
        operations: ['UPDATE'],
        resources: ['deployments/scale', 'statefulsets/scale'],
        scope: 'Namespaced',
      },
    ],
    clientConfig: primary['clientConfig'],
  };
}

export interface WebhookTlsOptions {
  namespace: string;
  /** @default 'multinic-webhook-tls' */
  secretName?: string;
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  now: Date;
}

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');

function bundleOf(secret: SecretObject | undefined): Partial<CertBundle> | undefined {
  if (secret === undefined) return undefined;
  const data = secret.data ?? {};
  const out: Partial<CertBundle> = {};
  const caCert = unb64(data[SECRET_KEYS.caCert]);
  const caKey = unb64(data[SECRET_KEYS.caKey]);
  const cert = unb64(data[SECRET_KEYS.cert]);
  const key = unb64(data[SECRET_KEYS.key]);
  if (caCert !== undefined) out.caCert = caCert;
  if (caKey !== undefined) out.caKey = caKey;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}

function secretData(bundle: CertBundle): Record<string, string> {
  return {
    [SECRET_KEYS.caCert]: b64(bundle.caCert),
    [SECRET_KEYS.caKey]: b64(bundle.caKey),
    [SECRET_KEYS.cert]: b64(bundle.cert),
    [SECRET_KEYS.key]: b64(bundle.key),
  };
}

/**
 * Reads the TLS Secret, regenerates what `rotationNeed` says, writes it back (create, or update
 * with a resourceVersion precondition); on a race with another replica, re-reads and uses theirs.
 */
export async function ensureWebhookTls(
  http: KubeHttp,
  options: WebhookTlsOptions,
): Promise<{ bundle: CertBundle; rotated: RotationNeed }> {
  const ref = {
    apiVersion: 'v1',
    kind: 'Secret',
    namespace: options.namespace,
    name: options.secretName ?? 'multinic-webhook-tls',
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const secret = await getObject<SecretObject>(http, ref);
    const { bundle, rotated } = await ensureCertBundle(bundleOf(secret), {
      dnsNames: options.dnsNames,
      ...(options.ipAddresses !== undefined ? { ipAddresses: options.ipAddresses } : {}),
      now: options.now,
    });
    if (rotated === RotationNeed.None) return { bundle, rotated };
    try {
      if (secret === undefined) {
        await createObject<SecretObject>(
          http,
          {
            apiVersion: 'v1',
            kind: 'Secret',
            type: 'kubernetes.io/tls',
            metadata: {
              name: ref.name,
              namespace: ref.namespace,
              labels: { 'app.kubernetes.io/part-of': 'multinic' },
            },
            data: secretData(bundle),
          },
          { fieldManager: FIELD_MANAGER },
        );
      } else {
        await mergePatchObject(
          http,
          ref,
          { metadata: { resourceVersion: secret.metadata.resourceVersion }, data: secretData(bundle) },
          { fieldManager: FIELD_MANAGER },
        );
      }
      return { bundle, rotated };
    } catch (error) {
      if (!isKubeStatus(error, 409)) throw error;
    }
  }
  throw new Error(`webhook TLS Secret ${ref.namespace}/${ref.name} kept changing while being written`);
}

interface WebhookEntry {
  name?: string;
  clientConfig?: { caBundle?: string; url?: string; service?: unknown };
}

/**
 * Sets our webhooks' `caBundle` (and `url`, when running out of cluster) in a configuration
 * object, adding the scale companion entry when it is missing.
 */
export function withWebhookClientConfig(
  obj: KubeObject,
  caBundlePem: string,
  url: string | undefined,
): KubeObject {
  if (obj.kind !== 'ValidatingWebhookConfiguration') return obj;
  const listed = (obj['webhooks'] ?? []) as WebhookEntry[];
  const primary = listed.find((hook) => hook.name === PROTECTION_WEBHOOK_NAME);
  if (primary === undefined) return obj;
  const webhooks = listed.some((hook) => hook.name === SCALE_WEBHOOK_NAME)
    ? listed
    : [...listed, scaleWebhook(primary as Record<string, unknown>) as WebhookEntry];
  const ours = new Set([PROTECTION_WEBHOOK_NAME, SCALE_WEBHOOK_NAME]);
  return {
    ...obj,
    webhooks: webhooks.map((hook) => {
      if (!ours.has(hook.name ?? '')) return hook;
      const rest: NonNullable<WebhookEntry['clientConfig']> = { ...hook.clientConfig };
      const service = rest.service;
      delete rest.service;
      delete rest.url;
      const clientConfig =
        url !== undefined ? { ...rest, url } : { ...rest, ...(service !== undefined ? { service } : {}) };
      return { ...hook, clientConfig: { ...clientConfig, caBundle: b64(caBundlePem) } };
    }),
  };
}

/**
 * Patches the CA bundle (and URL override) into every existing configuration carrying our
 * webhook (or only those in `names`) whose value differs. Returns the number of objects patched.
 */
export async function patchWebhookConfigurations(
  http: KubeHttp,
  caBundlePem: string,
  url: string | undefined,
  names?: readonly string[],
): Promise<number> {
  const kind = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' };
  const configs = (await listObjects(http, kind)).filter(
    (config) => names === undefined || names.includes(config.metadata.name ?? ''),
  );
  let patched = 0;
  for (const config of configs) {
    const next = withWebhookClientConfig(config, caBundlePem, url);
    if (next === config || JSON.stringify(next['webhooks']) === JSON.stringify(config['webhooks'])) continue;
    const path = await http.objectPath({ ...kind, name: config.metadata.name ?? '' });
    // JSON merge patch replaces lists as a whole; send the full `webhooks` list with the
    // resourceVersion it was computed from.
    await http.request('PATCH', path, {
      body: { metadata: { resourceVersion: config.metadata.resourceVersion }, webhooks: next['webhooks'] },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: `${FIELD_MANAGER}-ca` },
    });
    patched += 1;
  }
  return patched;
}
