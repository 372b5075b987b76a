// One interface over the two OpenStacks the contract tests run against: the project's
// simulator (in-process, loaded with the contract fixture) and the real services (brought up and
// seeded by the contract global setup). Tests speak in fixture ids and translate with `id()`;
// on the simulator that is the identity, on the real services a lookup in the seeding's mapping.
import { inject } from 'vitest';
import { AdminApi } from '../../src/dev/openstack-real/admin-api.js';
import { setPortStatus, type IdMapping } from '../../src/dev/openstack-real/seed.js';
import type { KeystoneCredentials } from '../../src/openstack/credentials.js';
import { parseFixture, type SimulatorFixture } from '../../src/openstack/simulator/fixture.js';
import { contractFixture } from '../contract/fixture.js';
import { startOpenStackSim, type OpenStackSim } from './openstack-sim.js';

export type TargetName = 'simulator' | 'real';
export const TARGETS: readonly TargetName[] = ['simulator', 'real'];
export type IdKind = keyof IdMapping;

export interface AttachPortInput {
  serverId: string;
  networkId: string;
  subnetId: string;
  macAddress: string;
  ipAddress: string;
  name?: string;
  /** @default 'ACTIVE' (what Nova's attach leaves once the port is bound) */
  status?: 'ACTIVE' | 'DOWN';
}

export interface OpenStackTarget {
  readonly name: TargetName;
  readonly fixture: SimulatorFixture;
  /** Keystone without a version (`GET` gives the version list). */
  readonly identityRoot: string;
  /** Password credentials of a fixture user (default: the first), scoped to its first project. */
  credentials(userFixtureId?: string): KeystoneCredentials;
  /** Fixture id → id on this target. */
  id(kind: IdKind, fixtureId: string): string;
  /** Id on this target → fixture id (undefined for resources made after seeding). */
  fixtureId(kind: IdKind, id: string): string | undefined;
  /** Creates a port on the server (real ids), as an admin; returns its id. */
  attachPort(input: AttachPortInput): Promise<string>;
  /** Clears the port's device (the VM no longer has it). */
  detachPort(portId: string): Promise<void>;
  deletePort(portId: string): Promise<void>;
  /**
   * Makes every token issued so far unusable at Nova and Neutron (and waits until their token
   * caches have let go of them), so the next call of a client gets 401.
   */
  expireTokens(): Promise<void>;
  close(): Promise<void>;
}

const identity = <K extends string>(id: K): K => id;

async function simulatorTarget(): Promise<OpenStackTarget> {
  const fixture = parseFixture(contractFixture());
  const sim: OpenStackSim = await startOpenStackSim({ fixture: contractFixture() });
  const identityRoot = sim.authUrl;
  return {
    name: 'simulator',
    fixture,
    identityRoot,
    credentials: (userId) => credentialsFor(fixture, identityRoot, userId),
    id: (_kind, fixtureId) => identity(fixtureId),
    fixtureId: (_kind, id) => id,
    attachPort: (input) => {
      const port = sim.admin.addPort({
        network_id: input.networkId,
        name: input.name ?? '',
        mac_address: input.macAddress,
        fixed_ips: [{ subnet_id: input.subnetId, ip_address: input.ipAddress }],
        device_id: input.serverId,
        device_owner: 'compute:nova',
      });
      if ((input.status ?? 'ACTIVE') !== 'DOWN') sim.admin.setPortStatus(port.id, input.status ?? 'ACTIVE');
      return Promise.resolve(port.id);
    },
    detachPort: (portId) => {
      sim.admin.detachPort(portId);
      return Promise.resolve();
    },
    deletePort: (portId) => {
      sim.admin.removePort(portId);
      return Promise.resolve();
    },
    expireTokens: () => {
      sim.admin.revokeTokens();
      // Past any validation cache of the services, well within the tokens' lifetime.
      sim.admin.advanceClock(600_000);
      return Promise.resolve();
    },
    close: () => sim.stop(),
  };
}

