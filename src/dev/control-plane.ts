// A real local Kubernetes control plane for development and tests, envtest-style but with the
// controllers and kwok: etcd, kube-apiserver (RBAC+Node authz, ServiceAccount tokens),
// kube-controller-manager, kube-scheduler and kwok with N fake Nodes, on 127.0.0.1 with random
// free ports and certificates generated in-process. Used by `multinic dev up` and the vitest
// global setup. Every start-up failure is a ControlPlaneError: one line of cause, then the
// failing component's log tail.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../observability/logger.js';
import { generateFixture } from '../openstack/simulator/fixture.js';
import { COMPONENT_BINARIES, REPO_ROOT, resolveBinDir } from './binaries.js';
import { ControlPlaneError, tailFile } from './errors.js';
import { createIdentities, type Identities } from './identities.js';
import { makeKubeConfig, renderKubeconfig } from './kubeconfig.js';
import { ensureMariaDb, type MariaDbStatus } from './mariadb.js';
import {
  createFakeNodes,
  defaultNodeSpecs,
  waitForNodesReady,
  type FakeNode,
  type FakeNodeSpec,
} from './nodes.js';
import {
  createCertificateAuthority,
  createServiceAccountKeys,
  issueCertificate,
  issueClientCertificate,
  type KeyPairPem,
} from './pki.js';
import { freePorts } from './ports.js';
import {
  assertExecutable,
  isAlive,
  spawnComponent,
  stopProcess,
  waitHealthy,
  type RunningComponent,
  type StopOptions,
  type TlsMaterial,
} from './processes.js';
import {
  planNodeNetwork,
  nodePaths,
  CONTAINERD_METRICS_PORT,
  KUBELET_HEALTHZ_PORT,
  type NodePaths,
} from './real-node-config.js';
import {
  createNodeNetwork,
  hostIpv4Cidrs,
  importImages,
  missingCgroupParents,
  prepareNodeFiles,
  routePodTraffic,
  waitContainerd,
  waitNodeReady,
  type RealNodeImages,
  type RealNodeState,
} from './real-node.js';
import { stopDevState, writeState, type DevState } from './state.js';

export interface ControlPlaneTimeouts {
  /** @default 30000 */
  etcdMs?: number;
  /** Until /readyz answers 200. @default 120000 */
  apiServerMs?: number;
  /** kube-controller-manager, kube-scheduler and kwok healthy. @default 60000 */
  componentsMs?: number;
  /** Every fake Node Ready. @default 60000 */
  nodesMs?: number;
}

export interface ControlPlaneOptions {
  /** @default - resolveBinDir(): $MULTINIC_CONTROL_PLANE_BIN or the build cache */
  binDir?: string;
  /** Where certificates, kubeconfigs, logs, etcd data and state.json go. @default - a new temp dir */
  dataDir?: string;
  /** Remove `dataDir` in stop(). @default - true when the directory was created here */
  removeDataDirOnStop?: boolean;
  /** A count (kwok-node-0..) or explicit specs. @default 3 */
  nodes?: number | readonly FakeNodeSpec[];
  /** `false` skips MariaDB; otherwise it is checked (and started when down). @default {} */
  mariadb?: false | { url?: string; start?: boolean };
  /** The control plane outlives this process (`dev up`): orphan reaping leaves it alone. @default false */
  detached?: boolean;
  timeouts?: ControlPlaneTimeouts;
  /**
   * Also run the OpenStack simulator (`multinic openstack-sim --generate <nodes>x<portsPerVm>`) as a
   * component; the fake Nodes are then named after its VMs (node-0001, ...) and carry their Nova
   * server ids as systemUUIDs, and the env file gets OS_AUTH_URL/OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME.
   * Only with a node count. @default - not started
   */
  openstackSim?: { portsPerVm?: number };
  /** Fixed ports instead of random free ones (e.g. a stable API server port for a playground). @default {} */
  ports?: Partial<
    Record<
      'etcd' | 'etcdPeer' | 'apiServer' | 'controllerManager' | 'scheduler' | 'kwok' | 'openstackSim',
      number
    >
  >;
  /**
   * Also run one real node (containerd + kubelet in a network namespace of their own) beside the
   * fake ones. The API server then also listens on the host end of the node's veth pair (and its
   * URL uses that address), and kwok manages only the Nodes it was given. @default - none
   */
  realNode?: RealNodeOptions;
  /** Extra kube-apiserver flags (`--name=value`), appended last. @default [] */
  apiServerArgs?: readonly string[];
  logger?: Logger;
  /** Environment for the components (proxy variables are removed). @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface RealNodeOptions {
  /** @default 'realnode-0' */
  name?: string;
  /** What the kubelet is shown as the machine's UUID (status.nodeInfo.systemUUID). @default - a random UUID */
  systemUUID?: string;
  /** The sandbox image and the tarballs to import (e.g. tools/image/build.sh's image.env). */
  images: RealNodeImages;
  /** @default - `kubelet` in the control-plane bin directory */
  kubeletBinary?: string;
  /** From the kubelet's start until the Node is Ready. @default 120000 */
  readyTimeoutMs?: number;
}

