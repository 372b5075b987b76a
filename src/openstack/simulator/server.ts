// The OpenStack simulator: Keystone v3 (password tokens + catalog), Neutron v2.0 (ports,
// subnets, networks: filters, fields, limit/marker pagination with links) and Nova v2.1
// (servers: show, list, detail, regex name filter, pagination) on one node:http server,
// plus Contrabass provider lookup and an admin API (/_admin) for runtime changes, faults
// and request counts. Error bodies follow the real services' shapes.
//
// Layout (base = http://host:port):  Keystone {base}/identity/v3 (also {base}/v3),
// Neutron {base}/network/v2.0, Nova {base}/compute/v2.1, Contrabass {base}/v1/contrabass/…
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorFixture } from './fixture.js';
import { SimulatorError, SimulatorState } from './state.js';
import type { Resource } from './state.js';
import type { FaultRule } from './faults.js';

export interface SimulatorOptions {
  fixture: SimulatorFixture;
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Base URL written into the catalog. @default - http://host:port */
  publicUrl?: string;
  /** Overrides the fixture's token lifetime. */
  tokenTtlSeconds?: number;
  /** Added to every non-admin request (a `*` latency fault). */
  latencyMs?: number;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  /** @default - setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export interface RunningSimulator {
  /** Base URL; Keystone auth URL is `${url}/identity` (or `${url}/v3`). */
  url: string;
  authUrl: string;
  state: SimulatorState;
  stop(): Promise<void>;
}

type Query = Array<[string, string]>;
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
interface Ctx {
  method: string;
  query: Query;
  body: unknown;
  headers: Record<string, string>;
  base: string;
  params: string[];
  projectId: string;
}
type Handler = (ctx: Ctx) => Reply;
interface Route {
  id: string;
  method: string;
  pattern: RegExp;
  service: 'identity' | 'network' | 'compute' | 'contrabass';
  handler: Handler;
}

// ---- error bodies shaped like the real services ------------------------------------------

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function keystoneError(status: number, message: string): Reply {
  return { status, body: { error: { code: status, message, title: TITLES[status] ?? 'Error' } } };
}

/** keystonemiddleware's reply for a missing/expired/revoked token (Neutron and Nova alike). */
function unauthorized(base: string): Reply {
  return {
    status: 401,
    headers: { 'www-authenticate': `Keystone uri="${base}/identity"` },
    body: {
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    },
  };
}

function neutronError(status: number, type: string, message: string): Reply {
  return { status, body: { NeutronError: { type, message, detail: '' } } };
}

function novaError(status: number, message: string): Reply {
  const key =
    status === 404
      ? 'itemNotFound'
      : status === 400
        ? 'badRequest'
        : status === 409
          ? 'conflictingRequest'
          : status === 403
            ? 'forbidden'
            : status === 429
              ? 'overLimit'
              : 'computeFault';
  return { status, body: { [key]: { code: status, message } } };
}

function serviceError(service: Route['service'], status: number): Reply {
  const message = `Simulated ${status} ${TITLES[status] ?? ''}`.trim();
  if (service === 'network') return neutronError(status, 'SimulatedFault', message);
  if (service === 'compute') return novaError(status, message);
  return keystoneError(status, message);
}

// ---- helpers ----------------------------------------------------------------------------

const values = (query: Query, key: string): string[] => query.filter(([k]) => k === key).map(([, v]) => v);
const first = (query: Query, key: string): string | undefined => query.find(([k]) => k === key)?.[1];

function project(item: Resource, fields: string[]): Record<string, unknown> {
  if (fields.length === 0) return item;
  return Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]]));
}

function queryString(query: Query): string {
  return new URLSearchParams(query).toString();
}

