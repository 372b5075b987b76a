// In-memory state of the simulator: resources, tokens, request accounting, and the admin
// operations tests and benchmarks use to change the world at runtime.
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimulatorFixture } from './fixture.js';
import { portExtras, sequentialId, serverExtras } from './fixture.js';
import { FaultInjector, seededRandom } from './faults.js';
import type { FaultRule } from './faults.js';

export type Resource = Record<string, unknown> & { id: string };

export interface IssuedToken {
  id: string;
  /** 1 for the first token issued, 2 for the next, … */
  serial: number;
  userId: string;
  projectId: string;
  /** Epoch ms, whole seconds (Keystone's resolution). */
  issuedAt: number;
  expiresAt: number;
  /** Revoked in Keystone: services that have not cached it yet reject it. */
  revoked: boolean;
}

/** A service that validates tokens itself (with keystonemiddleware and its own cache). */
export type TokenValidator = 'network' | 'compute' | 'image';

export interface RequestRecord {
  route: string;
  method: string;
  path: string;
  /** Query parameters in order, repeated keys kept. */
  query: Array<[string, string]>;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: unknown;
}

/** An admin operation that cannot be done: `status` is the HTTP status the admin API replies with. */
export class SimulatorError extends Error {
  constructor(
    readonly status: 404 | 409 | 400,
    message: string,
  ) {
    super(message);
  }
}

const MAX_LOG = 20_000;

export class SimulatorState {
  readonly fixture: SimulatorFixture;
  readonly networks = new Map<string, Resource>();
  readonly subnets = new Map<string, Resource>();
  readonly ports = new Map<string, Resource>();
  readonly servers = new Map<string, Resource>();
  readonly images = new Map<string, Resource>();
  readonly flavors = new Map<string, Resource>();
  readonly providers = new Map<string, Record<string, unknown>>();
  readonly tokens = new Map<string, IssuedToken>();
  readonly faults: FaultInjector;
  readonly random: () => number;
  tokenTtlMs: number;
  /** keystonemiddleware's `token_cache_time`. */
  tokenCacheMs: number;
  /** Per service: token id -> when the service validated it with Keystone (simulator clock). */
  private readonly validated = new Map<TokenValidator, Map<string, number>>();
  private readonly counts = new Map<string, number>();
  private log: RequestRecord[] = [];
  private issued = 0;
  private idCounter = 0;
  private clockOffsetMs = 0;
  private readonly baseNow: () => number;

  constructor(
    fixture: SimulatorFixture,
    options: { now?: () => number; tokenTtlSeconds?: number; tokenCacheSeconds?: number } = {},
  ) {
    this.fixture = fixture;
    this.baseNow = options.now ?? Date.now;
    this.tokenTtlMs = (options.tokenTtlSeconds ?? fixture.tokenTtlSeconds) * 1000;
    this.tokenCacheMs = (options.tokenCacheSeconds ?? fixture.tokenCacheSeconds) * 1000;
    this.random = seededRandom(fixture.seed);
    this.faults = new FaultInjector(this.random);
    for (const network of fixture.networks) this.networks.set(network.id, structuredClone(network));
    for (const subnet of fixture.subnets) this.subnets.set(subnet.id, structuredClone(subnet));
    for (const port of fixture.ports) this.ports.set(port.id, structuredClone(port));
    for (const server of fixture.servers) this.servers.set(server.id, structuredClone(server));
    for (const image of fixture.images) this.images.set(image.id, structuredClone(image));
    for (const flavor of fixture.flavors) this.flavors.set(flavor.id, structuredClone(flavor));
    for (const provider of fixture.contrabass?.providers ?? [])
      this.providers.set(provider.uuid, structuredClone(provider));
  }

  now(): number {
    return this.baseNow() + this.clockOffsetMs;
  }

  newId(kind: string): string {
    this.idCounter += 1;
    return this.fixture.deterministicIds ? sequentialId(kind, 0x100000 + this.idCounter) : randomUUID();
  }

  issueToken(userId: string, projectId: string): IssuedToken {
    this.issued += 1;
    const id = this.fixture.deterministicIds
      ? `gAAAAAB-sim-token-${this.issued}`
      : `gAAAAAB${randomBytes(48).toString('base64url')}`;
    const issuedAt = Math.floor(this.now() / 1000) * 1000;
    const token: IssuedToken = {
      id,
      serial: this.issued,
      userId,
      projectId,
      issuedAt,
      expiresAt: issuedAt + this.tokenTtlMs,
      revoked: false,
    };
    this.tokens.set(id, token);
    return token;
  }

  /**
   * The token if `service` accepts it, as keystonemiddleware decides: the expiry time is
   * checked on every request; Keystone is asked only when the service has not validated the
   * token within the cache time, so a revoked token keeps working where it was used recently
   * and fails where it was not. A rejected token is not cached.
   */
  validToken(id: string | undefined, service: TokenValidator): IssuedToken | undefined {
    const token = id === undefined ? undefined : this.tokens.get(id.trim());
    const now = this.now();
    if (token === undefined || token.expiresAt <= now) return undefined;
    let cache = this.validated.get(service);
    if (cache === undefined) this.validated.set(service, (cache = new Map()));
    const validatedAt = cache.get(token.id);
    if (validatedAt !== undefined && now - validatedAt < this.tokenCacheMs) return token;
    cache.delete(token.id);
    if (token.revoked) return undefined;
    cache.set(token.id, now);
    return token;
  }

  record(entry: RequestRecord): void {
    this.counts.set(entry.route, (this.counts.get(entry.route) ?? 0) + 1);
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log = this.log.slice(-MAX_LOG / 2);
  }

  // ---- admin operations -------------------------------------------------------------

