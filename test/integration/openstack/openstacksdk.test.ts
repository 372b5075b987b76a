// Debian's own OpenStack client stack (python3-openstacksdk 0.101, keystoneauth1 5.0 and the
// `openstack` CLI from python3-openstackclient) works against the simulator with its defaults:
// the `password` auth type discovers Keystone's version first (at the auth URL given either as
// Keystone's root or as `…/v3`), then lists servers, ports and subnets, following the services'
// own pagination links. It must run Debian's /usr/bin/python3: a pyenv or venv interpreter
// cannot import the distribution's packages.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../src/openstack/simulator/fixture.js';
import { startOpenStackSim } from '../../support/openstack-sim.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const OPENSTACK = '/usr/bin/openstack';

/** Lists with openstacksdk, as one JSON document; the `limit`s make the SDK follow the links. */
const SCRIPT = `
import json, openstack
conn = openstack.connect()
print(json.dumps({
    "servers": sorted(s.name for s in conn.compute.servers()),
    "serversPaged": [s.name for s in conn.compute.servers(limit=2)],
    "serversNamed": sorted(s.name for s in conn.compute.servers(name="^vm-000[13]$")),
    "ports": sorted(p.mac_address for p in conn.network.ports()),
    "portsPaged": [p.id for p in conn.network.ports(limit=4)],
    "subnets": sorted(s.name for s in conn.network.subnets()),
}))
`;

interface Listed {
  servers: string[];
  serversPaged: string[];
  serversNamed: string[];
  ports: string[];
  portsPaged: string[];
  subnets: string[];
}

describe("Debian's openstacksdk and openstack CLI against the simulator", () => {
  let sim: OpenStackSim;
  const fixture = generateFixture({ vms: 5, portsPerVm: 3 });

  /** A clean environment: only the OS_* variables a user would export, nothing of this process. */
  const env = (authUrl: string): NodeJS.ProcessEnv => ({
    PATH: '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/root',
    LANG: 'C.UTF-8',
    OS_AUTH_URL: authUrl,
    OS_USERNAME: sim.credentials.username ?? '',
    OS_PASSWORD: sim.credentials.password,
    OS_PROJECT_NAME: 'sim-project',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
  });

  beforeAll(async () => {
    for (const [path, pkg] of [
      [PYTHON, 'python3'],
      [OPENSTACK, 'python3-openstackclient'],
    ] as const) {
      if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package ${pkg}`);
    }
    await run(PYTHON, ['-c', 'import openstack']).catch((err: unknown) => {
      throw new Error(
        `Debian's python3 cannot import openstack (install python3-openstacksdk): ${String(err)}`,
      );
    });
    sim = await startOpenStackSim({ fixture });
  });
  afterAll(() => sim.stop());

  const servers = (fixture.servers ?? []).map((s) => String(s['name'])).sort();
  const ports = fixture.ports ?? [];

  it.each([
    ['Keystone root', ''],
    ['…/v3', '/v3'],
  ])('openstacksdk with the auth URL at %s lists servers, ports and subnets', async (_what, suffix) => {
    sim.admin.resetRequests();
    const { stdout } = await run(PYTHON, ['-c', SCRIPT], {
      env: env(`${sim.authUrl}${suffix}`),
      timeout: 60_000,
    });
    const listed = JSON.parse(stdout) as Listed;
    expect(listed.servers).toEqual(servers);
    expect([...listed.serversPaged].sort()).toEqual(servers);
    expect(listed.serversNamed).toEqual(['vm-0001', 'vm-0003']);
    expect(listed.ports).toEqual(ports.map((p) => String(p['mac_address'])).sort());
    // Page by page through the `next` links, the `previous` links ignored: each port once.
    expect(listed.portsPaged).toEqual(ports.map((p) => p.id).sort());
    expect(listed.subnets).toEqual(['data-1-subnet', 'data-2-subnet', 'mgmt-subnet'].sort());

    const counts = sim.requestCounts();
    // keystoneauth's `password` plugin reads the version document at the auth URL first.
    expect(counts[suffix === '' ? 'identity.versions' : 'identity.v3']).toBeGreaterThanOrEqual(1);
    expect(counts['identity.tokens.issue']).toBe(1);
    expect(counts['unknown']).toBeUndefined();
    // The paged listings went page by page (how far past the last short page the SDK looks
    // is its own business).
    const paged = (route: string, limit: string): number =>
      sim.admin.requests(route).filter((r) => r.query.some(([k, v]) => k === 'limit' && v === limit)).length;
    expect(paged('compute.servers.detail', '2')).toBeGreaterThanOrEqual(3);
    expect(paged('network.ports.list', '4')).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['server list', servers, (row: Record<string, unknown>) => String(row['Name'])],
    [
      'port list',
      ports.map((p) => String(p['mac_address'])).sort(),
      (row: Record<string, unknown>) => String(row['MAC Address']),
    ],
    [
      'subnet list',
      ['data-1-subnet', 'data-2-subnet', 'mgmt-subnet'],
      (row: Record<string, unknown>) => String(row['Name']),
    ],
  ])('the openstack CLI runs `%s`', async (command, expected, pick) => {
    const { stdout } = await run(OPENSTACK, [...command.split(' '), '-f', 'json'], {
      env: env(sim.authUrl),
      timeout: 60_000,
    });
    const rows = JSON.parse(stdout) as Array<Record<string, unknown>>;
    expect(rows.map(pick).sort()).toEqual(expected);
  });
});