/** The running real node. */
export interface RealNode {
  name: string;
  systemUUID: string;
  /** The node's InternalIP (its network namespace end of the veth pair). */
  nodeAddress: string;
  /** The machine's end; the API server listens here too. */
  hostAddress: string;
  /** The network namespace (`ip netns` name): hostNetwork pods see its NICs. */
  netns: string;
  containerdSocket: string;
  /** Seconds from the kubelet's start until the Node was Ready. */
  readySeconds: number;
}

export interface ControlPlane {
  dataDir: string;
  binDir: string;
  /** https://127.0.0.1:<port> */
  apiServerUrl: string;
  /** Admin (system:masters) kubeconfig file. */
  kubeconfigPath: string;
  adminKubeConfig: KubeConfig;
  /** CA of the API server's serving certificate. */
  caCertPem: string;
  caCertPath: string;
  /** The CA that signs client certificates (its key lets tests mint users). */
  clientCaCertPath: string;
  clientCaKeyPath: string;
  /** KEY=value lines (`export` form) for shells: KUBECONFIG, MULTINIC_MARIADB_URL, ... */
  envFilePath: string;
  mariadbUrl: string | undefined;
  /** http://127.0.0.1:<port> when `openstackSim` was given (Keystone at <url>/identity). */
  openstackSimUrl: string | undefined;
  nodes: FakeNode[];
  /** Set when `realNode` was given. */
  realNode: RealNode | undefined;
  users: Identities;
  /** The pids and logs of the components, in start order. */
  state: DevState;
  /** Adds or replaces a variable in the env file (e.g. the OpenStack simulator URL). */
  setEnv(name: string, value: string): void;
  /**
   * Stops one component (SIGTERM, then SIGKILL after `graceMs`; `graceMs: 0` kills at once) and
   * leaves the others running: fault injection for tests (e.g. an API-server outage).
   */
  stopComponent(name: ComponentName, options?: StopOptions): Promise<void>;
  /**
   * Starts a component stopped by `stopComponent` again with the same flags, ports, certificates
   * and data, and waits until it is healthy (kube-apiserver: /readyz) within the start-up timeout.
   */
  startComponent(name: ComponentName): Promise<void>;
  /** Stops every component (SIGTERM, then SIGKILL) and removes the data dir when configured. Idempotent. */
  stop(): Promise<void>;
}

export type ComponentName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'openstack-sim'
  | 'containerd'
  | 'kubelet';

const KWOK_CONFIGURATION =
  'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n';

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'];

function componentEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const name of PROXY_VARIABLES) delete env[name];
  // The API server calls webhooks on 127.0.0.1 directly, never through a proxy.
  env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost';
  return env;
}

function writeSecret(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Rewrites `path` with `name` set, keeping the other `export NAME=...` lines. */
export function setEnvFileVariable(path: string, name: string, value: string): void {
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name))
    throw new Error(`env variable name must be [A-Z_][A-Z0-9_]*, got '${name}'`);
  let lines: string[] = [];
  try {
    lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
  } catch {
    // a new file
  }
  lines = lines.filter((line) => !line.startsWith(`export ${name}=`));
  lines.push(`export ${name}=${shellQuote(value)}`);
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
}

