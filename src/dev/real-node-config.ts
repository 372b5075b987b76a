// What the dev real node is made of, as pure functions: the addresses of its network namespace,
// and the containerd, CNI and kubelet configuration files and the kubelet launcher script.
// real-node.ts does the I/O (namespaces, processes, mounts, teardown).
//
// Layout. containerd and the kubelet run in a network namespace of their own, joined to the
// machine by a veth pair (a /30 chosen free): the host side carries an address the API server
// also listens on, the namespace side (named eth0) is the Node's InternalIP. hostNetwork pods
// (the agent) therefore see only the namespace's NICs. Pods sit on a bridge inside the namespace;
// the namespace forwards and masquerades their traffic to the host side, and DNATs the
// `kubernetes` Service address to the API server, standing in for kube-proxy for that one Service.
//
// Kernel settings are never changed: the kubelet insists on writing a few global sysctls and
// exits when it cannot, so it runs in a private mount namespace where those /proc/sys files are
// masked by plain files holding the values it wants. The same namespace shows it a chosen
// machine identity, which becomes the Node's status.nodeInfo.systemUUID.

export interface NodeNetwork {
  /** The network namespace (`ip netns` name). */
  netns: string;
  /** The veth end left on the machine. */
  hostVeth: string;
  /** Its address: the API server listens here too; the node's default gateway. */
  hostAddress: string;
  /** The namespace end's address: the Node's InternalIP, the kubelet's listen address. */
  nodeAddress: string;
  prefixLength: 30;
  /** The pods' subnet, on a bridge inside the namespace. */
  podCidr: string;
  /** The bridge's address: the pods' gateway. */
  bridgeAddress: string;
  bridge: string;
}

/** The /30s the veth pair may take, in order of preference: 10.213.0.0/30 .. 10.213.255.252/30. */
const POOL_BASE = (10 << 24) | (213 << 16);
const POOL_SIZE = 1 << 14;
const POD_CIDR = '10.88.0.0/16';
const POD_GATEWAY = '10.88.0.1';

function toNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: '${address}'`);
  }
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function range(cidr: string): [number, number] {
  const [address, bits = '32'] = cidr.split('/');
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix in '${cidr}'`);
  const size = 2 ** (32 - prefix);
  const start = Math.floor(toNumber(address ?? '') / size) * size;
  return [start, start + size - 1];
}

/**
 * The first /30 of the pool that overlaps none of `taken` (the machine's IPv4 addresses and routes
 * as CIDRs, e.g. `192.0.2.2/24`; a plain address is a /32). `id` (a few letters/digits) names the
 * namespace and the host veth.
 */
export function planNodeNetwork(id: string, taken: readonly string[]): NodeNetwork {
  if (!/^[a-z0-9]{1,8}$/.test(id)) throw new Error(`node network id must be 1-8 of [a-z0-9], got '${id}'`);
  const used = taken.filter((cidr) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(cidr)).map(range);
  // A default route (0.0.0.0/0) covers everything and says nothing about address use.
  const relevant = used.filter(([start, end]) => !(start === 0 && end === 2 ** 32 - 1));
  for (let index = 0; index < POOL_SIZE; index++) {
    const start = POOL_BASE + index * 4;
    const end = start + 3;
    if (relevant.some(([s, e]) => s <= end && start <= e)) continue;
    return {
      netns: `mn-node-${id}`,
      hostVeth: `mnh-${id}`,
      hostAddress: toAddress(start + 1),
      nodeAddress: toAddress(start + 2),
      prefixLength: 30,
      podCidr: POD_CIDR,
      bridgeAddress: POD_GATEWAY,
      bridge: 'mnbr0',
    };
  }
  throw new Error('no free /30 left in 10.213.0.0/16 for the real node');
}