const NEUTRON_CONTROL = new Set(['fields', 'limit', 'marker', 'page_reverse', 'sort_key', 'sort_dir']);
const NEUTRON_FILTERS: Record<string, Set<string>> = {
  ports: new Set([
    'id',
    'name',
    'network_id',
    'project_id',
    'tenant_id',
    'mac_address',
    'status',
    'device_id',
    'device_owner',
    'admin_state_up',
    'fixed_ips',
    'description',
  ]),
  subnets: new Set([
    'id',
    'name',
    'network_id',
    'project_id',
    'tenant_id',
    'cidr',
    'ip_version',
    'gateway_ip',
    'enable_dhcp',
    'description',
  ]),
  networks: new Set([
    'id',
    'name',
    'project_id',
    'tenant_id',
    'status',
    'shared',
    'admin_state_up',
    'mtu',
    'router:external',
    'description',
  ]),
};

function matchesFixedIps(port: Resource, wanted: string[]): boolean {
  const ips = Array.isArray(port['fixed_ips']) ? (port['fixed_ips'] as Array<Record<string, unknown>>) : [];
  // Each `fixed_ips=key=value` must be satisfied by some fixed IP (Neutron semantics).
  return wanted.every((spec) => {
    const eq = spec.indexOf('=');
    const key = eq < 0 ? spec : spec.slice(0, eq);
    const value = eq < 0 ? '' : spec.slice(eq + 1);
    if (key === 'ip_address_substr') return ips.some((ip) => String(ip['ip_address'] ?? '').includes(value));
    return ips.some((ip) => String(ip[key] ?? '') === value);
  });
}

/** Neutron collection GET: filters (repeated = OR), fields, limit/marker, `<collection>_links`. */
function neutronList(
  state: SimulatorState,
  collection: 'ports' | 'subnets' | 'networks',
  store: Map<string, Resource>,
  ctx: Ctx,
): Reply {
  const filters = new Map<string, string[]>();
  for (const [key, value] of ctx.query) {
    if (NEUTRON_CONTROL.has(key)) continue;
    if (!NEUTRON_FILTERS[collection]?.has(key)) {
      return neutronError(400, 'HTTPBadRequest', `[${key}] is invalid attribute for filtering`);
    }
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  let items = [...store.values()].filter((item) => {
    for (const [key, wanted] of filters) {
      if (key === 'fixed_ips') {
        if (!matchesFixedIps(item, wanted)) return false;
      } else if (!wanted.includes(String(item[key] ?? ''))) return false;
    }
    return true;
  });
  const max = state.fixture.limits.neutronMaxPageSize;
  const limitParam = first(ctx.query, 'limit');
  let limit = limitParam === undefined ? 0 : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 0)
    return neutronError(400, 'HTTPBadRequest', `Invalid limit ${limitParam ?? ''}`);
  if (max > 0 && (limit === 0 || limit > max)) limit = max;
  const marker = first(ctx.query, 'marker');
  const links: Array<{ rel: string; href: string }> = [];
  if (limit > 0 || marker !== undefined) {
    items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (marker !== undefined) {
      if (!store.has(marker)) {
        const kind = collection.slice(0, 1).toUpperCase() + collection.slice(1, -1);
        return neutronError(404, `${kind}NotFound`, `${kind} ${marker} could not be found.`);
      }
      items = items.filter((item) => item.id > marker);
    }
    if (limit > 0) {
      items = items.slice(0, limit);
      const rest = ctx.query.filter(([k]) => k !== 'marker' && k !== 'limit');
      const self = `${ctx.base}/network/v2.0/${collection}`;
      const last = items[items.length - 1];
      if (items.length >= limit && last !== undefined) {
        links.push({
          rel: 'next',
          href: `${self}?${queryString([...rest, ['limit', String(limit)], ['marker', last.id]])}`,
        });
      }
      if (marker !== undefined && items[0] !== undefined) {
        links.push({
          rel: 'previous',
          href: `${self}?${queryString([...rest, ['limit', String(limit)], ['marker', items[0].id], ['page_reverse', 'True']])}`,
        });
      }
    }
  }
  const fields = values(ctx.query, 'fields');
  const body: Record<string, unknown> = { [collection]: items.map((item) => project(item, fields)) };
  if (links.length > 0) body[`${collection}_links`] = links;
  return { status: 200, body };
}

