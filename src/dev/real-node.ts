// One real Kubernetes node beside kwok's fake ones: containerd (runc, CNI bridge) and a kubelet in
// a network namespace of their own (see real-node-config.ts for the layout and why). This file
// is the I/O: the namespace and veth pair, the configuration files, image import, and a
// synchronous teardown that removes exactly what was made (usable from exit handlers).
//
// Teardown finds everything by construction rather than by bookkeeping of every pod: every
// process of the node lives in the node's network namespace or in a pod namespace that containerd
// mounted under the node's directory, every mount is under that directory, and the namespace
// takes the veth pair, the bridge, the pods' veths and all iptables rules with it.
import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { ControlPlaneError, tailFile } from './errors.js';
import { isAlive, type ComponentRecord } from './processes.js';
import {
  KUBELET_SYSCTLS,
  natRules,
  renderCniConfig,
  renderContainerdConfig,
  renderKubeletConfig,
  renderKubeletLauncher,
  sysctlMaskFile,
  type NodeNetwork,
  type NodePaths,
} from './real-node-config.js';

/** What `dev down` and the test teardown need to remove the node; persisted in state.json. */
export interface RealNodeState {
  name: string;
  /** What the kubelet reports as status.nodeInfo.systemUUID (set once the Node registered). */
  systemUUID: string;
  dir: string;
  network: NodeNetwork;
  containerdSocket: string;
  /** cgroup v1 `k8s.io` parents that did not exist before the node started (removed when empty). */
  createdCgroupParents: string[];
}

/** The images the node needs in containerd, as docker-archive tarballs. */
export interface RealNodeImages {
  /** The pod sandbox (pause) image: imported before the kubelet starts. */
  sandboxImage: string;
  sandboxTarball: string;
  /** Imported while the kubelet registers (the Node becomes Ready without them). */
  tarballs: readonly string[];
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const NETNS_DIR = '/run/netns';

function run(argv: readonly string[], timeoutMs = 30_000): string {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty command');
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new ControlPlaneError(
      `real node: \`${argv.join(' ')}\` failed${stderr === '' ? '' : `: ${stderr}`}`,
    );
  }
}

