// Shared set-up for the client tests: sessions that never sleep for real and own their cache.
import { OpenStackSession } from '../../../src/openstack/session.js';
import type { OpenStackSessionOptions } from '../../../src/openstack/session.js';
import { TokenCache } from '../../../src/openstack/identity/v3/token-cache.js';
import type { HttpClientOptions } from '../../../src/openstack/http.js';
import type { OpenStackSim } from '../../support/openstack-sim.js';

export interface TestSessionOptions extends Partial<Omit<OpenStackSessionOptions, 'http'>> {
  http?: HttpClientOptions;
  /** Receives every backoff delay instead of sleeping. */
  sleeps?: number[];
}

export function testSession(sim: OpenStackSim, options: TestSessionOptions = {}): OpenStackSession {
  const { sleeps, http, ...rest } = options;
  return new OpenStackSession({
    credentials: sim.credentials,
    tokenCache: new TokenCache(),
    ...rest,
    http: {
      timeoutMs: 5_000,
      sleep: (ms) => {
        sleeps?.push(ms);
        return Promise.resolve();
      },
      ...http,
    },
  });
}