function neutronShow(
  collection: 'ports' | 'subnets' | 'networks',
  store: Map<string, Resource>,
  ctx: Ctx,
): Reply {
  const id = ctx.params[0] ?? '';
  const item = store.get(id);
  const kind = collection.slice(0, 1).toUpperCase() + collection.slice(1, -1);
  if (item === undefined) return neutronError(404, `${kind}NotFound`, `${kind} ${id} could not be found.`);
  return { status: 200, body: { [collection.slice(0, -1)]: project(item, values(ctx.query, 'fields')) } };
}

function serverLinks(base: string, server: Resource): Array<{ rel: string; href: string }> {
  return [
    { rel: 'self', href: `${base}/compute/v2.1/servers/${server.id}` },
    { rel: 'bookmark', href: `${base}/compute/servers/${server.id}` },
  ];
}

/** Nova servers list: `name` is a regular expression searched in the name (like Nova's DB filter). */
function novaList(state: SimulatorState, ctx: Ctx, detail: boolean): Reply {
  let items = [...state.servers.values()];
  const allTenants = ['1', 'true', 'True'].includes(first(ctx.query, 'all_tenants') ?? '');
  if (!allTenants) items = items.filter((server) => server['tenant_id'] === ctx.projectId);
  const name = first(ctx.query, 'name');
  if (name !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(name);
    } catch {
      return novaError(400, `Invalid regular expression in name filter: ${name}`);
    }
    items = items.filter((server) => pattern.test(String(server['name'] ?? '')));
  }
  const status = first(ctx.query, 'status');
  if (status !== undefined)
    items = items.filter((s) => String(s['status'] ?? '').toUpperCase() === status.toUpperCase());
  // Nova's default order: created_at desc, id desc.
  items.sort((a, b) => {
    const ca = String(a['created'] ?? '');
    const cb = String(b['created'] ?? '');
    if (ca !== cb) return ca < cb ? 1 : -1;
    return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
  });
  const marker = first(ctx.query, 'marker');
  if (marker !== undefined) {
    const index = items.findIndex((server) => server.id === marker);
    if (index < 0) return novaError(400, `marker [${marker}] not found`);
    items = items.slice(index + 1);
  }
  const limitParam = first(ctx.query, 'limit');
  const max = state.fixture.limits.novaMaxPageSize;
  const limit = Math.min(limitParam === undefined ? max : Number(limitParam), max);
  if (!Number.isInteger(limit) || limit < 0) return novaError(400, `limit must be a non-negative integer`);
  items = items.slice(0, limit);
  const body: Record<string, unknown> = {
    servers: items.map((server) =>
      detail
        ? { ...server, links: serverLinks(ctx.base, server) }
        : { id: server.id, name: server['name'], links: serverLinks(ctx.base, server) },
    ),
  };
  const last = items[items.length - 1];
  if (limit > 0 && items.length >= limit && last !== undefined) {
    const rest = ctx.query.filter(([k]) => k !== 'marker' && k !== 'limit');
    const path = detail ? 'servers/detail' : 'servers';
    body['servers_links'] = [
      {
        rel: 'next',
        href: `${ctx.base}/compute/v2.1/${path}?${queryString([...rest, ['limit', String(limit)], ['marker', last.id]])}`,
      },
    ];
  }
  return { status: 200, body };
}

// ---- Keystone ---------------------------------------------------------------------------

interface Ref {
  id?: unknown;
  name?: unknown;
  domain?: { id?: unknown; name?: unknown };
  password?: unknown;
}