/** Where one real node keeps everything (all below `dir`). */
export interface NodePaths {
  dir: string;
  containerdConfig: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  cniConfDir: string;
  cniDataDir: string;
  kubeletRoot: string;
  /** Container logs (instead of the machine's /var/log/pods). */
  podLogs: string;
  kubeletConfDir: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeletCertDir: string;
  /** Files that mask kernel settings and the machine identity in the kubelet's mount namespace. */
  masksDir: string;
  launcher: string;
  logs: string;
}

export function nodePaths(dir: string): NodePaths {
  const join = (...parts: string[]): string => [dir, ...parts].join('/');
  return {
    dir,
    containerdConfig: join('containerd', 'config.toml'),
    containerdRoot: join('containerd', 'root'),
    containerdState: join('containerd', 'state'),
    containerdSocket: join('containerd', 'containerd.sock'),
    cniConfDir: join('cni', 'net.d'),
    cniDataDir: join('cni', 'ipam'),
    kubeletRoot: join('kubelet'),
    podLogs: join('pod-logs'),
    kubeletConfDir: join('kubelet-conf'),
    kubeletConfig: join('kubelet-conf', 'config.yaml'),
    kubeletKubeconfig: join('kubelet-conf', 'kubeconfig'),
    kubeletCertDir: join('kubelet-conf', 'pki'),
    masksDir: join('masks'),
    launcher: join('kubelet-conf', 'launch.sh'),
    logs: join('logs'),
  };
}

/** containerd's metrics endpoint doubles as its health URL (the node namespace end, reachable from the host). */
export const CONTAINERD_METRICS_PORT = 10257;
export const KUBELET_PORT = 10250;
export const KUBELET_HEALTHZ_PORT = 10248;

export interface ContainerdConfigInput {
  paths: NodePaths;
  network: NodeNetwork;
  sandboxImage: string;
  runcBinary: string;
  cniBinDir: string;
}

/**
 * containerd with its own root, state, socket and runc root, so it shares nothing with another
 * containerd on the machine. `restrict_oom_score_adj`: the pause container asks for -998 and a
 * containerized root may not lower an oom_score_adj; without it every sandbox fails to start.
 * The CNI network namespaces live under the state dir, so teardown finds them by path.
 */
export function renderContainerdConfig(input: ContainerdConfigInput): string {
  const { paths, network } = input;
  const q = JSON.stringify;
  return `version = 2
root = ${q(paths.containerdRoot)}
state = ${q(paths.containerdState)}
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ${q(paths.containerdSocket)}

[ttrpc]
  address = ${q(`${paths.containerdSocket}.ttrpc`)}

[metrics]
  address = ${q(`${network.nodeAddress}:${CONTAINERD_METRICS_PORT}`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(`${paths.dir}/containerd/opt`)}

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${q(input.sandboxImage)}
  enable_selinux = false
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = ${q(input.runcBinary)}
        Root = ${q(`${paths.containerdState}/runc`)}
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ${q(input.cniBinDir)}
    conf_dir = ${q(paths.cniConfDir)}
`;
}

/**
 * The pods' network: a bridge made beforehand (with the gateway address), so the plugin never
 * needs `isGateway`, which would switch on IP forwarding for the whole machine when run there.
 */
export function renderCniConfig(paths: NodePaths, network: NodeNetwork): string {
  return (
    JSON.stringify(
      {
        cniVersion: '0.4.0',
        name: 'multinic-real-node',
        plugins: [
          {
            type: 'bridge',
            bridge: network.bridge,
            isGateway: false,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              dataDir: paths.cniDataDir,
              ranges: [[{ subnet: network.podCidr, gateway: network.bridgeAddress }]],
              routes: [{ dst: '0.0.0.0/0', gw: network.bridgeAddress }],
            },
          },
        ],
      },
      null,
      2,
    ) + '\n'
  );
}

export interface KubeletConfigInput {
  paths: NodePaths;
  network: NodeNetwork;
  clientCaPath: string;
}

/**
 * A KubeletConfiguration for a node without systemd or cgroup v2: cgroupfs, no per-QoS cgroups,
 * no node-allocatable enforcement, no image garbage collection (the only images are imported),
 * authenticated and authorized by the API server for logs/exec. cgroup v1 needs failCgroupV1: false.
 */
