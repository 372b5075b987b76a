// The published install on a real node: the install chart (what dist/install.k8s.yaml holds, with
// the locally built image) is applied as is; the operator runs as a pod under its own
// ServiceAccount, reaches the API server through the `kubernetes` Service and turns Ready through
// its probes. A MultiNicOperator then makes it deploy the controller and the agent-controller,
// which run as pods too and turn Ready. The database is external: a MariaDB database and user of
// the machine's server, reached through a TCP relay on the node's gateway address (the server
// itself listens on loopback only).
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MULTINIC_OPERATOR } from '../../src/api/groups.js';
import { SAMPLE_NAMESPACE } from '../../src/api/samples.js';
import { buildApp } from '../../src/cli/commands/synth.js';
import { adminClients, applyManifests, testEnv, waitFor } from '../support/kube.js';
import { connectServer, uniqueDatabaseName } from '../support/mariadb.js';
import type { Database } from '../../src/db/pool.js';

function realNode(): NonNullable<ReturnType<typeof testEnv>['realNode']> {
  const node = testEnv().realNode;
  if (node === undefined) throw new Error('no real node: run this file in the vitest "realnode" project');
  return node;
}

const FIELD_MANAGER = 'multinic-realnode-test';
const database = uniqueDatabaseName('mnreal');
const user = `u${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
let server: Database | undefined;
let relay: Server | undefined;
const sockets = new Set<Socket>();

/** Forwards TCP connections on the node's gateway address to the machine's MariaDB on loopback. */
function startRelay(host: string): Promise<number> {
  relay = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: 3306 });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    relay?.once('error', reject);
    relay?.listen(0, host, () => {
      const address = relay?.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

async function deploymentReady(namespace: string, name: string): Promise<V1Deployment | undefined> {
  const { apps } = adminClients();
  try {
    const deployment = await apps.readNamespacedDeployment({ namespace, name });
    const wanted = deployment.spec?.replicas ?? 1;
    return (deployment.status?.readyReplicas ?? 0) >= wanted &&
      (deployment.status?.updatedReplicas ?? 0) >= wanted
      ? deployment
      : undefined;
  } catch {
    return undefined;
  }
}

/** The pods of a Deployment (by its selector), with where they run and whether they are Ready. */
async function podsOf(deployment: V1Deployment): Promise<{ node: string; ready: boolean }[]> {
  const { core } = adminClients();
  const selector = Object.entries(deployment.spec?.selector.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = await core.listNamespacedPod({
    namespace: deployment.metadata?.namespace ?? '',
    labelSelector: selector,
  });
  return pods.items.map((pod) => ({
    node: pod.spec?.nodeName ?? '',
    ready: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
  }));
}

/** One line per pod of the namespace: phase, readiness and the last container message (for failures). */
async function describePods(namespace: string): Promise<string> {
  const { core } = adminClients();
  const pods = await core.listNamespacedPod({ namespace });
  return pods.items
    .map((pod) => {
      const status = pod.status?.containerStatuses?.[0];
      const state = status?.state?.waiting ?? status?.state?.terminated ?? status?.lastState?.terminated;
      return `${pod.metadata?.name ?? '?'}: ${pod.status?.phase ?? '?'} ready=${String(status?.ready ?? false)} restarts=${status?.restartCount ?? 0} ${state?.reason ?? ''} ${state?.message ?? ''}`;
    })
    .join('\n');
}

/** Waits for the Deployment to be Ready; on timeout the error lists the namespace's pods. */
async function waitReady(namespace: string, name: string, timeout: number): Promise<V1Deployment> {
  try {
    return await waitFor(() => deploymentReady(namespace, name), {
      timeout,
      interval: 1000,
      what: `the ${name} Deployment to be Ready`,
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\npods:\n${await describePods(namespace)}`, { cause: error });
  }
}

beforeAll(async () => {
  server = await connectServer();
  await server.query('create database', `CREATE DATABASE \`${database}\``);
  await server.query('create user', `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await server.query('grant', `GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'%'`);
});

afterAll(async () => {
  const { custom } = adminClients();
  await custom
    .deleteNamespacedCustomObject({
      group: MULTINIC_OPERATOR.group,
      version: MULTINIC_OPERATOR.version,
      namespace: SAMPLE_NAMESPACE,
      plural: MULTINIC_OPERATOR.plural,
      name: 'multinic',
    })
    .catch(() => undefined);
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => (relay === undefined ? resolve() : relay.close(() => resolve())));
  await server?.query('drop user', `DROP USER IF EXISTS '${user}'@'%'`);
  await server?.query('drop database', `DROP DATABASE IF EXISTS \`${database}\``);
  await server?.close();
});

describe('the install on a real node', () => {
  it('runs the operator as a pod with its own ServiceAccount and turns it Ready', async () => {
    const app = buildApp({ outdir: '/dev/null', image: realNode().image });
    const install = app.charts.find((chart) => chart.node.id === 'install');
    if (install === undefined) throw new Error("no 'install' chart in buildApp()");
    await applyManifests(install.toJson() as KubernetesObject[], FIELD_MANAGER);

    const operator = await waitReady(SAMPLE_NAMESPACE, 'multinic-operator', 180_000);
    expect(operator.spec?.template.spec?.containers[0]?.image).toBe(realNode().image);
    expect(operator.spec?.template.spec?.serviceAccountName).toBe('multinic-operator');
    expect(await podsOf(operator)).toEqual([{ node: realNode().name, ready: true }]);
  });

  it('deploys the controller and the agent-controller from a MultiNicOperator, both Ready on the node', async () => {
    const port = await startRelay(realNode().hostAddress);
    const { core, custom } = adminClients();
    await core.createNamespacedSecret({
      namespace: SAMPLE_NAMESPACE,
      body: {
        metadata: { name: 'realnode-db' },
        stringData: { username: user, password },
      },
    });
    await custom.createNamespacedCustomObject({
      group: MULTINIC_OPERATOR.group,
      version: MULTINIC_OPERATOR.version,
      namespace: SAMPLE_NAMESPACE,
      plural: MULTINIC_OPERATOR.plural,
      body: {
        apiVersion: MULTINIC_OPERATOR.apiVersion,
        kind: MULTINIC_OPERATOR.kind,
        metadata: { name: 'multinic', namespace: SAMPLE_NAMESPACE },
        spec: {
          controller: { replicas: 1 },
          agent: { mode: 'job', maxConcurrentNodes: 1 },
          database: {
            enabled: false,
            backup: { enabled: false },
            external: {
              host: realNode().hostAddress,
              port,
              database,
              secretRef: { name: 'realnode-db' },
            },
          },
          protection: { mode: 'policy' },
          networkPolicy: { enabled: false },
        },
      },
    });
    for (const name of ['multinic-controller', 'multinic-agent-controller']) {
      const deployment = await waitReady(SAMPLE_NAMESPACE, name, 240_000);
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(realNode().image);
      expect(await podsOf(deployment)).toEqual([{ node: realNode().name, ready: true }]);
    }
  });
});