function keystoneIssue(state: SimulatorState, ctx: Ctx): Reply {
  const auth = (
    ctx.body as
      | { auth?: { identity?: { methods?: unknown; password?: { user?: Ref } }; scope?: { project?: Ref } } }
      | undefined
  )?.auth;
  const methods = auth?.identity?.methods;
  const user = auth?.identity?.password?.user;
  if (!Array.isArray(methods) || !methods.includes('password') || user === undefined) {
    return keystoneError(
      400,
      'Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect.',
    );
  }
  const domainOf = (ref: Ref['domain']): { id: string; name: string } | undefined =>
    state.fixture.domains.find((d) => (ref?.id !== undefined ? d.id === ref.id : d.name === ref?.name));
  const fail = keystoneError(401, 'The request you have made requires authentication.');
  let account;
  if (typeof user.id === 'string') {
    account = state.fixture.users.find((u) => u.id === user.id);
  } else {
    if (typeof user.name !== 'string' || user.domain === undefined)
      return keystoneError(400, 'User name needs a domain.');
    const domain = domainOf(user.domain);
    account = domain && state.fixture.users.find((u) => u.name === user.name && u.domainId === domain.id);
  }
  if (account === undefined || account.password !== user.password) return fail;
  const scope = auth?.scope?.project;
  if (scope === undefined) return keystoneError(400, 'This simulator only issues project-scoped tokens.');
  let projectRecord;
  if (typeof scope.id === 'string') {
    projectRecord = state.fixture.projects.find((p) => p.id === scope.id);
  } else {
    const domain = domainOf(scope.domain);
    projectRecord =
      domain && state.fixture.projects.find((p) => p.name === scope.name && p.domainId === domain.id);
  }
  if (
    projectRecord === undefined ||
    (account.projects !== undefined && !account.projects.includes(projectRecord.id))
  )
    return fail;
  const token = state.issueToken(account.id, projectRecord.id);
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');
  const userDomain = state.fixture.domains.find((d) => d.id === account.domainId) ?? {
    id: account.domainId,
    name: account.domainId,
  };
  const projectDomain = state.fixture.domains.find((d) => d.id === projectRecord.domainId) ?? {
    id: projectRecord.domainId,
    name: projectRecord.domainId,
  };
  const endpoint = (service: string, iface: string, url: string): Record<string, unknown> => ({
    id: `${service}-${iface}`,
    interface: iface,
    region: state.fixture.region,
    region_id: state.fixture.region,
    url,
  });
  const service = (type: string, name: string, url: string): Record<string, unknown> => ({
    id: `${name}-service`,
    type,
    name,
    endpoints: ['public', 'internal', 'admin'].map((iface) => endpoint(name, iface, url)),
  });
  return {
    status: 201,
    headers: { 'x-subject-token': token.id },
    body: {
      token: {
        methods: ['password'],
        user: { domain: userDomain, id: account.id, name: account.name, password_expires_at: null },
        audit_ids: [token.id.slice(-22)],
        expires_at: iso(token.expiresAt),
        issued_at: iso(token.issuedAt),
        project: { domain: projectDomain, id: projectRecord.id, name: projectRecord.name },
        is_domain: false,
        roles: [
          { id: 'admin-role', name: 'admin' },
          { id: 'member-role', name: 'member' },
        ],
        catalog: [
          service('identity', 'keystone', `${ctx.base}/identity`),
          service('network', 'neutron', `${ctx.base}/network`),
          service('compute', 'nova', `${ctx.base}/compute/v2.1`),
        ],
      },
    },
  };
}

// ---- routing ----------------------------------------------------------------------------

const ID = '([^/]+)';

