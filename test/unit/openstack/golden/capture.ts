// Captures the raw responses of a real Keystone/Neutron/Nova (brought up and seeded with
// `tools/openstack/openstack.ts up`, default fixture: generateFixture({ vms: 3, portsPerVm: 3 }))
// into ./real/*.json, the golden files the simulator's unit tests compare it with.
//
//   npx tsx test/unit/openstack/golden/capture.ts [--state DIR]     (default: instance `dev`)
//
// Every golden is written in the fixture's terms so that the simulator, started with the same
// fixture, can be asked the same question: real ids are mapped back to fixture ids (through the
// seed record), service roots become {identity}, {network}, {compute}, and only read requests
// (plus one token) are made, so a running test suite on the same instance is not disturbed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSeedRecord } from '../../../../src/dev/openstack-real/seed.js';
import { instanceDir, readRunState } from '../../../../src/dev/openstack-real/services.js';
import { generateFixture, sequentialId } from '../../../../src/openstack/simulator/fixture.js';
import { GOLDEN_FIXTURE, type Golden, type GoldenService } from './golden.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'real');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const stateDir = arg('state') ?? instanceDir('dev');
  const run = readRunState(stateDir);
  const seed = readSeedRecord(stateDir);
  if (run === undefined || seed === undefined)
    throw new Error(`no running, seeded real OpenStack in ${stateDir} (tools/openstack/openstack.ts up)`);
  const fixture = generateFixture(GOLDEN_FIXTURE);
  const user = fixture.users[0];
  const project = fixture.projects[0];
  if (user === undefined || project === undefined) throw new Error('fixture without a user or project');

  // fixture id -> real id, and back.
  const toReal = new Map<string, string>();
  for (const kind of Object.values(seed.mapping) as Array<Record<string, string>>)
    for (const [f, r] of Object.entries(kind)) toReal.set(f, r);
  const toFixture = new Map([...toReal].map(([f, r]) => [r, f]));
  const roots: Record<GoldenService, string> = {
    identity: run.keystoneUrl.replace(/\/+$/, ''),
    network: run.endpoints.network.replace(/\/+$/, ''),
    compute: run.endpoints.compute.replace(/\/+$/, '').replace(/\/v2\.1$/, ''),
  };
  const realPath = (path: string): string => {
    let out = path;
    for (const [f, r] of toReal) out = out.replaceAll(f, r);
    return out;
  };
  const placeholders: Record<string, string> = {
    ...roots,
    image: run.endpoints.image.replace(/\/+$/, ''),
    placement: run.endpoints.placement.replace(/\/+$/, ''),
  };
  const fixtureText = (text: string): string => {
    let out = text;
    for (const [service, root] of Object.entries(placeholders)) out = out.replaceAll(root, `{${service}}`);
    for (const [r, f] of toFixture) out = out.replaceAll(r, f);
    return out;
  };

  const issue = await fetch(`${roots.identity}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user.name, domain: { name: 'Default' }, password: user.password } },
        },
        scope: { project: { name: project.name, domain: { name: 'Default' } } },
      },
    }),
  });
  const token = issue.headers.get('x-subject-token') ?? '';
  if (issue.status !== 201 || token === '') throw new Error(`token: ${issue.status} ${await issue.text()}`);

  mkdirSync(OUT, { recursive: true });
  const capture = async (
    name: string,
    service: GoldenService,
    path: string,
    options: { method?: string; body?: unknown; auth?: string | null } = {},
  ): Promise<void> => {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json' };
    const auth = options.auth === undefined ? token : options.auth;
    if (auth !== null) headers['x-auth-token'] = auth;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${roots[service]}${realPath(path)}`, {
      method,
      headers,
      redirect: 'manual',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text === '' ? '' : (JSON.parse(fixtureText(text)) as unknown);
    } catch {
      body = fixtureText(text);
    }
    const kept = ['content-type', 'location', 'www-authenticate'];
    const golden: Golden = {
      request: {
        service,
        method,
        path,
        ...(options.body !== undefined ? { body: options.body } : {}),
        ...(auth === null ? { auth: 'none' } : auth === token ? {} : { auth: 'invalid' }),
      },
      status: res.status,
      headers: Object.fromEntries(
        kept.flatMap((h) => {
          const v = res.headers.get(h);
          return v === null ? [] : [[h, fixtureText(v)]];
        }),
      ),
      body,
    };
    writeFileSync(join(OUT, `${name}.json`), JSON.stringify(golden, null, 2) + '\n');
    console.log(`${name}: ${res.status}`);
  };

  const vm = (n: number): string => sequentialId('5e', n);
  const port = (n: number): string => sequentialId('90', n);
  const subnet = (n: number): string => sequentialId('5b', n);
  const network = (n: number): string => sequentialId('4e', n);
  const missing = 'ffffffff-0000-4000-8000-000000000000';
  const q = encodeURIComponent;

  await capture('keystone-versions', 'identity', '/', { auth: null });
  await capture('keystone-v3', 'identity', '/v3', { auth: null });
  await capture('keystone-token-create', 'identity', '/v3/auth/tokens', {
    method: 'POST',
    auth: null,
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user.name, domain: { name: 'Default' }, password: user.password } },
        },
        scope: { project: { name: project.name, domain: { name: 'Default' } } },
      },
    },
  });
  await capture('keystone-token-bad-password', 'identity', '/v3/auth/tokens', {
    method: 'POST',
    auth: null,
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: user.name, domain: { name: 'Default' }, password: 'wrong' } },
        },
        scope: { project: { name: project.name, domain: { name: 'Default' } } },
      },
    },
  });

  await capture('nova-versions', 'compute', '/', { auth: null });
  await capture('nova-v21', 'compute', '/v2.1', { auth: null });
  await capture('nova-server-show', 'compute', `/v2.1/servers/${vm(1)}`);
  await capture('nova-server-not-found', 'compute', `/v2.1/servers/${missing}`);
  await capture('nova-servers-detail-by-name', 'compute', `/v2.1/servers/detail?name=${q('^vm-0001$')}`);
  await capture(
    'nova-servers-detail-alternation',
    'compute',
    `/v2.1/servers/detail?name=${q('^(vm-0001|vm-0002)$')}`,
  );
  await capture('nova-servers-detail-class', 'compute', `/v2.1/servers/detail?name=${q('vm-000[12]$')}`);
  await capture('nova-servers-detail-case', 'compute', `/v2.1/servers/detail?name=${q('^VM-0003$')}`);
  await capture('nova-servers-bad-regex', 'compute', `/v2.1/servers/detail?name=${q('^(vm')}`);
  await capture('nova-servers-paged', 'compute', `/v2.1/servers?name=vm&limit=2`);
  await capture('nova-servers-limit-zero', 'compute', `/v2.1/servers?limit=0`);
  await capture('nova-servers-bad-marker', 'compute', `/v2.1/servers/detail?marker=${missing}`);
  await capture('nova-servers-bad-limit', 'compute', `/v2.1/servers/detail?limit=x`);
  await capture('nova-servers-invalid-token', 'compute', `/v2.1/servers/detail`, { auth: 'bogus' });
  // nova-api runs on the same eventlet server as Neutron: the same request-line limit.
  await capture('nova-servers-long-request-line', 'compute', `/v2.1/servers/detail?name=${'x'.repeat(8200)}`);

  await capture('neutron-versions', 'network', '/', { auth: null });
  const devices = `device_id=${vm(1)}&device_id=${vm(2)}`;
  await capture('neutron-ports-by-device', 'network', `/v2.0/ports?${devices}`);
  await capture('neutron-ports-page-1', 'network', `/v2.0/ports?${devices}&limit=2`);
  // The real ids order the pages; the marker of page 2 is page 1's last port, whatever it is.
  await capture('neutron-ports-limit-zero', 'network', `/v2.0/ports?limit=0`);
  await capture('neutron-ports-fields', 'network', `/v2.0/ports?${devices}&fields=id&fields=mac_address`);
  await capture('neutron-port-show', 'network', `/v2.0/ports/${port(1)}`);
  await capture('neutron-port-not-found', 'network', `/v2.0/ports/${missing}`);
  await capture('neutron-ports-bad-marker', 'network', `/v2.0/ports?limit=2&marker=${missing}`);
  await capture('neutron-ports-bad-filter', 'network', `/v2.0/ports?device_idx=1`);
  await capture('neutron-ports-bad-limit', 'network', `/v2.0/ports?limit=x`);
  await capture('neutron-ports-invalid-token', 'network', `/v2.0/ports`, { auth: 'bogus' });
  const many = (n: number): string =>
    Array.from({ length: n }, (_, i) => `device_id=${sequentialId('dd', i + 1)}`).join('&');
  await capture('neutron-ports-170-devices', 'network', `/v2.0/ports?${many(170)}`);
  await capture('neutron-ports-200-devices', 'network', `/v2.0/ports?${many(200)}`);
  await capture('neutron-subnets-by-name', 'network', `/v2.0/subnets?name=data-1-subnet`);
  await capture('neutron-subnet-show', 'network', `/v2.0/subnets/${subnet(2)}`);
  await capture('neutron-subnet-not-found', 'network', `/v2.0/subnets/${missing}`);
  await capture('neutron-networks', 'network', `/v2.0/networks`);
  await capture('neutron-network-show', 'network', `/v2.0/networks/${network(1)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