interface Pki {
  ca: KeyPairPem;
  clientCa: Awaited<ReturnType<typeof createCertificateAuthority>>;
  serving: KeyPairPem;
  admin: KeyPairPem;
  controllerManager: KeyPairPem;
  scheduler: KeyPairPem;
  serviceAccount: { publicKeyPem: string; privateKeyPem: string };
}

async function createPki(extraServingAddresses: readonly string[]): Promise<Pki> {
  const [ca, clientCa, serviceAccount] = await Promise.all([
    createCertificateAuthority('multinic-dev-ca'),
    createCertificateAuthority('multinic-dev-client-ca'),
    createServiceAccountKeys(),
  ]);
  const [serving, admin, controllerManager, scheduler] = await Promise.all([
    issueCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '10.96.0.1', ...extraServingAddresses],
      usage: 'server',
    }),
    issueClientCertificate(clientCa, 'multinic-dev-admin', ['system:masters']),
    issueClientCertificate(clientCa, 'system:kube-controller-manager'),
    issueClientCertificate(clientCa, 'system:kube-scheduler'),
  ]);
  return { ca, clientCa, serving, admin, controllerManager, scheduler, serviceAccount };
}

/** The simulator's generated VMs as fake Nodes: node-0001.. with the VM's Nova server id as systemUUID. */
function simulatorNodeSpecs(count: number): FakeNodeSpec[] {
  const servers = (generateFixture({ vms: count, portsPerVm: 1 }).servers ?? []) as {
    id: string;
    metadata?: Record<string, string>;
  }[];
  return servers.map((server) => ({
    name: server.metadata?.['k8s-node-name'] ?? server.id,
    systemUUID: server.id,
  }));
}

