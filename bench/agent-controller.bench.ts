// Agent-controller rollout benchmark (issue 8 "Must show" (a)): N node configs created at once
// -> time until every one is Configured, at the default maxConcurrentNodes (1) and at 50, with
// the API requests the controller issued per node. Runs against its own local control plane
// (etcd, kube-apiserver, controllers, kwok); the agent pods are completed by the test harness's
// fake kubelet (test/integration/agent-controller/harness.ts explains why), which answers at once,
// so the figures are the controller + Kubernetes Job machinery overhead, not agent work.
//
//   npx tsx bench/agent-controller.bench.ts [--nodes 1000] [--concurrency 1,50] [--default-nodes N]
// --default-nodes limits the run at concurrency 1 (serial rollout: ~1-2 s per node in the Job
// controller) and extrapolates it to --nodes, printed as such.
import { parseArgs } from 'node:util';
import { AgentController } from '../src/agent-controller/controller.js';
import { startControlPlane } from '../src/dev/control-plane.js';
import { createObject } from '../src/kube/apply.js';
import { loadKubeConfig } from '../src/kube/config.js';
import { KubeHttp } from '../src/kube/http.js';
import { Informer } from '../src/kube/informer.js';
import type { KubeObject } from '../src/kube/types.js';
import {
  createTestNodes,
  ensureNamespace,
  ensureServiceAccount,
  FakeAgentKubelet,
  installCrds,
  nodeConfig,
  successResult,
} from '../test/integration/agent-controller/harness.js';

const MACS = ['fa:16:3e:10:00:01', 'fa:16:3e:10:00:02'];

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,50' },
    'default-nodes': { type: 'string', default: '100' },
  },
});
const totalNodes = Number(values.nodes);
const levels = (values.concurrency ?? '1,50').split(',').map(Number);
const defaultNodes = Math.min(Number(values['default-nodes']), totalNodes);

async function runLevel(
  http: KubeHttp,
  kubeconfigPath: string,
  nodes: { name: string; systemUUID: string }[],
  concurrency: number,
  tag: string,
) {
  const configNs = `bench-configs-${tag}`;
  const agentNs = `bench-agent-${tag}`;
  await ensureNamespace(http, configNs);
  await ensureNamespace(http, agentNs);
  await ensureServiceAccount(http, agentNs, 'multinic-agent');
  const kubelet = new FakeAgentKubelet(http, agentNs, (node, action) => ({
    exitCode: 0,
    result: successResult(node, MACS, action),
  }));
  await kubelet.start();
  const controllerHttp = new KubeHttp(loadKubeConfig({ kubeconfig: kubeconfigPath }));
  const controller = new AgentController({
    http: controllerHttp,
    nodeConfigNamespace: configNs,
    agentNamespace: agentNs,
    maxConcurrentNodes: concurrency,
    workers: 16,
    jobDefaults: { image: 'registry.example/multinic:bench', serviceAccountName: 'multinic-agent' },
  });
  await controller.start();
  const watcher = new Informer<KubeObject & { status?: { state?: string } }>({
    http,
    apiVersion: 'multinic.io/v1alpha1',
    kind: 'MultiNicNodeConfig',
    namespace: configNs,
  });
  let configured = 0;
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (done = resolve));
  const seen = new Set<string>();
  watcher.addHandler({
    update: (_old, obj) => {
      if (obj.status?.state === 'Configured' && !seen.has(obj.metadata.name ?? '')) {
        seen.add(obj.metadata.name ?? '');
        configured += 1;
        if (configured === nodes.length) done();
      }
    },
  });
  watcher.start();
  await watcher.waitForSync();
  const requestsBefore = controllerHttp.requestCount;
  const started = performance.now();
  for (let i = 0; i < nodes.length; i += 50) {
    await Promise.all(
      nodes.slice(i, i + 50).map((node) => createObject(http, nodeConfig(configNs, node, MACS))),
    );
  }
  const progress = setInterval(
    () =>
      console.log(
        `  ... ${configured}/${nodes.length} configured after ${((performance.now() - started) / 1000).toFixed(0)} s`,
      ),
    30_000,
  );
  await allDone;
  clearInterval(progress);
  const seconds = (performance.now() - started) / 1000;
  await controller.whenIdle();
  const requests = controllerHttp.requestCount - requestsBefore;
  await controller.stop();
  await watcher.stop();
  await kubelet.stop();
  return { seconds, requestsPerNode: requests / nodes.length, maxInFlight: concurrency };
}

async function main(): Promise<void> {
  console.log(`agent-controller rollout: ${totalNodes} node configs, concurrency ${levels.join(', ')}`);
  const t0 = performance.now();
  const cp = await startControlPlane({ nodes: 0, mariadb: false });
  const onSignal = (): void => {
    void cp.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.log(`control plane up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const http = new KubeHttp(loadKubeConfig({ kubeconfig: cp.kubeconfigPath }));
    await installCrds(http);
    const t1 = performance.now();
    const nodes = await createTestNodes(
      http,
      Array.from({ length: totalNodes }, (_, i) => `bench-node-${String(i).padStart(4, '0')}`),
    );
    console.log(`${nodes.length} kwok Nodes created in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    const results: string[] = [];
    for (const concurrency of levels) {
      const count = concurrency === 1 ? defaultNodes : totalNodes;
      const r = await runLevel(
        http,
        cp.kubeconfigPath,
        nodes.slice(0, count),
        concurrency,
        `c${concurrency}`,
      );
      const perNode = r.seconds / count;
      const line =
        count === totalNodes
          ? `maxConcurrentNodes=${concurrency}: ${count} nodes Configured in ${r.seconds.toFixed(1)} s (${(perNode * 1000).toFixed(0)} ms/node, ${(count / r.seconds).toFixed(1)} nodes/s), ${r.requestsPerNode.toFixed(1)} API requests/node`
          : `maxConcurrentNodes=${concurrency}: ${count} nodes Configured in ${r.seconds.toFixed(1)} s (${(perNode * 1000).toFixed(0)} ms/node) -> ${totalNodes} nodes extrapolated ${((perNode * totalNodes) / 60).toFixed(1)} min, ${r.requestsPerNode.toFixed(1)} API requests/node`;
      console.log(line);
      results.push(line);
    }
    console.log('\nfigures:');
    for (const line of results) console.log(`  ${line}`);
  } finally {
    await cp.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
