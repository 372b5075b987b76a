// The agent against a real kernel: a fresh network namespace per test (veth pairs with
// fa:16:3e MACs), a temp root with real netplan validation. Nothing outside the namespace and
// the temp root is touched; the namespace is always deleted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent, type AgentRunOptions } from '../../../src/agent/agent.js';
import type { AgentInterfaceInput } from '../../../src/agent/input.js';
import type { CustomProbe } from '../../../src/agent/probe.js';
import { parseAgentResult } from '../../../src/agent/result.js';
import { RootFs } from '../../../src/agent/system.js';
import { run as agentCli } from '../../../src/cli/commands/agent.js';
import { createNode, snapshot, sysctl, type TestNode } from './netns.js';

const MACS = ['fa:16:3e:4a:10:01', 'fa:16:3e:4a:10:02', 'fa:16:3e:4a:10:03'];
const PRIMARY = { name: 'eth0', mac: 'fa:16:3e:00:aa:01', address: '172.16.0.21/24', up: true };
// A NIC of the node that is not in the config: it must keep everything.
const STRANGER = { name: 'ens9', mac: 'fa:16:3e:00:aa:09', address: '198.51.100.9/24', up: true };

function interfaces(count = 3): AgentInterfaceInput[] {
  return MACS.slice(0, count).map((mac, n) => ({
    id: n,
    name: `multinic${n}`,
    macAddress: mac,
    address: `10.${n + 20}.30.11`,
    cidr: `10.${n + 20}.30.0/24`,
    mtu: 1400 + n,
  }));
}

let node: TestNode | undefined;
afterEach(() => {
  node?.destroy();
  node = undefined;
});

function makeNode(): TestNode {
  node = createNode([PRIMARY, STRANGER, ...MACS.map((mac, n) => ({ name: `ens${n + 4}`, mac }))]);
  node.ip('route', 'add', 'default', 'via', '172.16.0.1', 'dev', 'eth0');
  return node;
}

function options(
  test: TestNode,
  list: AgentInterfaceInput[],
  extra: Partial<AgentRunOptions> = {},
): AgentRunOptions {
  return {
    action: 'apply',
    input: { nodeName: 'biz-worker-1', interfaces: list },
    fs: new RootFs(test.root),
    runner: test.runner,
    probe: { timeoutMs: 5000, intervalMs: 50, gateway: false },
    ...extra,
  };
}

const failingProbe: CustomProbe = async () => ({
  errorType: 'network',
  reason: 'injected: API server not reachable',
});