function routes(state: SimulatorState): Route[] {
  const net = (path: string): RegExp => new RegExp(`^/network/v2\\.0/${path}$`);
  const nova = (path: string): RegExp => new RegExp(`^/compute/v2\\.1(?:/[0-9a-f]{32})?/${path}$`);
  return [
    {
      id: 'identity.tokens.issue',
      method: 'POST',
      pattern: /^(?:\/identity)?\/v3\/auth\/tokens$/,
      service: 'identity',
      handler: (ctx) => keystoneIssue(state, ctx),
    },
    {
      id: 'network.ports.list',
      method: 'GET',
      pattern: net('ports'),
      service: 'network',
      handler: (ctx) => neutronList(state, 'ports', state.ports, ctx),
    },
    {
      id: 'network.ports.get',
      method: 'GET',
      pattern: net(`ports/${ID}`),
      service: 'network',
      handler: (ctx) => neutronShow('ports', state.ports, ctx),
    },
    {
      id: 'network.subnets.list',
      method: 'GET',
      pattern: net('subnets'),
      service: 'network',
      handler: (ctx) => neutronList(state, 'subnets', state.subnets, ctx),
    },
    {
      id: 'network.subnets.get',
      method: 'GET',
      pattern: net(`subnets/${ID}`),
      service: 'network',
      handler: (ctx) => neutronShow('subnets', state.subnets, ctx),
    },
    {
      id: 'network.networks.list',
      method: 'GET',
      pattern: net('networks'),
      service: 'network',
      handler: (ctx) => neutronList(state, 'networks', state.networks, ctx),
    },
    {
      id: 'network.networks.get',
      method: 'GET',
      pattern: net(`networks/${ID}`),
      service: 'network',
      handler: (ctx) => neutronShow('networks', state.networks, ctx),
    },
    {
      id: 'compute.servers.detail',
      method: 'GET',
      pattern: nova('servers/detail'),
      service: 'compute',
      handler: (ctx) => novaList(state, ctx, true),
    },
    {
      id: 'compute.servers.list',
      method: 'GET',
      pattern: nova('servers'),
      service: 'compute',
      handler: (ctx) => novaList(state, ctx, false),
    },
    {
      id: 'compute.servers.get',
      method: 'GET',
      pattern: nova(`servers/${ID}`),
      service: 'compute',
      handler: (ctx) => {
        const id = ctx.params[0] ?? '';
        const server = state.servers.get(id);
        if (server === undefined) return novaError(404, `Instance ${id} could not be found.`);
        return { status: 200, body: { server: { ...server, links: serverLinks(ctx.base, server) } } };
      },
    },
    {
      id: 'contrabass.provider.get',
      method: 'GET',
      pattern: new RegExp(`^/v1/contrabass/admin/infra/provider/${ID}$`),
      service: 'contrabass',
      handler: (ctx) => {
        const provider = state.providers.get(ctx.params[0] ?? '');
        if (provider === undefined)
          return { status: 404, body: { code: 404, message: 'provider not found' } };
        // `{{simulator}}` in the Keystone URL stands for this simulator's base URL.
        const url =
          typeof provider['url'] === 'string'
            ? provider['url'].replace('{{simulator}}', ctx.base)
            : provider['url'];
        return { status: 200, body: { data: { ...provider, url } } };
      },
    },
  ];
}

// ---- admin API --------------------------------------------------------------------------