function credentialsFor(
  fixture: SimulatorFixture,
  authUrl: string,
  userFixtureId: string | undefined,
  mapProject: (id: string) => string = (id) => id,
): KeystoneCredentials {
  const user =
    userFixtureId === undefined ? fixture.users[0] : fixture.users.find((u) => u.id === userFixtureId);
  if (user === undefined) throw new Error(`fixture has no user ${userFixtureId ?? '(first)'}`);
  const project = user.projects?.[0] ?? fixture.projects[0]?.id;
  if (project === undefined) throw new Error('fixture has no project');
  return {
    authUrl,
    username: user.name,
    userDomainName: 'Default',
    password: user.password,
    projectId: mapProject(project),
  };
}

function realTarget(): OpenStackTarget {
  const env = inject('openstackReal');
  const fixture = parseFixture(contractFixture());
  const { run, mapping } = env;
  const reverse = Object.fromEntries(
    Object.entries(mapping).map(([kind, ids]) => [
      kind,
      Object.fromEntries(Object.entries(ids as Record<string, string>).map(([f, r]) => [r, f])),
    ]),
  ) as unknown as IdMapping;
  const id = (kind: IdKind, fixtureId: string): string => {
    const real = mapping[kind][fixtureId];
    if (real === undefined) throw new Error(`no real ${kind} for fixture id ${fixtureId}`);
    return real;
  };
  const api = new AdminApi(run.keystoneUrl, {
    username: run.admin.username,
    password: run.admin.password,
    projectName: run.admin.projectName,
  });
  const network = `${run.endpoints.network}/v2.0`;
  return {
    name: 'real',
    fixture,
    identityRoot: run.keystoneUrl,
    credentials: (userId) => credentialsFor(fixture, run.keystoneUrl, userId, (p) => id('projects', p)),
    id,
    fixtureId: (kind, realId) => reverse[kind][realId],
    attachPort: async (input) => {
      const { network: net } = await api.get<{ network: { project_id: string } }>(
        `${network}/networks/${input.networkId}`,
      );
      const { port } = await api.post<{ port: { id: string } }>(`${network}/ports`, {
        port: {
          network_id: input.networkId,
          project_id: net.project_id,
          name: input.name ?? '',
          mac_address: input.macAddress,
          fixed_ips: [{ subnet_id: input.subnetId, ip_address: input.ipAddress }],
          device_id: input.serverId,
          device_owner: 'compute:nova',
        },
      });
      // Nothing binds a port on this cloud (no agents); Nova's attach would leave it ACTIVE.
      if ((input.status ?? 'ACTIVE') !== 'DOWN')
        await setPortStatus(run, port.id, input.status ?? 'ACTIVE', env.mariadbUrl);
      return port.id;
    },
    detachPort: async (portId) => {
      await api.request(`${network}/ports/${portId}`, {
        method: 'PUT',
        body: { port: { device_id: '', device_owner: '' } },
      });
      await setPortStatus(run, portId, 'DOWN', env.mariadbUrl);
    },
    deletePort: async (portId) => {
      await api.request(`${network}/ports/${portId}`, { method: 'DELETE', allow: [404] });
    },
    expireTokens: async () => {
      // Disabling a user revokes every token it holds (Keystone records a revocation event);
      // Nova and Neutron see it once their keystonemiddleware cache entry ages out.
      const k = `${run.keystoneUrl}/v3`;
      for (const user of Object.values(mapping.users)) {
        await api.request(`${k}/users/${user}`, { method: 'PATCH', body: { user: { enabled: false } } });
        await api.request(`${k}/users/${user}`, { method: 'PATCH', body: { user: { enabled: true } } });
      }
      await new Promise((resolve) => setTimeout(resolve, (run.tokenCacheSeconds + 1) * 1000));
    },
    close: () => Promise.resolve(),
  };
}

/** The target for `describe.each(TARGETS)`; close it in afterAll. */
export function openTarget(name: TargetName): Promise<OpenStackTarget> {
  return name === 'simulator' ? simulatorTarget() : Promise.resolve(realTarget());
}
