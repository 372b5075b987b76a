// Seeding the real services from the simulator's fixture format, so one fixture drives both.
// Real services choose their own ids, so seeding returns (and persists) a mapping from fixture
// ids to real ids. Everything else that the APIs let an admin choose is copied: names, MACs,
// fixed IPs, MTUs, metadata, owners. Two things only the database can set: a port's status
// (without a binding real ports stay DOWN) and its creation time; both are written with SQL.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  parseFixture,
  type SimulatorFixture,
  type SimulatorFixtureInput,
} from '../../openstack/simulator/fixture.js';
import { mapBounded } from '../../openstack/pagination.js';
import { ControlPlaneError } from '../errors.js';
import { DEFAULT_MARIADB_URL } from '../mariadb.js';
import { AdminApi, type PasswordScope } from './admin-api.js';
import type { RunState } from './services.js';

/** Fixture id → real id, per kind. */
export interface IdMapping {
  domains: Record<string, string>;
  projects: Record<string, string>;
  users: Record<string, string>;
  networks: Record<string, string>;
  subnets: Record<string, string>;
  servers: Record<string, string>;
  ports: Record<string, string>;
}

export interface SeedResult {
  mapping: IdMapping;
  fixtureHash: string;
  /** False when the instance already held exactly this fixture. */
  seeded: boolean;
  seconds: number;
}

interface SeedRecord {
  fixtureHash: string;
  mapping: IdMapping;
}

export function fixtureHash(fixture: SimulatorFixtureInput): string {
  return createHash('sha256').update(JSON.stringify(fixture)).digest('hex').slice(0, 16);
}