/** Starts the control plane; on any failure everything already started is stopped again. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const logger = options.logger ?? silentLogger;
  const binDir = resolve(options.binDir ?? resolveBinDir());
  const bin = (name: (typeof COMPONENT_BINARIES)[number]): string => join(binDir, name);
  for (const name of COMPONENT_BINARIES) assertExecutable(bin(name));

  const createdDir = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'multinic-cp-')));
  const removeDataDir = options.removeDataDirOnStop ?? createdDir;
  for (const sub of ['pki', 'logs', 'etcd']) mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
  const timeouts = {
    etcdMs: options.timeouts?.etcdMs ?? 30_000,
    apiServerMs: options.timeouts?.apiServerMs ?? 120_000,
    componentsMs: options.timeouts?.componentsMs ?? 60_000,
    nodesMs: options.timeouts?.nodesMs ?? 60_000,
  };
  if (options.openstackSim !== undefined && typeof options.nodes === 'object') {
    throw new Error("'openstackSim' names the nodes after the simulator's VMs: give 'nodes' as a count");
  }
  const nodeCount = typeof options.nodes === 'number' ? options.nodes : 3;
  const nodeSpecs =
    typeof options.nodes === 'object'
      ? [...options.nodes]
      : options.openstackSim !== undefined
        ? simulatorNodeSpecs(nodeCount)
        : defaultNodeSpecs(nodeCount);
  const env = componentEnv(options.env ?? process.env);
  const started = Date.now();
  const phase = (name: string): void =>
    logger.info('control plane phase done', { phase: name, ms: Date.now() - started });

  // MariaDB is independent of the rest: check it while the control plane starts.
  const mariadb: Promise<MariaDbStatus | undefined> =
    options.mariadb === false ? Promise.resolve(undefined) : ensureMariaDb(options.mariadb ?? {});
  mariadb.catch(() => undefined);

  // The real node's addresses are chosen first: the API server's certificate and URL carry one.
  const network =
    options.realNode === undefined
      ? undefined
      : planNodeNetwork(randomUUID().replaceAll('-', '').slice(0, 6), hostIpv4Cidrs());
  const pki = await createPki(network === undefined ? [] : [network.hostAddress]);
  const file = (relative: string, content: string): string => writeSecret(join(dataDir, relative), content);
  const caCertPath = file('pki/ca.crt', pki.ca.certPem);
  file('pki/ca.key', pki.ca.keyPem);
  const clientCaCertPath = file('pki/client-ca.crt', pki.clientCa.certPem);
  const clientCaKeyPath = file('pki/client-ca.key', pki.clientCa.keyPem);
  const servingCert = file('pki/serving.crt', pki.serving.certPem);
  const servingKey = file('pki/serving.key', pki.serving.keyPem);
  const adminCertPath = file('pki/admin.crt', pki.admin.certPem);
  const adminKeyPath = file('pki/admin.key', pki.admin.keyPem);
  const saPub = file('pki/sa.pub', pki.serviceAccount.publicKeyPem);
  const saKey = file('pki/sa.key', pki.serviceAccount.privateKeyPem);
  phase('pki');

  const random = await freePorts(7);
  const port = (index: number, fixed: number | undefined): number => fixed ?? random[index] ?? 0;
  const fixed = options.ports ?? {};
  const etcdPort = port(0, fixed.etcd);
  const etcdPeerPort = port(1, fixed.etcdPeer);
  const apiPort = port(2, fixed.apiServer);
  const kcmPort = port(3, fixed.controllerManager);
  const schedulerPort = port(4, fixed.scheduler);
  const kwokPort = port(5, fixed.kwok);
  const simPort = port(6, fixed.openstackSim);
  const apiServerAddress = network?.hostAddress ?? '127.0.0.1';
  const apiServerUrl = `https://${apiServerAddress}:${apiPort}`;
  const cluster = { server: apiServerUrl, caCertPem: pki.ca.certPem };
  const kubeconfigPath = file(
    'kubeconfig',
    renderKubeconfig(cluster, 'multinic-dev-admin', { certificate: pki.admin }),
  );
  const kcmKubeconfig = file(
    'pki/kube-controller-manager.kubeconfig',
    renderKubeconfig(cluster, 'kcm', { certificate: pki.controllerManager }),
  );
  const schedulerKubeconfig = file(
    'pki/kube-scheduler.kubeconfig',
    renderKubeconfig(cluster, 'scheduler', { certificate: pki.scheduler }),
  );
  // An explicit (empty) kwok configuration: kwok v0.7 then uses its built-in node and pod stages
  // (Ready nodes, Running pods, Job pods Succeeded) and never reads the user's ~/.kwok/kwok.yaml.
  const kwokConfig = file('kwok.yaml', KWOK_CONFIGURATION);
  const envFilePath = join(dataDir, 'dev.env');
  setEnvFileVariable(envFilePath, 'KUBECONFIG', kubeconfigPath);

  const state: DevState = {
    version: 1,
    dataDir,
    ownerPid: process.pid,
    detached: options.detached ?? false,
    createdAt: new Date().toISOString(),
    apiServerUrl,
    kubeconfigPath,
    envFilePath,
    caCertPath,
    adminCertPath,
    adminKeyPath,
    clientCaCertPath,
    clientCaKeyPath,
    nodes: [],
    components: [],
  };
  /** How each component was started, so that startComponent() can start it again identically. */
  const specs = new Map<ComponentName, { binary: string; args: string[]; healthUrl: string }>();
  const start = (
    name: ComponentName,
    binary: string,
    args: string[],
    healthUrl: string,
  ): RunningComponent => {
    specs.set(name, { binary, args, healthUrl });
    const component = spawnComponent({
      name,
      binary,
      args,
      healthUrl,
      env,
      cwd: dataDir,
      logPath: join(dataDir, 'logs', `${name}.log`),
    });
    const record = {
      name: component.name,
      pid: component.pid,
      startTime: component.startTime,
      binary: component.binary,
      logPath: component.logPath,
      healthUrl: component.healthUrl,
    };
    // A restart replaces the component's record in place (the stop order stays the same).
    const index = state.components.findIndex((c) => c.name === name);
    if (index >= 0) state.components[index] = record;
    else state.components.push(record);
    writeState(state);
    logger.info('component started', { component: name, pid: component.pid });
    return component;
  };
  const tls: TlsMaterial = { caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
  writeState(state);

  let stopped = false;
  const recordOf = (name: ComponentName): DevState['components'][number] => {
    const record = state.components.find((c) => c.name === name);
    if (record === undefined) throw new Error(`component ${name} is not part of this control plane`);
    return record;
  };
  const stopComponent = async (name: ComponentName, stopOptions?: StopOptions): Promise<void> => {
    const result = await stopProcess(recordOf(name), stopOptions);
    logger.info('component stopped', { component: name, result });
  };
  const startComponent = async (name: ComponentName): Promise<void> => {
    if (stopped) throw new Error(`control plane in ${dataDir} is stopped`);
    const spec = specs.get(name);
    if (spec === undefined || isAlive(recordOf(name)))
      throw new Error(`component ${name} is running or unknown: stop it with stopComponent() first`);
    const timeoutMs =
      name === 'etcd'
        ? timeouts.etcdMs
        : name === 'kube-apiserver'
          ? timeouts.apiServerMs
          : timeouts.componentsMs;
    await waitHealthy(start(name, spec.binary, spec.args, spec.healthUrl), { timeoutMs, tls });
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopDevState(state);
    if (removeDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  // After a failed start the logs stay for inspection; only the bulky etcd data goes.
  const stopAfterFailure = async (): Promise<void> => {
    stopped = true;
    await stopDevState(state);
    rmSync(join(dataDir, 'etcd'), { recursive: true, force: true });
  };

  try {
    if (network !== undefined) {
      state.realNode = {
        name: options.realNode?.name ?? 'realnode-0',
        systemUUID: options.realNode?.systemUUID ?? randomUUID(),
        dir: join(dataDir, 'real-node'),
        network,
        containerdSocket: nodePaths(join(dataDir, 'real-node')).containerdSocket,
        createdCgroupParents: missingCgroupParents(),
      };
      writeState(state);
      createNodeNetwork(network);
      phase('node network');
    }
    // containerd and the image import (tens of seconds for our image) overlap the control plane's start.
    const runtime =
      options.realNode === undefined || state.realNode === undefined
        ? undefined
        : startNodeRuntime({
            options: options.realNode,
            record: state.realNode,
            binDir,
            apiPort,
            clientCaCertPath,
            nodeKubeconfig: renderKubeconfig(cluster, `system:node:${state.realNode.name}`, {
              certificate: await issueClientCertificate(pki.clientCa, `system:node:${state.realNode.name}`, [
                'system:nodes',
              ]),
            }),
            start,
          });
    const etcd = start(
      'etcd',
      bin('etcd'),
      [
        '--name=multinic-dev',
        `--data-dir=${join(dataDir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=multinic-dev=http://127.0.0.1:${etcdPeerPort}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      `http://127.0.0.1:${etcdPort}/health`,
    );
    await waitHealthy(etcd, { timeoutMs: timeouts.etcdMs });
    phase('etcd');

    const apiServer = start(
      'kube-apiserver',
      bin('kube-apiserver'),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        `--bind-address=${apiServerAddress}`,
        `--advertise-address=${apiServerAddress}`,
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dataDir, 'pki')}`,
        `--tls-cert-file=${servingCert}`,
        `--tls-private-key-file=${servingKey}`,
        `--client-ca-file=${clientCaCertPath}`,
        '--authorization-mode=Node,RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--allow-privileged=true',
        `--service-account-issuer=${apiServerUrl}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        // `kubectl logs/exec` on the real node: reach its kubelet by IP, as an admin.
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        `--kubelet-client-certificate=${adminCertPath}`,
        `--kubelet-client-key=${adminKeyPath}`,
        '--v=1',
        ...(options.apiServerArgs ?? []),
      ],
      `${apiServerUrl}/readyz`,
    );
    await waitHealthy(apiServer, { timeoutMs: timeouts.apiServerMs, tls });
    phase('kube-apiserver');

    const servingArgs = [
      '--bind-address=127.0.0.1',
      `--tls-cert-file=${servingCert}`,
      `--tls-private-key-file=${servingKey}`,
    ];
    const kcm = start(
      'kube-controller-manager',
      bin('kube-controller-manager'),
      [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        ...servingArgs,
        `--secure-port=${kcmPort}`,
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${caCertPath}`,
        `--cluster-signing-cert-file=${clientCaCertPath}`,
        `--cluster-signing-key-file=${clientCaKeyPath}`,
        '--controllers=*,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller,-node-ipam-controller',
        '--allocate-node-cidrs=false',
        '--v=1',
      ],
      `https://127.0.0.1:${kcmPort}/healthz`,
    );
    const scheduler = start(
      'kube-scheduler',
      bin('kube-scheduler'),
      [
        `--kubeconfig=${schedulerKubeconfig}`,
        `--authentication-kubeconfig=${schedulerKubeconfig}`,
        `--authorization-kubeconfig=${schedulerKubeconfig}`,
        ...servingArgs,
        `--secure-port=${schedulerPort}`,
        '--leader-elect=false',
        '--v=1',
      ],
      `https://127.0.0.1:${schedulerPort}/healthz`,
    );
    const kwok = start(
      'kwok',
      bin('kwok'),
      [
        `--kubeconfig=${kubeconfigPath}`,
        `--config=${kwokConfig}`,
        // Only the fake Nodes (createFakeNodes annotates them): a real kubelet's Node stays its own.
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--cidr=10.244.0.1/16',
        '--node-ip=10.0.0.1',
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${kwokPort}`,
      ],
      `http://127.0.0.1:${kwokPort}/healthz`,
    );
    const simulator =
      options.openstackSim === undefined
        ? undefined
        : start(
            'openstack-sim',
            process.execPath,
            [
              '--import',
              import.meta.resolve('tsx'),
              join(REPO_ROOT, 'src/cli/bin.ts'),
              'openstack-sim',
              '--generate',
              `${nodeCount}x${options.openstackSim.portsPerVm ?? 3}`,
              '--host',
              '127.0.0.1',
              '--port',
              String(simPort),
            ],
            `http://127.0.0.1:${simPort}/_admin/faults`,
          );
    await Promise.all(
      [kcm, scheduler, kwok, ...(simulator === undefined ? [] : [simulator])].map((component) =>
        waitHealthy(component, { timeoutMs: timeouts.componentsMs, tls }),
      ),
    );
    if (simulator !== undefined) {
      const simUrl = `http://127.0.0.1:${simPort}`;
      state.openstackSimUrl = simUrl;
      setEnvFileVariable(envFilePath, 'MULTINIC_OPENSTACK_SIM_URL', simUrl);
      setEnvFileVariable(envFilePath, 'OS_AUTH_URL', `${simUrl}/identity`);
      setEnvFileVariable(envFilePath, 'OS_USERNAME', 'admin');
      setEnvFileVariable(envFilePath, 'OS_PASSWORD', 'secret');
      setEnvFileVariable(envFilePath, 'OS_PROJECT_NAME', 'sim-project');
      setEnvFileVariable(envFilePath, 'OS_USER_DOMAIN_NAME', 'Default');
      setEnvFileVariable(envFilePath, 'OS_PROJECT_DOMAIN_NAME', 'Default');
      writeState(state);
    }
    phase('controllers');

    const adminKubeConfig = makeKubeConfig(cluster, 'multinic-dev-admin', { certificate: pki.admin });
    try {
      state.nodes = await createFakeNodes(adminKubeConfig, nodeSpecs);
      writeState(state);
      await waitForNodesReady(
        adminKubeConfig,
        state.nodes.map((node) => node.name),
        { timeoutMs: timeouts.nodesMs },
      );
    } catch (error) {
      throw new ControlPlaneError(
        `fake nodes: ${error instanceof Error ? error.message : String(error)}; kwok log: ${kwok.logPath}`,
        'kwok',
        tailFile(kwok.logPath),
      );
    }
    phase('nodes');

    const realNode =
      runtime === undefined || state.realNode === undefined
        ? undefined
        : await startKubelet(runtime, state.realNode, adminKubeConfig, () => writeState(state));
    if (realNode !== undefined) phase('real node');

    const db = await mariadb;
    if (db !== undefined) {
      state.mariadbUrl = db.url;
      setEnvFileVariable(envFilePath, 'MULTINIC_MARIADB_URL', db.url);
      writeState(state);
    }
    phase('mariadb');

    return {
      dataDir,
      binDir,
      apiServerUrl,
      kubeconfigPath,
      adminKubeConfig,
      caCertPem: pki.ca.certPem,
      caCertPath,
      clientCaCertPath,
      clientCaKeyPath,
      envFilePath,
      mariadbUrl: db?.url,
      openstackSimUrl: state.openstackSimUrl,
      nodes: state.nodes,
      realNode,
      users: createIdentities(cluster, pki.clientCa, adminKubeConfig),
      state,
      setEnv: (name, value) => setEnvFileVariable(envFilePath, name, value),
      stopComponent,
      startComponent,
      stop,
    };
  } catch (error) {
    await stopAfterFailure().catch(() => undefined);
    logger.error('control plane failed to start; logs kept', { dataDir });
    throw error;
  }
}

interface NodeRuntimeInput {
  options: RealNodeOptions;
  record: RealNodeState;
  binDir: string;
  apiPort: number;
  clientCaCertPath: string;
  nodeKubeconfig: string;
  start: (name: ComponentName, binary: string, args: string[], healthUrl: string) => RunningComponent;
}

interface NodeRuntime {
  input: NodeRuntimeInput;
  paths: NodePaths;
  /** containerd answers and the sandbox image is in: the kubelet may start. */
  ready: Promise<void>;
  /** Every image is in. */
  imported: Promise<void>;
}

const NSENTER = '/usr/bin/nsenter';

/** Writes the node's files and starts containerd, then imports the images in the background. */
function startNodeRuntime(input: NodeRuntimeInput): NodeRuntime {
  const { record, options } = input;
  const { network } = record;
  const paths = nodePaths(record.dir);
  const kubeletBinary = options.kubeletBinary ?? join(input.binDir, 'kubelet');
  assertExecutable(kubeletBinary);
  prepareNodeFiles({
    paths,
    network,
    nodeName: record.name,
    systemUUID: record.systemUUID,
    kubeletBinary,
    sandboxImage: options.images.sandboxImage,
    clientCaPath: input.clientCaCertPath,
    kubeconfig: input.nodeKubeconfig,
  });
  routePodTraffic(network, { address: '10.96.0.1', port: 443 }, input.apiPort);
  const containerd = input.start(
    'containerd',
    NSENTER,
    [`--net=/run/netns/${network.netns}`, '--', 'containerd', `--config=${paths.containerdConfig}`],
    `http://${network.nodeAddress}:${CONTAINERD_METRICS_PORT}/v1/metrics`,
  );
  const ready = waitContainerd(record.containerdSocket, containerd, 30_000).then(() =>
    importImages(record.containerdSocket, [options.images.sandboxTarball]),
  );
  const imported = ready.then(() => importImages(record.containerdSocket, options.images.tarballs));
  // Awaited by startKubelet; a start-up failure elsewhere must not leave an unhandled rejection.
  ready.catch(() => undefined);
  imported.catch(() => undefined);
  return { input, paths, ready, imported };
}

/** Starts the kubelet once the runtime is ready; resolves when the Node is Ready and every image is in. */
async function startKubelet(
  runtime: NodeRuntime,
  record: RealNodeState,
  adminKubeConfig: KubeConfig,
  save: () => void,
): Promise<RealNode> {
  const { network } = record;
  await runtime.ready;
  const kubeletStarted = Date.now();
  const kubelet = runtime.input.start(
    'kubelet',
    NSENTER,
    [
      `--net=/run/netns/${network.netns}`,
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'unchanged',
      '--',
      'sh',
      runtime.paths.launcher,
    ],
    `http://${network.nodeAddress}:${KUBELET_HEALTHZ_PORT}/healthz`,
  );
  const node = await waitNodeReady(
    adminKubeConfig,
    record.name,
    kubelet,
    runtime.input.options.readyTimeoutMs ?? 120_000,
  );
  const readySeconds = (Date.now() - kubeletStarted) / 1000;
  await runtime.imported;
  record.systemUUID = node.status?.nodeInfo?.systemUUID ?? record.systemUUID;
  save();
  return {
    name: record.name,
    systemUUID: record.systemUUID,
    nodeAddress: network.nodeAddress,
    hostAddress: network.hostAddress,
    netns: network.netns,
    containerdSocket: record.containerdSocket,
    readySeconds,
  };
}