function admin(state: SimulatorState, method: string, path: string, body: unknown): Reply {
  const input = (body ?? {}) as Record<string, unknown>;
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .slice(1);
  const [what, id, action] = parts;
  const ok = (value: unknown, status = 200): Reply => ({ status, body: value });
  const is = (m: string, w: string, hasId: boolean, a?: string): boolean =>
    method === m && what === w && (id !== undefined) === hasId && action === a;
  if (is('GET', 'requests', false))
    return ok({ counts: state.requestCounts(), tokenIssuances: state.tokenIssuances() });
  if (is('GET', 'requests', true)) return ok(state.requests(id));
  if (is('DELETE', 'requests', false)) return (state.resetRequests(), ok({}));
  if (is('GET', 'faults', false)) return ok(state.faults.list());
  if (is('PUT', 'faults', false))
    return (state.setFaults(Array.isArray(body) ? (body as FaultRule[]) : []), ok(state.faults.list()));
  if (is('POST', 'faults', false)) return (state.addFault(input as FaultRule), ok(state.faults.list(), 201));
  if (is('DELETE', 'faults', false)) return (state.clearFaults(), ok([]));
  if (is('POST', 'tokens', true, undefined) && id === 'expire') return (state.expireTokens(), ok({}));
  if (is('POST', 'clock', true) && id === 'advance')
    return (state.advanceClock(Number(input['ms'] ?? 0)), ok({ now: new Date(state.now()).toISOString() }));
  if (is('GET', 'state', false)) {
    return ok({
      servers: [...state.servers.values()],
      ports: [...state.ports.values()],
      subnets: [...state.subnets.values()],
      networks: [...state.networks.values()],
    });
  }
  if (is('POST', 'servers', false))
    return ok(state.addServer(input as Partial<Resource> & { name: string }), 201);
  if (is('DELETE', 'servers', true)) return (state.removeServer(id ?? ''), ok({}));
  if (is('POST', 'ports', false))
    return ok(state.addPort(input as Partial<Resource> & { network_id: string }), 201);
  if (is('DELETE', 'ports', true)) return (state.removePort(id ?? ''), ok({}));
  if (is('POST', 'ports', true, 'attach')) {
    return ok(
      state.attachPort(
        id ?? '',
        String(input['device_id'] ?? ''),
        typeof input['status'] === 'string' ? input['status'] : 'DOWN',
      ),
    );
  }
  if (is('POST', 'ports', true, 'detach')) return ok(state.detachPort(id ?? ''));
  if (is('PUT', 'ports', true, 'status'))
    return ok(state.setPortStatus(id ?? '', String(input['status'] ?? '')));
  return { status: 404, body: { error: `no admin route ${method} ${path}` } };
}

// ---- server -----------------------------------------------------------------------------

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: Reply): void {
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const state = new SimulatorState(options.fixture, {
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.tokenTtlSeconds !== undefined ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}),
  });
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const table = routes(state);
  let base = '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (url.pathname.startsWith('/_admin/')) {
      try {
        send(res, admin(state, method, url.pathname, body));
      } catch (err) {
        send(
          res,
          err instanceof SimulatorError
            ? { status: err.status, body: { error: err.message } }
            : { status: 500, body: { error: String(err) } },
        );
      }
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    let route: Route | undefined;
    let params: string[] = [];
    for (const candidate of table) {
      const match = candidate.pattern.exec(path);
      if (match === null) continue;
      if (candidate.method !== method) continue;
      route = candidate;
      params = match.slice(1).map((p) => decodeURIComponent(p));
      break;
    }
    const query = [...url.searchParams.entries()];
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    const routeId = route?.id ?? 'unknown';
    state.record({ route: routeId, method, path, query, headers, body });
    const decision = state.faults.decide(routeId);
    const latency = decision.latencyMs + (options.latencyMs ?? 0);
    if (latency > 0) await sleep(latency);
    if (decision.action.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (route === undefined) {
      send(res, {
        status: 404,
        body: { error: { code: 404, title: 'Not Found', message: `no route ${method} ${path}` } },
      });
      return;
    }
    if (decision.action.kind === 'unauthorized') {
      send(
        res,
        route.service === 'identity'
          ? keystoneError(401, 'The request you have made requires authentication.')
          : unauthorized(base),
      );
      return;
    }
    if (decision.action.kind === 'status') {
      const reply = serviceError(route.service, decision.action.status);
      if (decision.action.retryAfterSeconds !== undefined)
        reply.headers = { 'retry-after': String(decision.action.retryAfterSeconds) };
      send(res, reply);
      return;
    }
    let projectId = '';
    if (route.service === 'network' || route.service === 'compute') {
      const token = state.validToken(headers['x-auth-token']);
      if (token === undefined) {
        send(res, unauthorized(base));
        return;
      }
      projectId = token.projectId;
    }
    send(res, route.handler({ method, query, body, headers, base, params, projectId }));
  };

  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, { status: 500, body: { error: String(err) } });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  base = (options.publicUrl ?? `http://${host}:${address.port}`).replace(/\/+$/, '');
  return {
    url: base,
    authUrl: `${base}/identity`,
    state,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
