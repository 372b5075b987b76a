// Test helper: a fresh network namespace with veth pairs carrying OpenStack-style MACs, and
// exact snapshots of what the agent may change (links, rules, routes, files under the root).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { netnsRunner, type CommandRunner } from '../../../src/agent/system.js';

export interface Veth {
  /** Name the test gives the NIC (what the "kernel" called it). */
  readonly name: string;
  readonly mac: string;
  /** Optional address configured before the agent runs (a primary NIC). */
  readonly address?: string;
  readonly up?: boolean;
}

export interface TestNode {
  readonly ns: string;
  readonly root: string;
  readonly runner: CommandRunner;
  /** Every command the runner executed, in order. */
  readonly commands: string[][];
  ip(...args: string[]): string;
  destroy(): void;
}

function sh(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Fails with a clear message when the machine cannot make network namespaces. */
export function requireNetns(): void {
  try {
    sh(['ip', 'netns', 'list']);
  } catch (error) {
    throw new Error(
      `these tests need root and iproute2 ('ip netns add' must work): ${(error as Error).message}`,
    );
  }
}

export function createNode(
  veths: readonly Veth[],
  osRelease = 'ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n',
): TestNode {
  requireNetns();
  const ns = `mn-test-${randomBytes(4).toString('hex')}`;
  sh(['ip', 'netns', 'add', ns]);
  const root = mkdtempSync(join(tmpdir(), 'multinic-agent-root-'));
  const commands: string[][] = [];
  const inner = netnsRunner(ns, { timeoutMs: 20_000 });
  const node: TestNode = {
    ns,
    root,
    commands,
    runner: (argv, options) => {
      commands.push([...argv]);
      return inner(argv, options);
    },
    ip: (...args) => sh(['ip', '-n', ns, ...args]),
    destroy: () => {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  try {
    mkdirSync(join(root, 'etc/netplan'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), osRelease);
    // A distribution file that must never be touched.
    writeFileSync(
      join(root, 'etc/netplan/50-cloud-init.yaml'),
      'network:\n    version: 2\n    ethernets:\n        eth0:\n            dhcp4: true\n',
      { mode: 0o600 },
    );
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    veths.forEach((veth, n) => {
      const peer = `peer${n}`;
      const peerMac = `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
      sh([
        'ip',
        '-n',
        ns,
        'link',
        'add',
        veth.name,
        'address',
        veth.mac,
        'type',
        'veth',
        'peer',
        'name',
        peer,
        'address',
        peerMac,
      ]);
      sh(['ip', '-n', ns, 'link', 'set', peer, 'up']);
      if (veth.address !== undefined) sh(['ip', '-n', ns, 'addr', 'add', veth.address, 'dev', veth.name]);
      if (veth.up === true) sh(['ip', '-n', ns, 'link', 'set', veth.name, 'up']);
    });
  } catch (error) {
    node.destroy();
    throw error;
  }
  return node;
}

export interface LinkView {
  name: string;
  mac: string;
  mtu: number;
  up: boolean;
  operstate: string;
  altnames: string[];
  ipv4: string[];
}

/** Links (IPv4 only; IPv6 link-local comes and goes with the link), rules, routes, sysctls, files. */
export function snapshot(node: TestNode): {
  links: Record<string, LinkView>;
  rules: string;
  routes: string;
  files: Record<string, string>;
} {
  const raw = JSON.parse(node.ip('-j', 'addr', 'show')) as {
    ifname: string;
    address: string;
    mtu: number;
    flags: string[];
    operstate: string;
    altnames?: string[];
    addr_info?: { family: string; local: string; prefixlen: number; noprefixroute?: boolean }[];
  }[];
  const links: Record<string, LinkView> = {};
  for (const link of raw) {
    links[link.address] = {
      name: link.ifname,
      mac: link.address,
      mtu: link.mtu,
      up: link.flags.includes('UP'),
      operstate: link.operstate,
      altnames: link.altnames ?? [],
      ipv4: (link.addr_info ?? [])
        .filter((addr) => addr.family === 'inet')
        .map(
          (addr) => `${addr.local}/${addr.prefixlen}${addr.noprefixroute === true ? ' noprefixroute' : ''}`,
        ),
    };
  }
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else
        files[`/${relative(node.root, path)}`] =
          `${(statSync(path).mode & 0o777).toString(8)} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(node.root);
  return {
    links,
    rules: node.ip('-4', 'rule', 'show'),
    routes: node.ip('-4', 'route', 'show', 'table', 'all'),
    files,
  };
}

export function sysctl(node: TestNode, key: string): string {
  return sh(['ip', 'netns', 'exec', node.ns, 'sysctl', '-n', key]).trim();
}