export function renderKubeletConfig(input: KubeletConfigInput): string {
  const { paths, network } = input;
  const q = JSON.stringify;
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
containerRuntimeEndpoint: ${q(`unix://${paths.containerdSocket}`)}
imageServiceEndpoint: ${q(`unix://${paths.containerdSocket}`)}
address: ${network.nodeAddress}
port: ${KUBELET_PORT}
readOnlyPort: 0
healthzBindAddress: ${network.nodeAddress}
healthzPort: ${KUBELET_HEALTHZ_PORT}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${q(input.clientCaPath)}}
authorization: {mode: Webhook}
podLogsDir: ${q(paths.podLogs)}
podCIDR: ${network.podCidr}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
registerNode: true
rotateCertificates: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
`;
}

/** The global sysctls the kubelet checks at start, with the values it would write. */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/** The mask file for one sysctl path (`vm/overcommit_memory` -> `<masks>/vm_overcommit_memory`). */
export function sysctlMaskFile(paths: NodePaths, sysctl: string): string {
  return `${paths.masksDir}/${sysctl.replaceAll('/', '_')}`;
}

export interface LauncherInput {
  paths: NodePaths;
  kubeletBinary: string;
  nodeName: string;
  nodeAddress: string;
  /** File holding the machine identity to show the kubelet (it reads it as the system UUID). */
  identityFile: string;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The kubelet's launcher, run as `unshare --mount --propagation unchanged -- sh <launcher>` inside
 * the node's network namespace. The root and /proc mounts are made private first, so the masks
 * below never reach the machine's mount namespace; the kubelet root stays a shared mount (made so
 * beforehand) so the volumes it mounts for pods reach containerd, which runs outside this namespace.
 * cAdvisor reads the system UUID from DMI when the machine has it, else from /etc/machine-id:
 * both are masked with the chosen identity.
 */
export function renderKubeletLauncher(input: LauncherInput): string {
  const { paths } = input;
  const masks = Object.keys(KUBELET_SYSCTLS)
    .map((sysctl) => `mount --bind ${shellQuote(sysctlMaskFile(paths, sysctl))} /proc/sys/${sysctl}`)
    .join('\n');
  const identity = shellQuote(input.identityFile);
  const args = [
    input.kubeletBinary,
    `--config=${paths.kubeletConfig}`,
    `--kubeconfig=${paths.kubeletKubeconfig}`,
    `--root-dir=${paths.kubeletRoot}`,
    `--cert-dir=${paths.kubeletCertDir}`,
    `--hostname-override=${input.nodeName}`,
    `--node-ip=${input.nodeAddress}`,
    '--v=1',
  ]
    .map(shellQuote)
    .join(' ');
  return `set -eu
mount --make-private /
mount --make-rprivate /proc
${masks}
for f in /sys/class/dmi/id/product_uuid /etc/machine-id; do
  if [ -e "$f" ]; then mount --bind ${identity} "$f"; fi
done
exec ${args}
`;
}

/**
 * iptables rules inside the node namespace (they vanish with it): the `kubernetes` Service
 * address reaches the API server on the host side, and pod traffic leaving through eth0 takes
 * the node's address so the host can answer it.
 */
export function natRules(
  network: NodeNetwork,
  service: { address: string; port: number },
  apiServerPort: number,
): string[][] {
  const dnat = [
    '-d',
    service.address,
    '-p',
    'tcp',
    '--dport',
    String(service.port),
    '-j',
    'DNAT',
    '--to-destination',
    `${network.hostAddress}:${apiServerPort}`,
  ];
  return [
    ['-t', 'nat', '-A', 'PREROUTING', ...dnat],
    ['-t', 'nat', '-A', 'OUTPUT', ...dnat],
    ['-t', 'nat', '-A', 'POSTROUTING', '-s', network.podCidr, '-o', 'eth0', '-j', 'MASQUERADE'],
  ];
}