function tryRun(argv: readonly string[], timeoutMs = 30_000): boolean {
  try {
    run(argv, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/** The machine's IPv4 addresses and routes as CIDRs: what the node's /30 must not overlap. */
export function hostIpv4Cidrs(): string[] {
  const addresses = JSON.parse(run(['ip', '-j', '-4', 'addr', 'show'])) as {
    addr_info?: { local?: string; prefixlen?: number }[];
  }[];
  const routes = JSON.parse(run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) as { dst?: string }[];
  return [
    ...addresses.flatMap((link) =>
      (link.addr_info ?? []).map((a) => `${a.local ?? ''}/${a.prefixlen ?? 32}`),
    ),
    ...routes.map((route) => route.dst ?? '').filter((dst) => dst !== '' && dst !== 'default'),
  ];
}

/**
 * The namespace, the veth pair (namespace end named eth0) and the pods' bridge. Creates nothing
 * outside the namespace but the host veth and the namespace's /run/netns entry.
 */
export function createNodeNetwork(network: NodeNetwork): void {
  const peer = `${network.hostVeth.replace('mnh-', 'mnn-')}`;
  const inNs = (...argv: string[]): string[] => ['ip', '-n', network.netns, ...argv];
  run(['ip', 'netns', 'add', network.netns]);
  run(['ip', 'link', 'add', network.hostVeth, 'type', 'veth', 'peer', 'name', peer, 'netns', network.netns]);
  run(['ip', 'addr', 'add', `${network.hostAddress}/${network.prefixLength}`, 'dev', network.hostVeth]);
  run(['ip', 'link', 'set', network.hostVeth, 'up']);
  run(inNs('link', 'set', 'lo', 'up'));
  run(inNs('link', 'set', peer, 'name', 'eth0'));
  run(inNs('addr', 'add', `${network.nodeAddress}/${network.prefixLength}`, 'dev', 'eth0'));
  run(inNs('link', 'set', 'eth0', 'up'));
  run(inNs('route', 'add', 'default', 'via', network.hostAddress));
  run(inNs('link', 'add', network.bridge, 'type', 'bridge'));
  run(
    inNs(
      'addr',
      'add',
      `${network.bridgeAddress}/${network.podCidr.split('/')[1] ?? '16'}`,
      'dev',
      network.bridge,
    ),
  );
  run(inNs('link', 'set', network.bridge, 'up'));
}

/** Pod traffic is forwarded and NATed inside the namespace only (its own ip_forward and iptables). */
export function routePodTraffic(
  network: NodeNetwork,
  service: { address: string; port: number },
  apiServerPort: number,
): void {
  const nsenter = ['nsenter', `--net=${join(NETNS_DIR, network.netns)}`, '--'];
  // /proc/sys/net is per network namespace: this writes the node namespace's own setting.
  run([...nsenter, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  for (const rule of natRules(network, service, apiServerPort)) run([...nsenter, 'iptables', '-w', ...rule]);
}

export interface PrepareNodeInput {
  paths: NodePaths;
  network: NodeNetwork;
  nodeName: string;
  systemUUID: string;
  kubeletBinary: string;
  sandboxImage: string;
  clientCaPath: string;
  /** The node's kubeconfig (system:node:<name> in group system:nodes). */
  kubeconfig: string;
}

/**
 * Writes every configuration file, the masks and the identity file, and makes the kubelet root a
 * shared bind mount (so pod volumes the kubelet mounts in its private mount namespace reach
 * containerd's).
 */
export function prepareNodeFiles(input: PrepareNodeInput): { identityFile: string } {
  const { paths, network } = input;
  for (const dir of [
    paths.containerdRoot,
    paths.containerdState,
    paths.cniConfDir,
    paths.cniDataDir,
    paths.kubeletRoot,
    paths.podLogs,
    paths.kubeletCertDir,
    paths.masksDir,
    paths.logs,
  ]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  writeFileSync(
    paths.containerdConfig,
    renderContainerdConfig({
      paths,
      network,
      sandboxImage: input.sandboxImage,
      runcBinary: '/usr/sbin/runc',
      cniBinDir: '/usr/lib/cni',
    }),
  );
  writeFileSync(join(paths.cniConfDir, '10-multinic-real-node.conflist'), renderCniConfig(paths, network));
  writeFileSync(
    paths.kubeletConfig,
    renderKubeletConfig({ paths, network, clientCaPath: input.clientCaPath }),
  );
  writeFileSync(paths.kubeletKubeconfig, input.kubeconfig, { mode: 0o600 });
  for (const [sysctl, value] of Object.entries(KUBELET_SYSCTLS)) {
    writeFileSync(sysctlMaskFile(paths, sysctl), `${value}\n`);
  }
  const identityFile = join(paths.masksDir, 'system-uuid');
  writeFileSync(identityFile, `${input.systemUUID}\n`);
  writeFileSync(
    paths.launcher,
    renderKubeletLauncher({
      paths,
      kubeletBinary: input.kubeletBinary,
      nodeName: input.nodeName,
      nodeAddress: network.nodeAddress,
      identityFile,
    }),
  );
  run(['mount', '--bind', paths.kubeletRoot, paths.kubeletRoot]);
  run(['mount', '--make-rshared', paths.kubeletRoot]);
  return { identityFile };
}

/** The `k8s.io` cgroup parents containerd will create (cgroup v1 hierarchies), that do not exist yet. */
export function missingCgroupParents(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  return readdirSync(CGROUP_ROOT)
    .map((hierarchy) => join(CGROUP_ROOT, hierarchy, 'k8s.io'))
    .filter((dir) => existsSync(join(dir, '..', 'cgroup.procs')) && !existsSync(dir));
}

/** `ctr` against the node's own containerd, in the CRI's namespace. */
function ctr(socket: string, ...args: string[]): string[] {
  return ['ctr', '--address', socket, '-n', 'k8s.io', ...args];
}

/** Polls `ctr version` until containerd answers. */
export async function waitContainerd(
  socket: string,
  component: ComponentRecord,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryRun(ctr(socket, 'version'), 5000)) return;
    if (!isAlive(component) || Date.now() >= deadline) {
      throw new ControlPlaneError(
        `containerd ${isAlive(component) ? `did not answer on ${socket} within ${timeoutMs / 1000}s` : 'exited while starting'}; log: ${component.logPath}`,
        'containerd',
        tailFile(component.logPath),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Imports docker-archive tarballs into the node's containerd, one after the other. */
export async function importImages(socket: string, tarballs: readonly string[]): Promise<void> {
  for (const tarball of tarballs) {
    if (!existsSync(tarball))
      throw new ControlPlaneError(`real node: image tarball ${tarball} does not exist`);
    const [command = 'ctr', ...args] = ctr(socket, 'images', 'import', tarball);
    await new Promise<void>((resolve, reject) => {
      execFile(command, args, { timeout: 600_000 }, (error, _stdout, stderr) => {
        if (error === null) resolve();
        else
          reject(
            new ControlPlaneError(
              `real node: importing ${tarball} failed: ${stderr.trim() || error.message}`,
            ),
          );
      });
    });
  }
}

function isReady(node: V1Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Waits until the kubelet registered the Node and it is Ready; returns the Node. */
export async function waitNodeReady(
  kc: KubeConfig,
  name: string,
  kubelet: ComponentRecord,
  timeoutMs: number,
): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  let last: V1Node | undefined;
  for (;;) {
    try {
      last = await core.readNode({ name });
    } catch {
      last = undefined;
    }
    if (isReady(last) && last !== undefined) return last;
    if (!isAlive(kubelet) || Date.now() >= deadline) {
      const conditions = (last?.status?.conditions ?? [])
        .map((c) => `${c.type}=${c.status} ${c.message ?? ''}`)
        .join('; ');
      throw new ControlPlaneError(
        `real node ${name} ${isAlive(kubelet) ? `not Ready within ${timeoutMs / 1000}s` : 'kubelet exited'}` +
          `${last === undefined ? ' (never registered)' : ` (${conditions})`}; log: ${kubelet.logPath}`,
        'kubelet',
        tailFile(kubelet.logPath, 30),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------------------------
// Teardown (synchronous: also runs from process 'exit' handlers)

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

function netnsOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/** Mount points at or below `dir`, deepest first. */
function mountsBelow(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines
    .map((line) => line.split(' ')[4] ?? '')
    .map((point) => point.replaceAll('\\040', ' '))
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The network namespaces of the node: its own and the pods' (nsfs mounts under its directory). */
function nodeNamespaces(node: RealNodeState): Set<string> {
  const namespaces = new Set<string>();
  const inodeOf = (path: string): void => {
    try {
      namespaces.add(`net:[${statSync(path).ino}]`);
    } catch {
      // not there
    }
  };
  inodeOf(join(NETNS_DIR, node.network.netns));
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const line of lines) {
    const fields = line.split(' ');
    const point = fields[4] ?? '';
    const fsType = fields[fields.indexOf('-') + 1];
    if (fsType === 'nsfs' && point.startsWith(`${node.dir}/`)) inodeOf(point);
  }
  return namespaces;
}

/** The cgroup directories (all hierarchies) of a process, from /proc/<pid>/cgroup. */
function cgroupDirsOf(pid: number): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => {
      const [, controllers = '', path = '/'] = line.split(':');
      if (path === '/') return [];
      const hierarchy =
        controllers === '' ? 'unified' : controllers.startsWith('name=') ? controllers.slice(5) : controllers;
      return [join(CGROUP_ROOT, hierarchy, path)];
    });
}

function stopRecorded(record: ComponentRecord | undefined, graceMs: number): void {
  if (record === undefined || !isAlive(record)) return;
  signal(record.pid, 'SIGTERM');
  for (let waited = 0; waited < graceMs && isAlive(record); waited += 50) sleepSync(50);
  if (isAlive(record)) signal(record.pid, 'SIGKILL');
}

/**
 * Removes the node: stops the kubelet, kills every process in the node's and its pods' network
 * namespaces (containerd, shims, containers), removes the mounts under its directory, the network
 * namespace (and with it the veth pair, bridge and iptables rules) and the containers' cgroups.
 * Idempotent; never touches anything it did not make.
 */
export function stopRealNode(node: RealNodeState, components: readonly ComponentRecord[]): void {
  stopRecorded(
    components.find((c) => c.name === 'kubelet'),
    5000,
  );
  const namespaces = nodeNamespaces(node);
  const cgroupDirs = new Set<string>();
  const victims = (): number[] =>
    pids().filter((pid) => pid !== process.pid && namespaces.has(netnsOf(pid) ?? ''));
  for (const pid of victims()) {
    // A container's cgroup is named after its 64-hex id; the node's own processes are not in one.
    for (const dir of cgroupDirsOf(pid)) if (/\/[0-9a-f]{64}$/.test(dir)) cgroupDirs.add(dir);
    signal(pid, 'SIGKILL');
  }
  for (let waited = 0; waited < 10_000 && victims().length > 0; waited += 100) sleepSync(100);
  stopRecorded(
    components.find((c) => c.name === 'containerd'),
    1000,
  );
  for (const point of mountsBelow(node.dir)) {
    if (!tryRun(['umount', point])) tryRun(['umount', '-l', point]);
  }
  if (existsSync(join(NETNS_DIR, node.network.netns))) tryRun(['ip', 'netns', 'del', node.network.netns]);
  // The host veth goes with its peer; this only matters if the namespace was never made.
  tryRun(['ip', 'link', 'del', node.network.hostVeth]);
  for (const dir of [...cgroupDirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(dir);
    } catch {
      // already gone, or still busy: left for the kernel to report
    }
  }
  for (const dir of node.createdCgroupParents) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (someone else's containers) or never created
    }
  }
}
