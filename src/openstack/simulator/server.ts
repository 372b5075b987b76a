// The OpenStack simulator: Keystone v3 (version documents, password tokens + catalog),
// Neutron v2.0 (ports, subnets, networks: filters, fields, limit/marker pagination with links)
// and Nova v2.1 (servers: show, list, detail, name filter, pagination; flavors) on one
// node:http server, plus what the `openstack` CLI needs of Glance (versions, image list),
// Contrabass provider lookup and an admin API (/_admin) for runtime changes, faults and
// request counts. Status codes, bodies, links and error messages are those of the
// real services (Keystone 22, Neutron 21, Nova 26 on MariaDB), including their quirks: Nova's
// name filter cannot alternate, Neutron pages carry a `previous` link, both answer 414 to a
// request line of 8 KiB, and a token once validated by a service stays valid there for the
// token cache time even if revoked (keystonemiddleware).
//
// Layout (base = http://host:port):  Keystone {base}/identity (also {base}/ and {base}/v3),
// Neutron {base}/network/v2.0, Nova {base}/compute/v2.1, Glance {base}/image,
// Contrabass {base}/v1/contrabass/…
import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatorFixture } from './fixture.js';
import { SimulatorError, SimulatorState } from './state.js';
import { sequentialId } from './fixture.js';
import { seededRandom } from './faults.js';
import type { Resource } from './state.js';
import type { FaultRule } from './faults.js';
import {
  glanceVersions,
  keystoneV3,
  keystoneVersions,
  neutronV2,
  neutronVersions,
  novaV21,
  novaVersions,
} from './versions.js';

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
  /** Overrides the fixture's token cache time of the services (keystonemiddleware). */
  tokenCacheSeconds?: number;
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
  /** The request path as sent (trailing slash kept). */
  rawPath: string;
  params: string[];
  projectId: string;
  /** The token's user holds the `admin` role (Neutron then shows every project's resources). */
  admin: boolean;
}
type Handler = (ctx: Ctx) => Reply;
interface Route {
  id: string;
  method: string;
  pattern: RegExp;
  service: 'identity' | 'network' | 'compute' | 'image' | 'contrabass';
  /** Served without a token (version documents). */
  anonymous?: boolean;
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

/** Keystone's own 401 (bad credentials), pointing at its versioned root. */
function keystoneUnauthorized(root: string): Reply {
  return {
    ...keystoneError(401, 'The request you have made requires authentication.'),
    headers: { 'www-authenticate': `Keystone uri="${root}/v3"` },
  };
}

/** Keystone's root for a request: the simulator serves it at /identity and at the server root. */
function keystoneRootOf(base: string, path: string): string {
  return `${base}${path.startsWith('/identity') ? '/identity' : ''}`;
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
  // Nova's fault wrapper names the charset; its successful replies do not.
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: { [key]: { code: status, message } },
  };
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

/**
 * Python's `urllib.parse.urlencode` (quote_plus, nothing safe but `_.-~`), which Neutron and
 * Nova use to build their links: `fixed_ips=subnet_id%3D…`, `+` for a space.
 */
export function pythonUrlencode(query: Query): string {
  const quote = (text: string): string =>
    [...new TextEncoder().encode(text)]
      .map((byte) => {
        if (byte === 0x20) return '+';
        const char = String.fromCharCode(byte);
        return /[A-Za-z0-9_.~-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return query.map(([key, value]) => `${quote(key)}=${quote(value)}`).join('&');
}

/** Python's `repr()` of a string, as it appears inside the services' error messages. */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = [...text]
    .map((char) => {
      if (char === '\\') return '\\\\';
      if (char === quote) return `\\${char}`;
      if (char === '\n') return '\\n';
      if (char === '\r') return '\\r';
      if (char === '\t') return '\\t';
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
      return char;
    })
    .join('');
  return `${quote}${body}${quote}`;
}

/** A webob MultiDict's edits, which Neutron applies to the request's query to build its links. */
const multiDict = {
  /** `pop(key)`: drops the first occurrence only. */
  pop(query: Query, key: string): Query {
    const index = query.findIndex(([k]) => k === key);
    return index < 0 ? query : [...query.slice(0, index), ...query.slice(index + 1)];
  },
  /** `d[key] = value`: drops every occurrence and appends. */
  set(query: Query, key: string, value: string): Query {
    return [...query.filter(([k]) => k !== key), [key, value]];
  },
};

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

/**
 * Neutron's policy for a non-admin token: its own project's resources, shared networks, and the
 * subnets of shared networks. An admin token sees every project's.
 */
function visibleTo(
  state: SimulatorState,
  collection: 'ports' | 'subnets' | 'networks',
  item: Resource,
  ctx: Ctx,
): boolean {
  if (ctx.admin) return true;
  const owner = item['project_id'] ?? item['tenant_id'];
  if (owner === undefined || owner === ctx.projectId) return true;
  if (collection === 'networks') return item['shared'] === true;
  if (collection === 'subnets') return state.networks.get(String(item['network_id']))?.['shared'] === true;
  return false;
}

/**
 * Neutron collection GET: filters (repeated = OR), fields, limit/marker/page_reverse, and the
 * `<collection>_links` Neutron builds: with a limit, `next` unless a forward page came back
 * short, `previous` unless a reverse page came back short — so even the first page has a
 * `previous` (marker = its first id, `page_reverse=True`). Links keep the request's parameters
 * in order and append `marker` (and `page_reverse`).
 */
function neutronList(
  state: SimulatorState,
  collection: 'ports' | 'subnets' | 'networks',
  store: Map<string, Resource>,
  ctx: Ctx,
): Reply {
  const filters = new Map<string, string[]>();
  const invalid: string[] = [];
  for (const [key, value] of ctx.query) {
    if (NEUTRON_CONTROL.has(key)) continue;
    if (!NEUTRON_FILTERS[collection]?.has(key)) {
      if (!invalid.includes(key)) invalid.push(key);
      continue;
    }
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  if (invalid.length > 0) {
    const list = `[${invalid.map(pythonRepr).join(', ')}]`;
    return neutronError(400, 'HTTPBadRequest', `${list} is invalid attribute for filtering`);
  }
  let items = [...store.values()].filter((item) => {
    if (!visibleTo(state, collection, item, ctx)) return false;
    for (const [key, wanted] of filters) {
      if (key === 'fixed_ips') {
        if (!matchesFixedIps(item, wanted)) return false;
      } else if (!wanted.includes(String(item[key] ?? ''))) return false;
    }
    return true;
  });
  const max = state.fixture.limits.neutronMaxPageSize;
  const limitParam = first(ctx.query, 'limit') ?? '0';
  let limit = /^\s*[+-]?\d+\s*$/.test(limitParam) ? Number(limitParam) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 0) {
    return neutronError(
      400,
      'BadRequest',
      `Bad limit request: Limit must be an integer 0 or greater and not ${pythonRepr(limitParam)}.`,
    );
  }
  if (max > 0) limit = Math.min(max, limit) || max;
  const links: Array<{ rel: string; href: string }> = [];
  if (limit > 0) {
    const marker = first(ctx.query, 'marker');
    const reverse = ['true', '1', 'yes', 'on'].includes(
      (first(ctx.query, 'page_reverse') ?? '').toLowerCase(),
    );
    items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (marker !== undefined) {
      if (!store.has(marker)) {
        const kind = collection.slice(0, 1).toUpperCase() + collection.slice(1, -1);
        return neutronError(404, `${kind}NotFound`, `${kind} ${marker} could not be found.`);
      }
      items = items.filter((item) => (reverse ? item.id < marker : item.id > marker));
    }
    items = reverse ? items.slice(-limit) : items.slice(0, limit);
    const self = `${ctx.base}/network/v2.0/${collection}`;
    const short = items.length < limit;
    const firstItem = items[0];
    const lastItem = items[items.length - 1];
    if (!(short && !reverse)) {
      let next = multiDict.pop(ctx.query, 'marker');
      if (lastItem !== undefined) next = multiDict.set(next, 'marker', lastItem.id);
      next = multiDict.pop(next, 'page_reverse');
      links.push({ rel: 'next', href: `${self}?${pythonUrlencode(next)}` });
    }
    if (!(short && reverse)) {
      let previous = multiDict.pop(ctx.query, 'marker');
      if (firstItem !== undefined) previous = multiDict.set(previous, 'marker', firstItem.id);
      previous = multiDict.set(previous, 'page_reverse', 'True');
      links.push({ rel: 'previous', href: `${self}?${pythonUrlencode(previous)}` });
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

/**
 * Nova's `name` filter on MySQL/MariaDB: the API validates the value as a Python regular
 * expression (400 with Nova's text otherwise), the database layer escapes every `|` as `\\|`
 * before `display_name REGEXP …` (so `^(a|b)$` looks for a literal `a|b` and matches nothing),
 * and REGEXP on the case-insensitive utf8 collation ignores case and searches anywhere.
 * Returns the matcher, or the error message.
 */
export function novaNameFilter(name: string): ((serverName: string) => boolean) | string {
  const invalid = `Invalid input for query parameters name. Value: ${name}. ${pythonRepr(name)} is not a 'regex'`;
  try {
    new RegExp(name);
  } catch {
    return invalid;
  }
  const pattern = new RegExp(name.replaceAll('|', '\\|'), 'i');
  return (serverName) => pattern.test(serverName);
}

/** Nova servers list (`detail` = `/servers/detail`): filters, Nova's default order, marker/limit. */
function novaList(state: SimulatorState, ctx: Ctx, detail: boolean): Reply {
  let items = [...state.servers.values()];
  const allTenants = ['1', 'true', 'True'].includes(first(ctx.query, 'all_tenants') ?? '');
  if (!allTenants) items = items.filter((server) => server['tenant_id'] === ctx.projectId);
  const name = first(ctx.query, 'name');
  if (name !== undefined) {
    const matches = novaNameFilter(name);
    if (typeof matches === 'string') return novaError(400, matches);
    items = items.filter((server) => matches(String(server['name'] ?? '')));
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
  if (limitParam !== undefined && !/^[0-9]+$/.test(limitParam)) {
    return novaError(
      400,
      `Invalid input for query parameters limit. Value: ${limitParam}. ${pythonRepr(limitParam)} does not match '^[0-9]*$'`,
    );
  }
  const max = state.fixture.limits.novaMaxPageSize;
  // `limit=0` is an empty page without a link (unlike Neutron, where it means no limit).
  const limit = Math.min(limitParam === undefined ? max : Number(limitParam), max);
  items = items.slice(0, limit);
  const body: Record<string, unknown> = {
    servers: items.map((server) =>
      detail
        ? { ...server, links: serverLinks(ctx.base, server) }
        : { id: server.id, links: serverLinks(ctx.base, server), name: server['name'] },
    ),
  };
  const last = items[items.length - 1];
  if (limit > 0 && items.length === limit && last !== undefined) {
    // Nova's next link: the request's parameters sorted, one value per key, `marker` replaced.
    const params = new Map<string, string>();
    for (const [key, value] of [...ctx.query].sort(([ka, va], [kb, vb]) =>
      ka === kb ? (va < vb ? -1 : va > vb ? 1 : 0) : ka < kb ? -1 : 1,
    ))
      params.set(key, value);
    params.set('marker', last.id);
    const path = detail ? 'servers/detail' : 'servers';
    body['servers_links'] = [
      { rel: 'next', href: `${ctx.base}/compute/v2.1/${path}?${pythonUrlencode([...params])}` },
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
  const fail = keystoneUnauthorized(keystoneRootOf(ctx.base, ctx.rawPath));
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
  // Keystone stores times in whole seconds and prints them with six zero decimals.
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, '.000000Z');
  const userDomain = state.fixture.domains.find((d) => d.id === account.domainId) ?? {
    id: account.domainId,
    name: account.domainId,
  };
  const projectDomain = state.fixture.domains.find((d) => d.id === projectRecord.domainId) ?? {
    id: projectRecord.domainId,
    name: projectRecord.domainId,
  };
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
        roles: account.roles.map((name) => ({
          id: sequentialId('7e', roleNumber(name)).replaceAll('-', ''),
          name,
        })),
        catalog: catalog(state, ctx.base, token.serial),
      },
    },
  };
}

/** Stable role ids: one number per role name. */
function roleNumber(name: string): number {
  let hash = 0;
  for (const char of name) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) >>> 0;
  return hash;
}

/**
 * The catalog of a token: every service a real deployment registers (the client needs only
 * network and compute), in an order that changes from token to token as Keystone's does —
 * a client must look services up by type, never by position.
 */
function catalog(state: SimulatorState, base: string, serial: number): Array<Record<string, unknown>> {
  const services: Array<[type: string, name: string, url: string]> = [
    ['identity', 'keystone', `${base}/identity/v3/`],
    ['network', 'neutron', `${base}/network`],
    ['compute', 'nova', `${base}/compute/v2.1`],
    ['image', 'glance', `${base}/image`],
    ['placement', 'placement', `${base}/placement`],
  ];
  const random = seededRandom(state.fixture.seed * 7919 + serial);
  const shuffled = <T>(list: readonly T[]): T[] => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  return shuffled(services).map(([type, name, url], s) => ({
    endpoints: shuffled(INTERFACES).map((iface) => ({
      id: sequentialId('e0', (SERVICE_NUMBERS[type] ?? s) * 16 + INTERFACES.indexOf(iface)).replaceAll(
        '-',
        '',
      ),
      interface: iface,
      region_id: state.fixture.region,
      url,
      region: state.fixture.region,
    })),
    id: sequentialId('5c', SERVICE_NUMBERS[type] ?? s).replaceAll('-', ''),
    type,
    name,
  }));
}

const INTERFACES = ['public', 'internal', 'admin'] as const;
const SERVICE_NUMBERS: Record<string, number> = {
  identity: 1,
  network: 2,
  compute: 3,
  image: 4,
  placement: 5,
};

// ---- routing ----------------------------------------------------------------------------

const ID = '([^/]+)';

function routes(state: SimulatorState): Route[] {
  const net = (path: string): RegExp => new RegExp(`^/network/v2\\.0/${path}$`);
  const nova = (path: string): RegExp => new RegExp(`^/compute/v2\\.1(?:/[0-9a-f]{32})?/${path}$`);
  // Keystone answers at the auth URL and at the server root; its links follow the path used.
  const keystoneRoot = (ctx: Ctx): string => keystoneRootOf(ctx.base, ctx.rawPath);
  return [
    {
      id: 'identity.versions',
      method: 'GET',
      pattern: /^\/(?:identity)?$/,
      service: 'identity',
      handler: (ctx) => ({
        status: 300,
        headers: { location: `${keystoneRoot(ctx)}/v3/` },
        body: keystoneVersions(keystoneRoot(ctx)),
      }),
    },
    {
      id: 'identity.v3',
      method: 'GET',
      pattern: /^(?:\/identity)?\/v3$/,
      service: 'identity',
      handler: (ctx) => ({ status: 200, body: keystoneV3(keystoneRoot(ctx)) }),
    },
    {
      id: 'network.versions',
      method: 'GET',
      pattern: /^\/network$/,
      service: 'network',
      anonymous: true,
      handler: (ctx) => ({ status: 200, body: neutronVersions(`${ctx.base}/network`) }),
    },
    {
      id: 'network.v2',
      method: 'GET',
      pattern: /^\/network\/v2\.0$/,
      service: 'network',
      // Neutron lists its resources only at `/v2.0/`, with the slash.
      handler: (ctx) =>
        ctx.rawPath.endsWith('/')
          ? { status: 200, body: neutronV2(`${ctx.base}/network`) }
          : notFound({ method: ctx.method, path: ctx.rawPath }),
    },
    {
      id: 'compute.versions',
      method: 'GET',
      pattern: /^\/compute$/,
      service: 'compute',
      anonymous: true,
      handler: (ctx) => ({ status: 200, body: novaVersions(`${ctx.base}/compute`) }),
    },
    {
      id: 'compute.v2.1',
      method: 'GET',
      pattern: /^\/compute\/v2\.1$/,
      service: 'compute',
      anonymous: true,
      handler: (ctx) => ({ status: 200, body: novaV21(`${ctx.base}/compute`) }),
    },
    {
      id: 'image.versions',
      method: 'GET',
      pattern: /^\/image$/,
      service: 'image',
      anonymous: true,
      handler: (ctx) => ({ status: 300, body: glanceVersions(`${ctx.base}/image`) }),
    },
    {
      id: 'image.images.list',
      method: 'GET',
      pattern: /^\/image\/v2\/images$/,
      service: 'image',
      handler: () => ({
        status: 200,
        body: { images: [...state.images.values()], schema: '/v2/schemas/images', first: '/v2/images' },
      }),
    },
    {
      id: 'compute.flavors.detail',
      method: 'GET',
      pattern: nova('flavors/detail'),
      service: 'compute',
      handler: () => ({ status: 200, body: { flavors: [...state.flavors.values()] } }),
    },
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
        return { status: 200, body: { data: provider } };
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
  // Revocation, not expiry: services keep accepting a token they validated within their
  // token cache time (see SimulatorState.revokeTokens).
  if (is('POST', 'tokens', true, undefined) && id === 'expire') return (state.revokeTokens(), ok({}));
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

/**
 * Neutron and Nova run on eventlet's WSGI server, which reads at most 8192 bytes of request
 * line and answers 414 (empty body, connection closed) when the line, CRLF included, reaches
 * that: about 170 `device_id`s of 36 characters fit in one query, 200 do not.
 */
const MAX_REQUEST_LINE = 8192;

function requestLineBytes(req: IncomingMessage): number {
  return Buffer.byteLength(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}\r\n`);
}

function notFound(ctx: { method: string; path: string }): Reply {
  return {
    status: 404,
    body: { error: { code: 404, title: 'Not Found', message: `no route ${ctx.method} ${ctx.path}` } },
  };
}

/** `base`: what `{{simulator}}` in the fixture's strings stands for (this simulator's URL). */
function send(res: ServerResponse, reply: Reply, base?: string): void {
  let payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  if (base !== undefined && payload.includes('{{simulator}}'))
    payload = payload.replaceAll('{{simulator}}', base);
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
    ...(options.tokenCacheSeconds !== undefined ? { tokenCacheSeconds: options.tokenCacheSeconds } : {}),
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
    const eventletService = /^\/(network|compute)(?:\/|$)/.exec(path)?.[1];
    if (eventletService !== undefined && requestLineBytes(req) >= MAX_REQUEST_LINE) {
      state.record({
        route: `${eventletService}.request-line-too-long`,
        method,
        path,
        query: [...url.searchParams.entries()],
        headers: {},
        body,
      });
      res.writeHead(414, 'Request URI Too Long', { connection: 'close', 'content-length': 0 });
      res.end();
      return;
    }
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
      send(res, notFound({ method, path }));
      return;
    }
    if (decision.action.kind === 'unauthorized') {
      send(
        res,
        route.service === 'identity' ? keystoneUnauthorized(keystoneRootOf(base, path)) : unauthorized(base),
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
    let adminToken = false;
    if (
      (route.service === 'network' || route.service === 'compute' || route.service === 'image') &&
      route.anonymous !== true
    ) {
      const token = state.validToken(headers['x-auth-token'], route.service);
      if (token === undefined) {
        send(res, unauthorized(base));
        return;
      }
      projectId = token.projectId;
      adminToken = state.fixture.users.find((u) => u.id === token.userId)?.roles.includes('admin') === true;
    }
    send(
      res,
      route.handler({
        method,
        query,
        body,
        headers,
        base,
        rawPath: url.pathname,
        params,
        projectId,
        admin: adminToken,
      }),
      base,
    );
  };

  // Node's own limit (16 KiB of request line and headers, then 431) must not answer first.
  const server: HttpServer = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
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