  /** Requests per route id since start (or the last reset). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** The last requests (at most 20,000), oldest first; headers include X-Auth-Token. */
  requests(route?: string): RequestRecord[] {
    return route === undefined ? [...this.log] : this.log.filter((entry) => entry.route === route);
  }

  resetRequests(): void {
    this.counts.clear();
    this.log = [];
  }

  tokenIssuances(): number {
    return this.issued;
  }

  /**
   * Revokes every token issued so far, like a password change or a token deletion in
   * Keystone: a service that validated a token less than the cache time ago still accepts
   * it until its cache entry ages out (advance the clock by `tokenCacheMs` to get there at
   * once); elsewhere the next call gets 401. For a token that no service accepts any more,
   * advance the clock past its expiry instead.
   */
  revokeTokens(): void {
    for (const token of this.tokens.values()) token.revoked = true;
  }

  /** Moves the simulator's clock forward (token expiry and cache ageing without waiting). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  setTokenTtl(seconds: number): void {
    this.tokenTtlMs = seconds * 1000;
  }

  setFaults(rules: readonly FaultRule[]): void {
    this.faults.set(rules);
  }

  addFault(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  addServer(input: Partial<Resource> & { name: string }): Resource {
    const id = typeof input.id === 'string' && input.id !== '' ? input.id : this.newId('5e');
    if (this.servers.has(id)) throw new SimulatorError(409, `server ${id} already exists`);
    const project = this.fixture.projects[0]?.id ?? '';
    const stamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const server: Resource = {
      ...serverExtras(project, stamp),
      status: 'ACTIVE',
      tenant_id: project,
      metadata: {},
      addresses: {},
      created: stamp,
      updated: stamp,
      ...input,
      id,
    };
    this.servers.set(id, server);
    return server;
  }

  /** Deletes a server; its ports stay, detached (as Nova does for pre-created ports). */
  removeServer(id: string): void {
    if (!this.servers.delete(id)) throw new SimulatorError(404, `server ${id} not found`);
    for (const port of this.ports.values()) {
      if (port['device_id'] === id) Object.assign(port, { device_id: '', device_owner: '', status: 'DOWN' });
    }
  }

  addPort(input: Partial<Resource> & { network_id: string }): Resource {
    const network = this.networks.get(input.network_id);
    if (network === undefined)
      throw new SimulatorError(404, `Network ${input.network_id} could not be found.`);
    const id = typeof input.id === 'string' && input.id !== '' ? input.id : this.newId('90');
    if (this.ports.has(id)) throw new SimulatorError(409, `port ${id} already exists`);
    const mac = typeof input['mac_address'] === 'string' ? input['mac_address'] : this.nextMac();
    for (const port of this.ports.values()) {
      if (port['network_id'] === input.network_id && port['mac_address'] === mac) {
        throw new SimulatorError(
          409,
          `Unable to complete operation for network ${input.network_id}. The mac address ${mac} is in use.`,
        );
      }
    }
    const deviceId = typeof input['device_id'] === 'string' ? input['device_id'] : '';
    if (deviceId !== '' && !this.servers.has(deviceId))
      throw new SimulatorError(404, `Instance ${deviceId} could not be found.`);
    const stamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    // Nothing binds a port created through the API (no agent, no Nova), so Neutron leaves it
    // DOWN whether or not it names a device; only an explicit status makes it ACTIVE.
    const port: Resource = {
      ...portExtras(),
      name: '',
      project_id: network['project_id'],
      tenant_id: network['project_id'],
      mac_address: mac,
      admin_state_up: true,
      status: 'DOWN',
      device_id: deviceId,
      device_owner: deviceId === '' ? '' : 'compute:nova',
      fixed_ips: [],
      created_at: stamp,
      updated_at: stamp,
      ...input,
      id,
    };
    this.ports.set(id, port);
    return port;
  }

  /** Attaches a port to a server: 404 if either is unknown, 409 if attached to another device. */
  attachPort(portId: string, deviceId: string, status = 'DOWN'): Resource {
    const port = this.port(portId);
    if (!this.servers.has(deviceId))
      throw new SimulatorError(404, `Instance ${deviceId} could not be found.`);
    const current = port['device_id'];
    if (typeof current === 'string' && current !== '' && current !== deviceId) {
      throw new SimulatorError(409, `Port ${portId} is still in use.`);
    }
    Object.assign(port, {
      device_id: deviceId,
      device_owner: 'compute:nova',
      status,
      ...this.touched(port),
    });
    return port;
  }

  detachPort(portId: string): Resource {
    const port = this.port(portId);
    Object.assign(port, { device_id: '', device_owner: '', status: 'DOWN', ...this.touched(port) });
    return port;
  }

  setPortStatus(portId: string, status: string): Resource {
    const port = this.port(portId);
    Object.assign(port, { status, ...this.touched(port) });
    return port;
  }

  removePort(portId: string): void {
    if (!this.ports.delete(portId)) throw new SimulatorError(404, `Port ${portId} could not be found.`);
  }

  private port(id: string): Resource {
    const port = this.ports.get(id);
    if (port === undefined) throw new SimulatorError(404, `Port ${id} could not be found.`);
    return port;
  }

  /** Every change of a port bumps its revision, as Neutron's standard attributes do. */
  private touched(port: Resource): Record<string, unknown> {
    const revision = typeof port['revision_number'] === 'number' ? port['revision_number'] : 0;
    return { updated_at: this.stamp(), revision_number: revision + 1 };
  }

  private stamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  }

  private macCounter = 0;
  private nextMac(): string {
    this.macCounter += 1;
    const n = 0xf00000 + this.macCounter;
    return `fa:16:3e:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }
}