export function readSeedRecord(stateDir: string): SeedRecord | undefined {
  const path = join(stateDir, 'seed.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as SeedRecord) : undefined;
}

type Json = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Makes the instance hold exactly `fixtureInput`: when it already does (same fixture hash and
 * every mapped server still there) nothing is done; otherwise the fixture's projects are
 * emptied and seeded again.
 */
export async function seedFixture(
  run: RunState,
  stateDir: string,
  fixtureInput: SimulatorFixtureInput,
  options: { mariadbUrl?: string; log?: (line: string) => void } = {},
): Promise<SeedResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const fixture = parseFixture(fixtureInput);
  const hash = fixtureHash(fixtureInput);
  const api = new AdminApi(run.keystoneUrl, {
    username: run.admin.username,
    password: run.admin.password,
    projectName: run.admin.projectName,
  });
  const k = `${run.keystoneUrl}/v3`;
  const { compute, network } = run.endpoints;

  const record = readSeedRecord(stateDir);
  if (record?.fixtureHash === hash) {
    const { servers } = await api.get<{ servers: Array<{ id: string; status: string }> }>(
      `${compute}/servers/detail?all_tenants=1&limit=1000`,
    );
    const present = new Set(servers.filter((s) => s.status === 'ACTIVE').map((s) => s.id));
    const { ports } = await api.get<{ ports: Array<{ id: string; project_id: string; device_id: string }> }>(
      `${network}/v2.0/ports?fields=id&fields=project_id&fields=device_id`,
    );
    const projects = new Set(Object.values(record.mapping.projects));
    const portIds = new Set(ports.filter((p) => projects.has(p.project_id)).map((p) => p.id));
    const devices = new Map(ports.map((p) => [p.id, p.device_id]));
    const devicesAsSeeded = (fixture.ports as Json[]).every((port) => {
      const device = str(port['device_id']) ?? '';
      return (
        devices.get(record.mapping.ports[port.id as string] ?? '') ===
        (record.mapping.servers[device] ?? device)
      );
    });
    if (
      devicesAsSeeded &&
      Object.values(record.mapping.servers).every((id) => present.has(id)) &&
      Object.values(record.mapping.ports).every((id) => portIds.has(id)) &&
      portIds.size === Object.keys(record.mapping.ports).length &&
      servers.length === Object.keys(record.mapping.servers).length
    ) {
      // Statuses and timestamps again: a test may have changed them.
      await applyPortDbFields(run, fixture, record.mapping, options.mariadbUrl);
      return {
        mapping: record.mapping,
        fixtureHash: hash,
        seeded: false,
        seconds: (Date.now() - started) / 1000,
      };
    }
  }

  const mapping: IdMapping = {
    domains: {},
    projects: {},
    users: {},
    networks: {},
    subnets: {},
    servers: {},
    ports: {},
  };
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await fn();
    log(`openstack[${run.instance}]: seed ${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    return result;
  };

  // --- Keystone: domains, projects, users with the member role -----------------------------
  const roleId = async (name: string): Promise<string> => {
    const { roles } = await api.get<{ roles: Array<{ id: string }> }>(`${k}/roles?name=${name}`);
    const id = roles[0]?.id;
    if (id === undefined) throw new ControlPlaneError(`Keystone has no role '${name}'`);
    return id;
  };
  await step('keystone projects and users', async () => {
    const member = await roleId('member');
    const admin = await roleId('admin');
    const { users: admins } = await api.get<{ users: Array<{ id: string }> }>(
      `${k}/users?name=${encodeURIComponent(run.admin.username)}&domain_id=default`,
    );
    const adminUser = admins[0];
    for (const domain of fixture.domains) {
      if (domain.id === 'default') {
        mapping.domains[domain.id] = 'default';
        continue;
      }
      const { domains } = await api.get<{ domains: Array<{ id: string }> }>(
        `${k}/domains?name=${encodeURIComponent(domain.name)}`,
      );
      mapping.domains[domain.id] =
        domains[0]?.id ??
        (await api.post<{ domain: { id: string } }>(`${k}/domains`, { domain: { name: domain.name } })).domain
          .id;
    }
    for (const project of fixture.projects) {
      const domainId = mapping.domains[project.domainId] ?? 'default';
      const { projects } = await api.get<{ projects: Array<{ id: string }> }>(
        `${k}/projects?name=${encodeURIComponent(project.name)}&domain_id=${domainId}`,
      );
      const id =
        projects[0]?.id ??
        (
          await api.post<{ project: { id: string } }>(`${k}/projects`, {
            project: { name: project.name, domain_id: domainId },
          })
        ).project.id;
      mapping.projects[project.id] = id;
      // The admin creates the servers inside each project (Nova puts a server in the token's project).
      if (adminUser !== undefined) {
        await api.request(`${k}/projects/${id}/users/${adminUser.id}/roles/${admin}`, { method: 'PUT' });
      }
    }
    for (const user of fixture.users) {
      const domainId = mapping.domains[user.domainId] ?? 'default';
      const { users } = await api.get<{ users: Array<{ id: string }> }>(
        `${k}/users?name=${encodeURIComponent(user.name)}&domain_id=${domainId}`,
      );
      let id = users[0]?.id;
      if (id === undefined) {
        id = (
          await api.post<{ user: { id: string } }>(`${k}/users`, {
            user: { name: user.name, password: user.password, domain_id: domainId, enabled: true },
          })
        ).user.id;
      } else {
        await api.request(`${k}/users/${id}`, {
          method: 'PATCH',
          body: { user: { password: user.password, enabled: true } },
        });
      }
      mapping.users[user.id] = id;
      for (const projectId of user.projects ?? fixture.projects.map((p) => p.id)) {
        const real = mapping.projects[projectId];
        if (real !== undefined)
          await api.request(`${k}/projects/${real}/users/${id}/roles/${member}`, { method: 'PUT' });
      }
    }
  });
  const projectIds = Object.values(mapping.projects);
  // Projects of an earlier, different fixture are emptied too: their flat networks would hold
  // physical network names, and their servers would show up in admin listings.
  const emptied = [...new Set([...projectIds, ...Object.values(record?.mapping.projects ?? {})])];
  const realProject = (fixtureProject: unknown): string => {
    const id = str(fixtureProject);
    const real = id === undefined ? undefined : mapping.projects[id];
    if (real === undefined)
      throw new ControlPlaneError(`fixture references unknown project '${String(fixtureProject)}'`);
    return real;
  };

  // --- Empty the fixture's projects ----------------------------------------------------------
  await step('remove earlier seeds', async () => {
    const { servers } = await api.get<{ servers: Array<{ id: string; tenant_id: string }> }>(
      `${compute}/servers/detail?all_tenants=1&limit=1000`,
    );
    const doomed = servers.filter((s) => emptied.includes(s.tenant_id));
    await mapBounded(doomed, 8, async (s) => {
      await api.request(`${compute}/servers/${s.id}`, { method: 'DELETE', allow: [404] });
    });
    for (const projectId of emptied) {
      const { ports } = await api.get<{ ports: Array<{ id: string }> }>(
        `${network}/v2.0/ports?project_id=${projectId}&fields=id`,
      );
      await mapBounded(ports, 8, (p) =>
        api.request(`${network}/v2.0/ports/${p.id}`, { method: 'DELETE', allow: [404] }),
      );
      const { subnets } = await api.get<{ subnets: Array<{ id: string }> }>(
        `${network}/v2.0/subnets?project_id=${projectId}&fields=id`,
      );
      for (const s of subnets)
        await api.request(`${network}/v2.0/subnets/${s.id}`, { method: 'DELETE', allow: [404] });
      const { networks } = await api.get<{ networks: Array<{ id: string }> }>(
        `${network}/v2.0/networks?project_id=${projectId}&fields=id`,
      );
      for (const n of networks)
        await api.request(`${network}/v2.0/networks/${n.id}`, { method: 'DELETE', allow: [404] });
    }
    const deadline = Date.now() + 300_000;
    for (;;) {
      const { servers: left } = await api.get<{ servers: Array<{ id: string }> }>(
        `${compute}/servers/detail?all_tenants=1&limit=1000`,
      );
      if (!left.some((s) => doomed.some((d) => d.id === s.id))) break;
      if (Date.now() > deadline)
        throw new ControlPlaneError('earlier seeded servers were not deleted within 300s');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  // --- Neutron networks and subnets -----------------------------------------------------------
  await step(`${fixture.networks.length} networks, ${fixture.subnets.length} subnets`, async () => {
    let physnet = 0;
    for (const net of fixture.networks as Json[]) {
      const body: Json = {
        name: str(net['name']) ?? '',
        project_id: realProject(net['project_id'] ?? net['tenant_id']),
        admin_state_up: net['admin_state_up'] ?? true,
        shared: net['shared'] ?? false,
      };
      if (typeof net['mtu'] === 'number') body['mtu'] = net['mtu'];
      if (typeof net['provider:network_type'] === 'string') {
        for (const key of [
          'provider:network_type',
          'provider:physical_network',
          'provider:segmentation_id',
        ]) {
          if (net[key] !== undefined && net[key] !== null) body[key] = net[key];
        }
      } else {
        // A flat network per physical network name: the fixture format does not say, and flat
        // networks accept any MTU up to the physical one.
        physnet += 1;
        body['provider:network_type'] = 'flat';
        body['provider:physical_network'] = `fx${String(body['project_id']).slice(0, 8)}n${physnet}`;
      }
      const { network: created } = await api.post<{ network: { id: string } }>(`${network}/v2.0/networks`, {
        network: body,
      });
      mapping.networks[net.id as string] = created.id;
    }
    for (const sub of fixture.subnets as Json[]) {
      const networkId = mapping.networks[str(sub['network_id']) ?? ''];
      if (networkId === undefined)
        throw new ControlPlaneError(`subnet ${String(sub.id)} names an unknown network`);
      const body: Json = {
        name: str(sub['name']) ?? '',
        network_id: networkId,
        project_id: realProject(sub['project_id'] ?? sub['tenant_id']),
        ip_version: sub['ip_version'] ?? 4,
        cidr: sub['cidr'],
        enable_dhcp: sub['enable_dhcp'] ?? false,
      };
      for (const key of ['gateway_ip', 'allocation_pools', 'host_routes', 'dns_nameservers', 'description']) {
        if (sub[key] !== undefined) body[key] = sub[key];
      }
      const { subnet } = await api.post<{ subnet: { id: string } }>(`${network}/v2.0/subnets`, {
        subnet: body,
      });
      mapping.subnets[sub.id as string] = subnet.id;
    }
  });

  // --- Nova servers (as admin scoped to each server's project) -------------------------------
  await step(`${fixture.servers.length} servers`, async () => {
    const { images } = await api.get<{ images: Array<{ id: string }> }>(
      `${run.endpoints.image}/v2/images?name=tiny`,
    );
    const imageId = images[0]?.id;
    if (imageId === undefined) throw new ControlPlaneError('image tiny is missing');
    const scopeFor = (projectId: string): PasswordScope => ({
      username: run.admin.username,
      password: run.admin.password,
      projectId,
    });
    await mapBounded(fixture.servers as Json[], 6, async (server) => {
      const projectId = realProject(server['tenant_id'] ?? server['project_id']);
      const metadata = (server['metadata'] ?? {}) as Record<string, string>;
      const { server: created } = await api.post<{ server: { id: string } }>(
        `${compute}/servers`,
        {
          server: {
            name: str(server['name']) ?? server.id,
            imageRef: imageId,
            flavorRef: 'm1.tiny',
            networks: 'none',
            metadata,
          },
        },
        scopeFor(projectId),
        { 'openstack-api-version': 'compute 2.37', 'x-openstack-nova-api-version': '2.37' },
      );
      mapping.servers[server.id as string] = created.id;
    });
    const wanted = new Set(Object.values(mapping.servers));
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { servers } = await api.get<{
        servers: Array<{ id: string; status: string; fault?: { message?: string } }>;
      }>(`${compute}/servers/detail?all_tenants=1&limit=1000`);
      const mine = servers.filter((s) => wanted.has(s.id));
      const failed = mine.find((s) => s.status === 'ERROR');
      if (failed !== undefined) {
        throw new ControlPlaneError(
          `server ${failed.id} went to ERROR: ${failed.fault?.message ?? 'no fault message'}`,
        );
      }
      if (mine.length === wanted.size && mine.every((s) => s.status === 'ACTIVE')) break;
      if (Date.now() > deadline) throw new ControlPlaneError('seeded servers not ACTIVE within 600s');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

  // --- Neutron ports, then their status and timestamps ---------------------------------------
  await step(`${fixture.ports.length} ports`, async () => {
    await mapBounded(fixture.ports as Json[], 6, async (port) => {
      const networkId = mapping.networks[str(port['network_id']) ?? ''];
      if (networkId === undefined)
        throw new ControlPlaneError(`port ${String(port.id)} names an unknown network`);
      const deviceId = str(port['device_id']) ?? '';
      const body: Json = {
        network_id: networkId,
        project_id: realProject(port['project_id'] ?? port['tenant_id']),
        name: str(port['name']) ?? '',
        admin_state_up: port['admin_state_up'] ?? true,
        device_id: mapping.servers[deviceId] ?? deviceId,
        device_owner: str(port['device_owner']) ?? '',
      };
      if (typeof port['mac_address'] === 'string') body['mac_address'] = port['mac_address'];
      if (Array.isArray(port['fixed_ips'])) {
        body['fixed_ips'] = (port['fixed_ips'] as Json[]).map((ip) => ({
          subnet_id: mapping.subnets[str(ip['subnet_id']) ?? ''] ?? ip['subnet_id'],
          ...(ip['ip_address'] === undefined ? {} : { ip_address: ip['ip_address'] }),
        }));
      }
      const { port: created } = await api.post<{ port: { id: string } }>(`${network}/v2.0/ports`, {
        port: body,
      });
      mapping.ports[port.id as string] = created.id;
    });
    await applyPortDbFields(run, fixture, mapping, options.mariadbUrl);
  });

  writeFileSync(join(stateDir, 'seed.json'), JSON.stringify({ fixtureHash: hash, mapping }, null, 2) + '\n');
  return { mapping, fixtureHash: hash, seeded: true, seconds: (Date.now() - started) / 1000 };
}

async function applyPortDbFields(
  run: RunState,
  fixture: SimulatorFixture,
  mapping: IdMapping,
  mariadbUrl: string | undefined,
): Promise<void> {
  const db = await mysql.createConnection({
    uri: mariadbUrl ?? process.env['MULTINIC_MARIADB_URL'] ?? DEFAULT_MARIADB_URL,
    connectTimeout: 5000,
  });
  const schema = `${run.dbPrefix}neutron`;
  const toSql = (iso: string): string => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
  try {
    for (const port of fixture.ports as Json[]) {
      const id = mapping.ports[port.id as string];
      if (id === undefined) continue;
      const status = str(port['status']);
      if (status !== undefined && status !== 'DOWN') {
        await db.query(`UPDATE \`${schema}\`.ports SET status = ? WHERE id = ?`, [status, id]);
      }
      const created = str(port['created_at']);
      const updated = str(port['updated_at']) ?? created;
      if (created !== undefined) {
        await db.query(
          `UPDATE \`${schema}\`.standardattributes sa JOIN \`${schema}\`.ports p ON p.standard_attr_id = sa.id ` +
            'SET sa.created_at = ?, sa.updated_at = ? WHERE p.id = ?',
          [toSql(created), toSql(updated ?? created), id],
        );
      }
    }
  } finally {
    await db.end();
  }
}

/** Sets a port's status in Neutron's database (the API treats it as read-only). */
export async function setPortStatus(
  run: Pick<RunState, 'dbPrefix'>,
  portId: string,
  status: string,
  mariadbUrl?: string,
): Promise<void> {
  const db = await mysql.createConnection({
    uri: mariadbUrl ?? process.env['MULTINIC_MARIADB_URL'] ?? DEFAULT_MARIADB_URL,
    connectTimeout: 5000,
  });
  try {
    await db.query(`UPDATE \`${run.dbPrefix}neutron\`.ports SET status = ? WHERE id = ?`, [status, portId]);
  } finally {
    await db.end();
  }
}
