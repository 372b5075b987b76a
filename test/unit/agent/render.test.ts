import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_NETWORK_OPTIONS, type NetworkOptions } from '../../../src/agent/options.js';
import { BACKEND_IDS, BackendId } from '../../../src/agent/os.js';
import { ownerOfFile, renderInterface, renderNetplan, type RenderedFile } from '../../../src/agent/render.js';
import { desired, tenInterfaces } from './fixtures.js';

const EXAMPLES = '/work/shared/spec/examples/node-files';
const NO_POLICY: NetworkOptions = { ...DEFAULT_NETWORK_OPTIONS, policyRouting: false };
const scratch = mkdtempSync(join(tmpdir(), 'multinic-render-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function example(path: string): string {
  return readFileSync(join(EXAMPLES, path), 'utf8');
}

function netplanAvailable(): void {
  const probe = spawnSync('netplan', ['--help'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    throw new Error(
      `the real 'netplan' binary is required (apt-get install netplan.io): ${probe.error.message}`,
    );
  }
}

/** Runs the real `netplan generate --root-dir` over the files; returns the generated networkd files. */
function netplanGenerate(files: RenderedFile[]): Map<string, string> {
  netplanAvailable();
  const root = mkdtempSync(join(scratch, 'root-'));
  for (const file of files) {
    const path = join(root, file.path);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file.content);
    chmodSync(path, file.mode);
  }
  const result = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
  expect(result.stderr, 'netplan generate must not warn').toBe('');
  expect(result.status, result.stderr).toBe(0);
  const out = new Map<string, string>();
  const networkDir = join(root, 'run/systemd/network');
  for (const name of existsSync(networkDir)
    ? execFileSync('ls', [networkDir], { encoding: 'utf8' }).split('\n').filter(Boolean)
    : []) {
    out.set(name, readFileSync(join(networkDir, name), 'utf8'));
  }
  return out;
}

describe('renderers match the golden files', () => {
  for (const backend of BACKEND_IDS) {
    it(`${backend}: renders biz-worker-1's two interfaces`, async () => {
      for (const iface of desired()) {
        for (const file of renderInterface(backend, iface, DEFAULT_NETWORK_OPTIONS)) {
          expect(file.mode).toBe(0o600);
          const name = file.path.split('/').pop() ?? '';
          await expect(file.content).toMatchFileSnapshot(`./golden/${backend}/${name}`);
          expect(ownerOfFile(backend, file.path)).toBe(iface.name);
        }
      }
    });
    it(`${backend}: renders without policy routing`, async () => {
      const [iface] = desired();
      for (const file of renderInterface(backend, iface!, NO_POLICY)) {
        const name = file.path.split('/').pop() ?? '';
        await expect(file.content).toMatchFileSnapshot(`./golden/${backend}-no-policy-routing/${name}`);
      }
    });
  }
});

describe("renderers follow the earlier agents' file layouts", () => {
  it('netplan: same document as examples/node-files/ubuntu-g2 except routing-policy uses <address>/32', () => {
    for (const [index, name] of ['90-multinic0.yaml', '91-multinic1.yaml'].entries()) {
      const file = renderNetplan(desired()[index]!, DEFAULT_NETWORK_OPTIONS);
      expect(file.path).toBe(`/etc/netplan/${name}`);
      const expected = parse(example(`ubuntu-g2/${name}`)) as {
        network: { ethernets: Record<string, { 'routing-policy': { from: string }[] }> };
      };
      for (const ethernet of Object.values(expected.network.ethernets)) {
        for (const rule of ethernet['routing-policy']) rule.from = rule.from.replace(/\/\d+$/, '/32');
      }
      expect(parse(file.content)).toEqual(expected);
    }
  });

  it('netplan without policy routing: the same document as the G1 example', () => {
    const file = renderNetplan(desired()[0]!, NO_POLICY);
    expect(file.content).toBe(example('ubuntu-g1/90-multinic0.yaml'));
  });

  it('NetworkManager: keyfile and .link are byte-identical to examples/node-files/rhel-g2', () => {
    const files = renderInterface(BackendId.networkManager, desired()[0]!, DEFAULT_NETWORK_OPTIONS);
    expect(files.map((file) => file.path)).toEqual([
      '/etc/NetworkManager/system-connections/90-multinic0.nmconnection',
      '/etc/systemd/network/90-multinic0.link',
    ]);
    expect(files[0]!.content).toBe(example('rhel-g2/90-multinic0.nmconnection'));
    expect(files[1]!.content).toBe(example('rhel-g2/90-multinic0.link'));
  });

  it('ifcfg: ifcfg-multinic0 is byte-identical to examples/node-files/rhel-g1 (no trailing newline)', () => {
    const files = renderInterface(BackendId.ifcfg, desired()[0]!, DEFAULT_NETWORK_OPTIONS);
    expect(files[0]!.path).toBe('/etc/sysconfig/network-scripts/ifcfg-multinic0');
    expect(files[0]!.content).toBe(example('rhel-g1/ifcfg-multinic0'));
    expect(files.slice(1).map((file) => file.path)).toEqual([
      '/etc/sysconfig/network-scripts/route-multinic0',
      '/etc/sysconfig/network-scripts/rule-multinic0',
    ]);
  });

  it('wicked: keeps the G1 keys and adds the address and the real MTU', () => {
    const [ifcfg, link] = renderInterface(BackendId.wicked, desired()[0]!, DEFAULT_NETWORK_OPTIONS);
    expect(ifcfg!.path).toBe('/etc/sysconfig/network/ifcfg-multinic0');
    expect(ifcfg!.content).toContain('STARTMODE=auto\n');
    expect(ifcfg!.content).toContain('LLADDR=fa:16:3e:4a:10:01\n');
    expect(ifcfg!.content).toContain('IPADDR=192.168.50.11/24\n');
    expect(ifcfg!.content).toContain('MTU=1450\n');
    expect(link!.path).toBe('/etc/systemd/network/90-multinic0.link');
  });

  it('netplan keeps the MAC as received; RHEL files lower-case it', () => {
    const [iface] = desired([
      { id: 3, macAddress: 'FA:16:3E:4A:10:0A', address: '10.0.0.2', cidr: '10.0.0.0/8', mtu: 9000 },
    ]);
    expect(renderNetplan(iface!, DEFAULT_NETWORK_OPTIONS).content).toContain('macaddress: FA:16:3E:4A:10:0A');
    expect(renderNetplan(iface!, DEFAULT_NETWORK_OPTIONS).path).toBe('/etc/netplan/93-multinic3.yaml');
    const [nm] = renderInterface(BackendId.networkManager, iface!, DEFAULT_NETWORK_OPTIONS);
    expect(nm!.content).toContain('mac-address=fa:16:3e:4a:10:0a\n');
  });
});

describe('every rendered netplan file passes the real netplan generate', () => {
  it('biz-worker-1 with policy routing: networkd gets the match, rename, MTU, address, route table and rule', () => {
    const generated = netplanGenerate(
      desired().map((iface) => renderNetplan(iface, DEFAULT_NETWORK_OPTIONS)),
    );
    const network = generated.get('10-netplan-multinic0.network') ?? '';
    expect(network).toContain('Name=multinic0');
    expect(network).toContain('Address=192.168.50.11/24');
    expect(network).toMatch(/\[Route\]\nDestination=192.168.50.0\/24\nScope=link\nMetric=100\nTable=100/);
    expect(network).toMatch(/\[RoutingPolicyRule\]\nFrom=192.168.50.11\/32\nTable=100/);
    const link = generated.get('10-netplan-multinic0.link') ?? '';
    expect(link).toContain('MACAddress=fa:16:3e:4a:10:01');
    expect(link).toContain('Name=multinic0');
    expect(link).toContain('MTUBytes=1450');
    expect(generated.has('10-netplan-multinic1.network')).toBe(true);
  });

  it('biz-worker-1 without policy routing', () => {
    const generated = netplanGenerate(desired().map((iface) => renderNetplan(iface, NO_POLICY)));
    expect(generated.get('10-netplan-multinic1.network')).toContain('Address=10.20.30.11/24');
  });

  it('ten interfaces multinic0..9 (all slots) with an upper-case MAC and MTU 9000', () => {
    const interfaces = tenInterfaces();
    interfaces[9] = { ...interfaces[9]!, macAddress: 'FA:16:3E:00:10:09', mtu: 9000 };
    const files = desired(interfaces).map((iface) => renderNetplan(iface, DEFAULT_NETWORK_OPTIONS));
    expect(files.map((file) => file.path.split('/').pop())).toEqual(
      Array.from({ length: 10 }, (_, n) => `9${n}-multinic${n}.yaml`),
    );
    const generated = netplanGenerate(files);
    for (let n = 0; n < 10; n += 1) expect(generated.has(`10-netplan-multinic${n}.network`)).toBe(true);
    expect(generated.get('10-netplan-multinic9.link')).toContain('MTUBytes=9000');
  });

  it('a wrong file is rejected by netplan generate (the check is real)', () => {
    const file = renderNetplan(desired()[0]!, DEFAULT_NETWORK_OPTIONS);
    const root = mkdtempSync(join(scratch, 'bad-'));
    mkdirSync(join(root, 'etc/netplan'), { recursive: true });
    writeFileSync(join(root, file.path), file.content.replace('mtu: 1450', 'mtu: big'), { mode: 0o600 });
    const result = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("invalid unsigned int value 'big'");
  });
});
