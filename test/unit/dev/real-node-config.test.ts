import { describe, expect, it } from 'vitest';
import {
  KUBELET_SYSCTLS,
  natRules,
  nodePaths,
  planNodeNetwork,
  renderCniConfig,
  renderContainerdConfig,
  renderKubeletConfig,
  renderKubeletLauncher,
} from '../../../src/dev/real-node-config.js';

describe('planNodeNetwork', () => {
  it('takes the first /30 of 10.213.0.0/16 when nothing overlaps', () => {
    const network = planNodeNetwork('ab12', ['127.0.0.1/8', '192.0.2.2/24', '0.0.0.0/0']);
    expect(network).toMatchObject({
      netns: 'mn-node-ab12',
      hostVeth: 'mnh-ab12',
      hostAddress: '10.213.0.1',
      nodeAddress: '10.213.0.2',
      prefixLength: 30,
    });
  });

  it('skips every /30 that overlaps an address or route of the machine', () => {
    const network = planNodeNetwork('x', ['10.213.0.1/30', '10.213.0.6', '10.213.0.8/29']);
    expect(network.hostAddress).toBe('10.213.0.17');
    expect(network.nodeAddress).toBe('10.213.0.18');
  });

  it('fails when the whole pool is taken', () => {
    expect(() => planNodeNetwork('x', ['10.0.0.0/8'])).toThrow('no free /30 left in 10.213.0.0/16');
  });

  it('rejects ids that would make invalid interface names', () => {
    expect(() => planNodeNetwork('Too-Long-Id', [])).toThrow(
      "node network id must be 1-8 of [a-z0-9], got 'Too-Long-Id'",
    );
  });
});

describe('node configuration files', () => {
  const paths = nodePaths('/tmp/mn-node-x/real-node');
  const network = planNodeNetwork('x', []);

  it('gives containerd its own root, state, socket and runc root, and restricts oom_score_adj', () => {
    const toml = renderContainerdConfig({
      paths,
      network,
      sandboxImage: 'localhost/pause:3.10',
      runcBinary: '/usr/sbin/runc',
      cniBinDir: '/usr/lib/cni',
    });
    expect(toml).toContain('root = "/tmp/mn-node-x/real-node/containerd/root"');
    expect(toml).toContain('address = "/tmp/mn-node-x/real-node/containerd/containerd.sock"');
    expect(toml).toContain('Root = "/tmp/mn-node-x/real-node/containerd/state/runc"');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain('sandbox_image = "localhost/pause:3.10"');
    expect(toml).toContain('address = "10.213.0.2:10257"');
  });

  it('never lets the CNI bridge plugin act as a gateway (that switches on forwarding where it runs)', () => {
    const conf = JSON.parse(renderCniConfig(paths, network)) as {
      plugins: { isGateway: boolean; bridge: string; ipam: { dataDir: string } }[];
    };
    expect(conf.plugins[0]).toMatchObject({
      type: 'bridge',
      isGateway: false,
      bridge: 'mnbr0',
      ipam: { dataDir: '/tmp/mn-node-x/real-node/cni/ipam' },
    });
  });

  it('binds the kubelet to the node address and authenticates its API with the client CA', () => {
    const yaml = renderKubeletConfig({ paths, network, clientCaPath: '/ca.crt' });
    expect(yaml).toContain('address: 10.213.0.2\n');
    expect(yaml).toContain('healthzBindAddress: 10.213.0.2\n');
    expect(yaml).toContain('anonymous: {enabled: false}');
    expect(yaml).toContain('x509: {clientCAFile: "/ca.crt"}');
    expect(yaml).toContain('failCgroupV1: false');
  });

  it('masks every sysctl the kubelet writes and the machine identity, in a private mount namespace', () => {
    const script = renderKubeletLauncher({
      paths,
      kubeletBinary: '/bin/kubelet',
      nodeName: 'realnode-0',
      nodeAddress: '10.213.0.2',
      identityFile: '/ids/uuid',
    });
    const lines = script.split('\n');
    // Private before any bind mount, so nothing propagates to the machine's mount namespace.
    const firstBind = lines.findIndex((line) => line.includes('mount --bind'));
    expect(lines.indexOf('mount --make-private /')).toBeLessThan(firstBind);
    expect(lines.indexOf('mount --make-rprivate /proc')).toBeLessThan(firstBind);
    for (const sysctl of Object.keys(KUBELET_SYSCTLS)) {
      expect(script).toContain(
        `mount --bind '/tmp/mn-node-x/real-node/masks/${sysctl.replaceAll('/', '_')}' /proc/sys/${sysctl}`,
      );
    }
    expect(script).toContain('for f in /sys/class/dmi/id/product_uuid /etc/machine-id');
    expect(script).toContain(
      `exec '/bin/kubelet' '--config=/tmp/mn-node-x/real-node/kubelet-conf/config.yaml'`,
    );
    expect(script).toContain(`'--node-ip=10.213.0.2'`);
  });

  it('DNATs the kubernetes Service to the API server and masquerades only pod traffic', () => {
    expect(natRules(network, { address: '10.96.0.1', port: 443 }, 6443)).toEqual([
      [
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-d',
        '10.96.0.1',
        '-p',
        'tcp',
        '--dport',
        '443',
        '-j',
        'DNAT',
        '--to-destination',
        '10.213.0.1:6443',
      ],
      [
        '-t',
        'nat',
        '-A',
        'OUTPUT',
        '-d',
        '10.96.0.1',
        '-p',
        'tcp',
        '--dport',
        '443',
        '-j',
        'DNAT',
        '--to-destination',
        '10.213.0.1:6443',
      ],
      ['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.88.0.0/16', '-o', 'eth0', '-j', 'MASQUERADE'],
    ]);
  });
});