describe('agent apply in a network namespace', () => {
  it('renames the NICs by MAC to multinicN with MTU, address, policy routing, sysctls and 0600 netplan files', async () => {
    const test = makeNode();
    const before = snapshot(test);
    const outcome = await runAgent(options(test, interfaces()));
    expect(outcome.result.failures).toEqual([]);
    expect(outcome.result).toMatchObject({
      processed: 3,
      failed: 0,
      total: 3,
      deleted_total: 0,
      rolled_back: false,
      backend: 'netplan',
    });
    const after = snapshot(test);
    MACS.forEach((mac, n) => {
      expect(after.links[mac]).toMatchObject({
        name: `multinic${n}`,
        mtu: 1400 + n,
        up: true,
        operstate: 'UP',
        altnames: [`ens${n + 4}`],
        ipv4: [`10.${n + 20}.30.11/24 noprefixroute`],
      });
      expect(after.rules).toContain(`from 10.${n + 20}.30.11 lookup ${100 + n}`);
      expect(after.routes).toContain(
        `10.${n + 20}.30.0/24 dev multinic${n} table ${100 + n} scope link src 10.${n + 20}.30.11 metric ${100 + n}`,
      );
      expect(after.files[`/etc/netplan/9${n}-multinic${n}.yaml`]).toMatch(/^600 network:/);
    });
    expect(sysctl(test, 'net.ipv4.conf.multinic1.rp_filter')).toBe('2');
    expect(sysctl(test, 'net.ipv4.conf.multinic1.arp_ignore')).toBe('1');
    // Never touched: the primary NIC, a NIC not in the config, the distribution's netplan file.
    expect(after.links[PRIMARY.mac]).toEqual(before.links[PRIMARY.mac]);
    expect(after.links[STRANGER.mac]).toEqual(before.links[STRANGER.mac]);
    expect(after.files['/etc/netplan/50-cloud-init.yaml']).toBe(
      before.files['/etc/netplan/50-cloud-init.yaml'],
    );
    expect(after.routes).toContain('default via 172.16.0.1 dev eth0');
    expect(test.commands.flat()).not.toContain('eth0');
    expect(test.commands.flat()).not.toContain('ens9');
  });

  it('a second run with the same config changes nothing (no mutating command, no file write)', async () => {
    const test = makeNode();
    await runAgent(options(test, interfaces()));
    const before = snapshot(test);
    test.commands.length = 0;
    const outcome = await runAgent(options(test, interfaces()));
    expect(outcome.plan?.steps).toEqual([]);
    expect(outcome.plan?.files).toEqual([]);
    expect(
      test.commands.every((argv) => argv.includes('-j') || (argv[0] === 'sysctl' && argv[1] === '-e')),
    ).toBe(true);
    expect(outcome.result).toMatchObject({ processed: 3, failed: 0 });
    expect(snapshot(test)).toEqual(before);
  });

  it('a second run with one MAC removed cleans that NIC and its file, and keeps the others', async () => {
    const test = makeNode();
    await runAgent(options(test, interfaces()));
    const before = snapshot(test);
    const kept = interfaces().filter((_, n) => n !== 1);
    const outcome = await runAgent(options(test, kept));
    expect(outcome.result).toMatchObject({
      processed: 2,
      failed: 0,
      deleted_total: 1,
      delete_errors: 0,
      total: 2,
    });
    const after = snapshot(test);
    // The removed NIC: original name back, no address, down, no file, no rule, no table.
    expect(after.links[MACS[1]!]).toMatchObject({ name: 'ens5', up: false, ipv4: [], altnames: [] });
    expect(after.files['/etc/netplan/91-multinic1.yaml']).toBeUndefined();
    expect(after.rules).not.toContain('lookup 101');
    expect(after.routes).not.toContain('table 101');
    // The others are exactly as before.
    for (const mac of [MACS[0]!, MACS[2]!, PRIMARY.mac, STRANGER.mac])
      expect(after.links[mac]).toEqual(before.links[mac]);
    expect(after.files['/etc/netplan/90-multinic0.yaml']).toBe(
      before.files['/etc/netplan/90-multinic0.yaml'],
    );
    expect(after.files['/etc/netplan/92-multinic2.yaml']).toBe(
      before.files['/etc/netplan/92-multinic2.yaml'],
    );
    // The freed slot is reused by a new NIC.
    const reuse = await runAgent(
      options(test, [...kept, { ...interfaces()[1]!, macAddress: MACS[1]!, address: '10.21.30.12' }]),
    );
    expect(reuse.result).toMatchObject({ processed: 3, failed: 0 });
    expect(snapshot(test).links[MACS[1]!]).toMatchObject({
      name: 'multinic1',
      ipv4: ['10.21.30.12/24 noprefixroute'],
    });
  });

  it('an injected probe failure on the first apply restores the original names, addresses and files exactly', async () => {
    const test = makeNode();
    const before = snapshot(test);
    const outcome = await runAgent(options(test, interfaces(), { probes: [failingProbe] }));
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.result).toMatchObject({ processed: 0, failed: 3, rolled_back: true, results: [] });
    expect(outcome.result.failures[0]?.reason).toBe(
      '[NETWORK] injected: API server not reachable; rolled back',
    );
    expect(snapshot(test)).toEqual(before);
  });

  it('an injected probe failure on a changed config restores the previous configuration exactly', async () => {
    const test = makeNode();
    await runAgent(options(test, interfaces(2)));
    const before = snapshot(test);
    // Change an address and an MTU, drop multinic1 (orphan) and add the third NIC.
    const changed = [{ ...interfaces()[0]!, address: '10.20.30.99', mtu: 9000 }, interfaces()[2]!];
    const outcome = await runAgent(options(test, changed, { probes: [failingProbe] }));
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.plan?.orphans.map((orphan) => orphan.name)).toEqual(['multinic1']);
    expect(outcome.result.failures.map((failure) => failure.name)).toEqual(['multinic0', 'multinic2']);
    expect(snapshot(test)).toEqual(before);
  });

  it('a failing runtime command rolls back what was already done', async () => {
    const test = makeNode();
    const before = snapshot(test);
    // 'ip link set ... mtu 70000' is refused by the kernel: the third NIC fails after two were configured.
    const list = interfaces();
    list[2] = { ...list[2]!, mtu: 65536 };
    const outcome = await runAgent(options(test, list));
    expect(outcome.rolledBack).toBe(true);
    expect(outcome.result.failures[2]?.reason).toMatch(
      /^\[SYSTEM\] multinic2: 'ip link set dev multinic2 mtu 65536' failed/,
    );
    expect(snapshot(test)).toEqual(before);
  });

  it('a NIC whose MAC is missing fails alone (partial result); the rest is configured', async () => {
    const test = makeNode();
    const list = [
      ...interfaces(2),
      {
        id: 5,
        name: 'multinic5',
        macAddress: 'fa:16:3e:4a:10:55',
        address: '10.50.0.2',
        cidr: '10.50.0.0/24',
        mtu: 1500,
      },
    ];
    const outcome = await runAgent(options(test, list));
    expect(outcome.result).toMatchObject({ processed: 2, failed: 1, total: 3 });
    expect(outcome.result.failures[0]).toMatchObject({ name: 'multinic5', errorType: 'validation' });
  });

  it('--dry-run prints commands and diffs and changes nothing', async () => {
    const test = makeNode();
    const before = snapshot(test);
    const outcome = await runAgent(options(test, interfaces(), { dryRun: true }));
    expect(outcome.report).toContain('ip link set dev ens4 name multinic0');
    expect(outcome.report).toContain('+++ /etc/netplan/90-multinic0.yaml (0600)');
    expect(outcome.report).toContain('+                - 10.20.30.11/24');
    expect(snapshot(test)).toEqual(before);
  });

  it('cleanup removes every multinic file and NIC configuration and gives the names back', async () => {
    const test = makeNode();
    const pristine = snapshot(test);
    await runAgent(options(test, interfaces()));
    const outcome = await runAgent({ ...options(test, []), action: 'cleanup' });
    expect(outcome.result).toMatchObject({ deleted_total: 3, delete_errors: 0, failed: 0, total: 0 });
    const after = snapshot(test);
    MACS.forEach((mac, n) =>
      expect(after.links[mac]).toMatchObject({ name: `ens${n + 4}`, up: false, ipv4: [], altnames: [] }),
    );
    expect(Object.keys(after.files).sort()).toEqual(Object.keys(pristine.files).sort());
    expect(after.rules).toBe(pristine.rules);
    expect(after.links[PRIMARY.mac]).toEqual(pristine.links[PRIMARY.mac]);
  });

  it('on RHEL 9 it writes a NetworkManager keyfile and a systemd .link per NIC (0600) and nothing for netplan', async () => {
    node = createNode(
      MACS.slice(0, 2).map((mac, n) => ({ name: `ens${n + 4}`, mac })),
      'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\n',
    );
    const outcome = await runAgent(options(node, interfaces(2)));
    expect(outcome.result).toMatchObject({ backend: 'networkmanager', processed: 2, failed: 0 });
    const after = snapshot(node);
    expect(after.links[MACS[1]!]).toMatchObject({ name: 'multinic1', mtu: 1401, up: true });
    expect(after.files['/etc/NetworkManager/system-connections/91-multinic1.nmconnection']).toMatch(
      /^600 \[connection\]\nid=multinic1\n/,
    );
    expect(after.files['/etc/systemd/network/90-multinic0.link']).toBe(
      '600 [Match]\nMACAddress=fa:16:3e:4a:10:01\n[Link]\nName=multinic0\n',
    );
    expect(Object.keys(after.files).filter((path) => path.startsWith('/etc/netplan/9'))).toEqual([]);
  });

  it('the CLI writes the termination message and exits 0 on success, 1 on rollback', async () => {
    const test = makeNode();
    const input = join(test.root, 'input.json');
    const log = join(test.root, 'termination-log');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      input,
      JSON.stringify({
        spec: { nodeName: 'biz-worker-1', interfaces: interfaces(2) },
        metadata: { name: 'biz-worker-1' },
      }),
    );
    const args = [
      'apply',
      '--input',
      input,
      '--root',
      test.root,
      '--netns',
      test.ns,
      '--termination-log',
      log,
    ];
    expect(await agentCli(args)).toBe(0);
    const result = parseAgentResult(readFileSync(log, 'utf8'));
    expect(result).toMatchObject({ node: 'biz-worker-1', processed: 2, failed: 0 });
    expect(result.results.map((entry) => entry.name)).toEqual(['multinic0', 'multinic1']);
    // The kernel refuses MTU 65536 on a veth: the apply is undone and the exit code says so.
    writeFileSync(
      input,
      JSON.stringify({ nodeName: 'biz-worker-1', interfaces: [{ ...interfaces()[0]!, mtu: 65536 }] }),
    );
    expect(await agentCli(args)).toBe(1);
    const failed = parseAgentResult(readFileSync(log, 'utf8'));
    expect(failed.rolled_back).toBe(true);
    expect(failed.failures[0]?.reason).toMatch(/mtu 65536' failed/);
    expect(snapshot(test).links[MACS[0]!]).toMatchObject({ name: 'multinic0', mtu: 1400 });
  });
});
