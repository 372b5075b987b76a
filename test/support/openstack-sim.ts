// Starts the OpenStack simulator in-process on a random port for a test or benchmark.
//   const sim = await startOpenStackSim({ fixture: generateFixture({ vms: 3 }) });
//   ... sim.credentials, sim.admin.attachPort(...), sim.requestCounts() ...
//   await sim.stop();
import { parseFixture } from '../../src/openstack/simulator/fixture.js';
import type { SimulatorFixtureInput } from '../../src/openstack/simulator/fixture.js';
import { startSimulator } from '../../src/openstack/simulator/server.js';
import type { SimulatorOptions } from '../../src/openstack/simulator/server.js';
import type { SimulatorState } from '../../src/openstack/simulator/state.js';
import type { KeystoneCredentials } from '../../src/openstack/credentials.js';

export interface StartOpenStackSimOptions extends Omit<SimulatorOptions, 'fixture'> {
  fixture: SimulatorFixtureInput;
}

export interface OpenStackSim {
  /** Base URL of the simulator. */
  url: string;
  /** Keystone auth URL (`${url}/identity`). */
  authUrl: string;
  /** Credentials of the fixture's first user, scoped to its first project. */
  credentials: KeystoneCredentials;
  /** Runtime changes: attach/detach ports, statuses, VMs, faults, token expiry, clock. */
  admin: SimulatorState;
  /** Requests per route id (`network.ports.list`, …). */
  requestCounts(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startOpenStackSim(options: StartOpenStackSimOptions): Promise<OpenStackSim> {
  const fixture = parseFixture(options.fixture);
  const running = await startSimulator({ ...options, fixture });
  const user = fixture.users[0];
  const project = fixture.projects[0];
  if (user === undefined || project === undefined)
    throw new Error('simulator fixture needs at least one user and one project');
  const domain = fixture.domains.find((d) => d.id === user.domainId);
  return {
    url: running.url,
    authUrl: running.authUrl,
    credentials: {
      authUrl: running.authUrl,
      username: user.name,
      userDomainName: domain?.name ?? 'Default',
      password: user.password,
      projectId: project.id,
    },
    admin: running.state,
    requestCounts: () => running.state.requestCounts(),
    stop: () => running.stop(),
  };
}
