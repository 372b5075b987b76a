/**
 * Helpers for integration tests against the real control plane started by global-setup.ts.
 *
 *   testEnv()                          -> what the global setup provides (URLs, paths, nodes, MariaDB URL)
 *   adminClients()                     -> Clients as the admin (system:masters); cached per file
 *   clientsAs(user, groups?)           -> Clients as any user (client certificate CN=user, O=groups)
 *   clientsAsServiceAccount(ns, name)  -> Clients with a TokenRequest token (creates the SA if missing)
 *   useNamespace(prefix?)              -> call at file/describe level: a fresh namespace created in
 *                                         beforeAll (its `default` SA exists), deleted in afterAll;
 *                                         read `.name` inside tests/hooks
 *   waitFor(fn, { timeout, interval, what }) -> polls until fn returns a truthy value (returned);
 *                                         throws "timed out after Ns waiting for <what>; last: ..." otherwise
 *   applyManifests(objects, fieldManager?, clients?) -> server-side apply (force): CRDs first (waited
 *                                         for until Established), then Namespaces, then the rest in order
 *   mariadbUrl()                       -> the MariaDB URL, or throws the reason it is unavailable
 *
 * `Clients` = { kc, http, core, apps, batch, rbac, apiext, custom, objects }: client-node 2.0 APIs plus
 * `http` (src/kube KubeHttp: plain-JSON requests; use it with src/kube/apply.ts for plain manifests).
 * Beware: client-node's `objects` (KubernetesObjectApi) re-serializes built-in kinds through its typed
 * models and silently DROPS wire-format keys such as `x-kubernetes-validations`, `enum`, `default`
 * or `$ref` (it expects `xKubernetesValidations`, `_enum`...). Never apply plain manifests (CRDs!)
 * with it; applyManifests() uses src/kube/apply.ts instead.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  RbacAuthorizationV1Api,
  type KubernetesObject,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { applyObject } from '../../src/kube/apply.js';
import { KubeHttp } from '../../src/kube/http.js';
import type { KubeObject } from '../../src/kube/types.js';
import {
  loadIdentities,
  type Identities,
  type ServiceAccountTokenOptions,
} from '../../src/dev/identities.js';
import type { MultinicTestEnv } from './global-setup.js';

export type { MultinicTestEnv } from './global-setup.js';

export interface Clients {
  kc: KubeConfig;
  http: KubeHttp;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  rbac: RbacAuthorizationV1Api;
  apiext: ApiextensionsV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function testEnv(): MultinicTestEnv {
  const env = inject('multinic') as MultinicTestEnv | undefined;
  if (env === undefined) {
    throw new Error(
      'no control plane: run this file in the vitest "integration" project (globalSetup test/support/global-setup.ts)',
    );
  }
  return env;
}

export function clientsFor(kc: KubeConfig): Clients {
  return {
    kc,
    http: new KubeHttp(kc),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    apiext: kc.makeApiClient(ApiextensionsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

let admin: Clients | undefined;
export function adminClients(): Clients {
  if (admin === undefined) {
    const kc = new KubeConfig();
    kc.loadFromFile(testEnv().kubeconfigPath);
    admin = clientsFor(kc);
  }
  return admin;
}

let identities: Promise<Identities> | undefined;
function users(): Promise<Identities> {
  const env = testEnv();
  identities ??= loadIdentities(
    { server: env.apiServerUrl, caCertPem: env.caCertPem },
    env.clientCaCertPath,
    env.clientCaKeyPath,
    adminClients().kc,
  );
  return identities;
}

export async function clientsAs(user: string, groups: readonly string[] = []): Promise<Clients> {
  return clientsFor(await (await users()).kubeconfigFor(user, groups));
}

export async function clientsAsServiceAccount(
  namespace: string,
  name: string,
  options: ServiceAccountTokenOptions = {},
): Promise<Clients> {
  return clientsFor(await (await users()).serviceAccountKubeConfig(namespace, name, options));
}

export interface WaitForOptions {
  /** @default 30000 */
  timeout?: number;
  /** @default 250 */
  interval?: number;
  /** Named in the timeout error. @default 'condition' */
  what?: string;
}

function describeValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

/** Polls `fn` until it returns a truthy value, which is returned. Errors thrown by `fn` count as "not yet". */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeout = options.timeout ?? 30_000;
  const deadline = Date.now() + timeout;
  let last: unknown = 'never evaluated';
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `timed out after ${Math.round(timeout / 1000)}s waiting for ${options.what ?? 'condition'}; last: ${describeValue(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.interval ?? 250));
  }
}

function sanitize(text: string): string {
  return text
    .toLowerCase()
    .replace(/\.test\.ts$/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export interface TestNamespace {
  /** Available from the first beforeAll on. */
  readonly name: string;
}

/** A unique namespace for this test file (or describe block), created before and deleted after its tests. */
export function useNamespace(prefix?: string): TestNamespace {
  let name: string | undefined;
  beforeAll(async () => {
    const base = sanitize(prefix ?? basename(expect.getState().testPath ?? 'test')).slice(0, 48) || 'test';
    name = `${base}-${randomBytes(3).toString('hex')}`;
    const { core } = adminClients();
    await core.createNamespace({
      body: { metadata: { name, labels: { 'multinic.test/namespace': 'true' } } },
    });
    // Pods need the namespace's `default` ServiceAccount (ServiceAccount admission); KCM creates it.
    const namespace = name;
    await waitFor(() => core.readNamespacedServiceAccount({ namespace, name: 'default' }), {
      what: `ServiceAccount ${namespace}/default`,
    });
  });
  afterAll(async () => {
    if (name === undefined) return;
    await adminClients()
      .core.deleteNamespace({ name, propagationPolicy: 'Background' })
      .catch(() => undefined);
  });
  return {
    get name(): string {
      if (name === undefined) throw new Error('useNamespace(): the namespace exists only from beforeAll on');
      return name;
    },
  };
}

function isEstablished(crd: V1CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
}

/**
 * Server-side applies `objects` (force, as `fieldManager`) and returns what the API server returned,
 * in the input order. CRDs go first and are waited for until Established, then Namespaces, then the
 * rest in the given order, so one batch can hold CRDs, namespaces and the objects that need them.
 */
export async function applyManifests(
  objects: readonly KubernetesObject[],
  fieldManager = 'multinic-test',
  clients: Clients = adminClients(),
): Promise<KubernetesObject[]> {
  const isCrd = (o: KubernetesObject): boolean =>
    o.kind === 'CustomResourceDefinition' && (o.apiVersion ?? '').startsWith('apiextensions.k8s.io/');
  const isNamespace = (o: KubernetesObject): boolean => o.kind === 'Namespace' && o.apiVersion === 'v1';
  const apply = async (o: KubernetesObject): Promise<KubernetesObject> => {
    const live = await applyObject(clients.http, o as unknown as KubeObject, { fieldManager, force: true });
    return live as unknown as KubernetesObject;
  };
  const results = new Map<KubernetesObject, KubernetesObject>();
  const crds = objects.filter(isCrd);
  for (const crd of crds) results.set(crd, await apply(crd));
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await waitFor(async () => isEstablished(await clients.apiext.readCustomResourceDefinition({ name })), {
      what: `CRD ${name} Established`,
    });
  }
  for (const namespace of objects.filter(isNamespace)) results.set(namespace, await apply(namespace));
  for (const object of objects) if (!results.has(object)) results.set(object, await apply(object));
  return objects.map((object) => results.get(object) as KubernetesObject);
}

/** The MariaDB URL for tests (mysql://root@127.0.0.1:3306); throws the reason when it is unavailable. */
export function mariadbUrl(): string {
  const env = testEnv();
  if (env.mariadbUrl === undefined)
    throw new Error(`MariaDB is unavailable: ${env.mariadbError ?? 'unknown reason'}`);
  return env.mariadbUrl;
}
