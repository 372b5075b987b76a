// vitest globalSetup of the `integration` project: one real control plane per test run
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok with 3 fake Nodes) plus
// the machine's MariaDB, handed to test files through `inject('multinic')` (see kube.ts).
// Torn down at the end even when tests fail; SIGINT/SIGTERM/exit kill the components too, and
// control planes left behind by a crashed run are reaped at the next start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startControlPlane, type RealNode, type RealNodeOptions } from '../../src/dev/control-plane.js';
import { ensureMariaDb } from '../../src/dev/mariadb.js';
import type { FakeNode } from '../../src/dev/nodes.js';
import { killNow, reapOrphans } from '../../src/dev/state.js';

/** What every integration test file can `inject('multinic')`. */
export interface MultinicTestEnv {
  /** https://127.0.0.1:<port> */
  apiServerUrl: string;
  /** Admin (system:masters) kubeconfig file. */
  kubeconfigPath: string;
  /** CA of the API server's serving certificate (PEM). */
  caCertPem: string;
  caCertPath: string;
  /** The client CA (cert + key files): kube.ts mints per-user client certificates with it. */
  clientCaCertPath: string;
  clientCaKeyPath: string;
  /** mysql://root@127.0.0.1:3306, or undefined when MariaDB is unavailable (see mariadbError). */
  mariadbUrl: string | undefined;
  mariadbError: string | undefined;
  /** The fake Nodes (kwok), each with a distinct status.nodeInfo.systemUUID. */
  nodes: FakeNode[];
  /** The control-plane binaries (etcd, kube-apiserver, ...). */
  binDir: string;
  /** Data dir of this run's control plane (logs in <dataDir>/logs). */
  dataDir: string;
  /** The real node (containerd + kubelet) and the project's image on it; only in the `realnode` project. */
  realNode?: RealNode & { image: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    multinic: MultinicTestEnv;
  }
}

const PREFIX = 'multinic-test-';

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return setupControlPlane(project);
}

/**
 * The shared setup; `realNode` adds one real node running `image` (realnode-setup.ts) and
 * `fakeNodes` overrides the number of kwok Nodes.
 */
export async function setupControlPlane(
  project: TestProject,
  realNode?: { options: RealNodeOptions; image: string; fakeNodes: number },
): Promise<() => Promise<void>> {
  await reapOrphans(tmpdir(), PREFIX);
  const dataDir = mkdtempSync(join(tmpdir(), PREFIX));
  const nodes = realNode?.fakeNodes ?? Number(process.env['MULTINIC_TEST_NODES'] ?? 3);
  const [controlPlane, mariadb] = await Promise.all([
    startControlPlane({
      dataDir,
      removeDataDirOnStop: true,
      nodes,
      mariadb: false,
      ...(realNode === undefined ? {} : { realNode: realNode.options }),
    }).catch((error: unknown) => {
      // Keep the logs for inspection; the error already carries the failing component's log tail.
      throw new Error(
        `integration global setup: control plane did not start (logs in ${dataDir}/logs): ${String(error instanceof Error ? error.message : error)}`,
      );
    }),
    ensureMariaDb().then(
      (status) => ({ url: status.url, error: undefined }),
      (error: unknown) => ({ url: undefined, error: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  if (mariadb.url !== undefined) controlPlane.setEnv('MULTINIC_MARIADB_URL', mariadb.url);

  const killOnExit = (): void => {
    killNow(controlPlane.state.components, controlPlane.state.realNode);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killOnExit();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.on('exit', killOnExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const env: MultinicTestEnv = {
    apiServerUrl: controlPlane.apiServerUrl,
    kubeconfigPath: controlPlane.kubeconfigPath,
    caCertPem: controlPlane.caCertPem,
    caCertPath: controlPlane.caCertPath,
    clientCaCertPath: controlPlane.clientCaCertPath,
    clientCaKeyPath: controlPlane.clientCaKeyPath,
    mariadbUrl: mariadb.url,
    mariadbError: mariadb.error,
    nodes: controlPlane.nodes,
    binDir: controlPlane.binDir,
    dataDir: controlPlane.dataDir,
    ...(controlPlane.realNode === undefined || realNode === undefined
      ? {}
      : { realNode: { ...controlPlane.realNode, image: realNode.image } }),
  };
  project.provide('multinic', env);

  return async () => {
    process.off('exit', killOnExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await controlPlane.stop();
  };
}
