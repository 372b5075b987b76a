// Two agent-controller replicas (the process wiring, with the system's ServiceAccount and RBAC)
// against the real API server: both are Ready while only one leads, and the standby takes over
// when the leader stops — what a rolling update of a one-replica Deployment needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAgentControllerConfig } from '../../../src/agent-controller/config.js';
import { runAgentController } from '../../../src/agent-controller/run.js';
import { getObject } from '../../../src/kube/apply.js';
import { KubeHttp } from '../../../src/kube/http.js';
import type { KubeObject } from '../../../src/kube/types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { freePorts } from '../../../src/dev/ports.js';
import { adminClients, useNamespace, waitFor } from '../../support/kube.js';
import { clientsAsSystemRole } from '../../support/role-identity.js';
import { installCrds } from './harness.js';

const home = useNamespace('ac-standby');
const agentNs = useNamespace('ac-standby-agent');

interface Replica {
  port: number;
  stop: () => void;
  exited: Promise<number>;
}
const replicas: Replica[] = [];

async function start(identity: string, port: number): Promise<Replica> {
  const http = new KubeHttp(
    (await clientsAsSystemRole('agent-controller', { namespace: home.name, agentNamespace: agentNs.name }))
      .kc,
  );
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const config = parseAgentControllerConfig(
    {
      POD_NAMESPACE: home.name,
      POD_NAME: identity,
      AGENT_NAMESPACE: agentNs.name,
      HEALTH_PORT: String(port),
    },
    identity,
  );
  const exited = runAgentController({ http, logger: silentLogger, config, stopped });
  return { port, stop, exited };
}

async function readyz(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
  } catch {
    return 0;
  }
}

async function holder(): Promise<string | undefined> {
  const lease = await getObject<KubeObject & { spec?: { holderIdentity?: string } }>(
    new KubeHttp(adminClients().kc),
    {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: home.name,
      name: 'multinic-agent-controller',
    },
  );
  return lease?.spec?.holderIdentity;
}

beforeAll(async () => {
  const admin = new KubeHttp(adminClients().kc);
  await installCrds(admin);
  const ports = await freePorts(2);
  for (const [i, port] of ports.entries()) replicas.push(await start(`replica-${i}`, port));
});

afterAll(async () => {
  for (const replica of replicas) replica.stop();
  await Promise.all(replicas.map((r) => r.exited.catch(() => 1)));
});

describe('agent-controller replicas', () => {
  it('are both Ready while only one holds the Lease, and the standby takes over', async () => {
    const [first, second] = replicas as [Replica, Replica];
    await waitFor(async () => (await readyz(first.port)) === 200 && (await readyz(second.port)) === 200, {
      what: 'both replicas Ready',
      timeout: 30_000,
    });
    const leader = await waitFor(holder, { what: 'a Lease holder', timeout: 30_000 });
    expect(leader).toMatch(/^replica-[01]-/);
    const [leading, standby] = leader.startsWith('replica-0') ? [first, second] : [second, first];
    expect(await readyz(standby.port)).toBe(200);
    leading.stop();
    expect(await leading.exited).toBe(0);
    const next = await waitFor(
      async () => {
        const now = await holder();
        return now !== undefined && now !== leader ? now : undefined;
      },
      { what: 'the standby to take the Lease', timeout: 30_000 },
    );
    expect(next).not.toBe(leader);
    await waitFor(async () => (await readyz(standby.port)) === 200, {
      what: 'new leader Ready',
      timeout: 30_000,
    });
  });
});
