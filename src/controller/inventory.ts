// The inventory / interfaces API (served from MariaDB, so any number of
// replicas answer the same) and the reconcile webhook trigger on the same port.
//
//   GET  /healthz                                          200 ok
//   GET  /openapi.yaml, /docs                              the routes below, described
//   GET  /v1/interfaces/providers                          providers sorted by id, nodes by name
//   GET  /v1/interfaces/node-configs?providerId=           400 'providerId required'
//   GET  /v1/interfaces/node-configs/by-instance/{id}[?providerId=]   404 'not found'
//   GET  /v1/inventory/node-configs[?providerId=&nodeName=&instanceId=]   (the earlier inventory routes)
//   GET  /v1/inventory/node-configs/{nodeName}[?providerId=]           404 'not found'
//   POST /v1/reconcile[/{namespace}[/{name}]]              webhook trigger, `Authorization: Bearer <token>`
// Errors are plain text; other methods 405; database down 503 'inventory store not available'.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Database } from '../db/pool.js';
import type { Repositories } from '../db/repositories.js';
import type { InterfaceRow } from '../db/interfaces.js';
import type { NodeRow } from '../db/nodes.js';
import { counter } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';

const requests = counter<'route' | 'code'>({
  name: 'multinic_inventory_requests_total',
  help: 'Inventory API requests by route and status code',
  labelNames: ['route', 'code'],
});

/** One interface as the inventory (and Viola) shows it; `id` is always present. */
export interface InventoryInterface {
  id: number;
  portId: string;
  name: string;
  macAddress: string;
  address: string;
  cidr: string;
  mtu: number;
  deviceId?: string;
  networkId?: string;
  subnetId: string;
}

export interface InventoryRecord {
  providerId: string;
  nodeName: string;
  instanceId: string;
  config: { nodeName: string; instanceId: string; interfaces: InventoryInterface[] };
  lastConfigHash: string;
  updatedAt: string;
}

export interface ProviderSummary {
  providerId: string;
  nodeCount: number;
  updatedAt: string;
  nodes: Array<{
    providerId: string;
    nodeName: string;
    instanceId: string;
    interfaceCount: number;
    updatedAt: string;
  }>;
}

function iso(date: Date | null): string {
  return (date ?? new Date(0)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function updatedAt(node: NodeRow): Date | null {
  const times = [node.deliveredAt, node.modifiedAt].filter((d): d is Date => d !== null);
  return times.length === 0 ? null : new Date(Math.max(...times.map((d) => d.getTime())));
}

/** Inventory records from rows (pure): one per node, interfaces by slot. */
export function buildRecords(
  nodes: readonly NodeRow[],
  interfaces: readonly InterfaceRow[],
): InventoryRecord[] {
  const byNode = new Map<string, InterfaceRow[]>();
  for (const row of interfaces) {
    if (row.nodeId === null || row.deletedAt !== null) continue;
    let list = byNode.get(row.nodeId);
    if (list === undefined) byNode.set(row.nodeId, (list = []));
    list.push(row);
  }
  return nodes.map((node) => ({
    providerId: node.providerId ?? '',
    nodeName: node.nodeName,
    instanceId: node.nodeId,
    config: {
      nodeName: node.nodeName,
      instanceId: node.nodeId,
      interfaces: (byNode.get(node.nodeId) ?? [])
        .sort((a, b) => (a.interfaceIndex ?? 99) - (b.interfaceIndex ?? 99))
        .map((row) => ({
          id: row.interfaceIndex ?? 0,
          portId: row.portId,
          name: row.interfaceName ?? `multinic${row.interfaceIndex ?? 0}`,
          macAddress: row.macAddress,
          address: row.address ?? '',
          cidr: row.cidr ?? '',
          mtu: row.mtu ?? 1500,
          deviceId: node.nodeId,
          ...(row.networkId !== null ? { networkId: row.networkId } : {}),
          subnetId: row.subnetId,
        })),
    },
    lastConfigHash: node.deliveredHash ?? '',
    updatedAt: iso(updatedAt(node)),
  }));
}

/** `GET /v1/interfaces/providers` body (pure). */
export function buildProviders(nodes: readonly NodeRow[]): { providers: ProviderSummary[] } {
  const groups = new Map<string, NodeRow[]>();
  for (const node of nodes) {
    if (node.providerId === null || node.providerId === '' || node.deletedAt !== null) continue;
    let list = groups.get(node.providerId);
    if (list === undefined) groups.set(node.providerId, (list = []));
    list.push(node);
  }
  const providers = [...groups]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([providerId, list]) => {
      const sorted = [...list].sort((a, b) =>
        a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0,
      );
      const latest = Math.max(...sorted.map((n) => updatedAt(n)?.getTime() ?? 0));
      return {
        providerId,
        nodeCount: sorted.length,
        updatedAt: iso(new Date(latest)),
        nodes: sorted.map((n) => ({
          providerId,
          nodeName: n.nodeName,
          instanceId: n.nodeId,
          interfaceCount: n.interfaceCount,
          updatedAt: iso(updatedAt(n)),
        })),
      };
    });
  return { providers };
}

export interface InventoryServerOptions {
  db: Database;
  repositories: Repositories;
  /** @default 18081 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /** Bearer token of the webhook trigger (read per request, so a rotated Secret applies); undefined disables it. */
  triggerToken?: () => Promise<string | undefined> | string | undefined;
  /** Called by the webhook trigger: returns the config keys it queued. */
  onTrigger?: (namespace?: string, name?: string) => string[];
  logger?: Logger;
}

export interface InventoryServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const OPENAPI = `openapi: 3.0.3
info: {title: MultiNic inventory API, version: v1}
paths:
  /v1/interfaces/providers:
    get: {summary: Providers with their nodes, responses: {'200': {description: '{providers: [{providerId, nodeCount, updatedAt, nodes[]}]}'}}}
  /v1/interfaces/node-configs:
    get:
      summary: Node config records of one provider
      parameters: [{name: providerId, in: query, required: true, schema: {type: string}}]
      responses: {'200': {description: array of records}, '400': {description: providerId required}}
  /v1/interfaces/node-configs/by-instance/{instanceId}:
    get:
      parameters: [{name: instanceId, in: path, required: true, schema: {type: string}}, {name: providerId, in: query, schema: {type: string}}]
      responses: {'200': {description: array of records}, '404': {description: not found}}
  /v1/inventory/node-configs:
    get:
      parameters: [{name: providerId, in: query, schema: {type: string}}, {name: nodeName, in: query, schema: {type: string}}, {name: instanceId, in: query, schema: {type: string}}]
      responses: {'200': {description: array of records}}
  /v1/inventory/node-configs/{nodeName}:
    get:
      parameters: [{name: nodeName, in: path, required: true, schema: {type: string}}, {name: providerId, in: query, schema: {type: string}}]
      responses: {'200': {description: array of records}, '404': {description: not found}}
  /v1/reconcile/{namespace}/{name}:
    post:
      summary: Webhook trigger (Authorization Bearer token); /v1/reconcile and /v1/reconcile/{namespace} trigger all configs (of a namespace)
      responses: {'202': {description: '{triggered: [keys]}'}, '401': {description: unauthorized}}
`;

const DOCS = `<!doctype html><html><head><meta charset="utf-8"><title>MultiNic inventory API</title></head>
<body><h1>MultiNic inventory API</h1><p>OpenAPI document: <a href="/openapi.yaml">/openapi.yaml</a></p>
<ul><li>GET /v1/interfaces/providers</li><li>GET /v1/interfaces/node-configs?providerId=</li>
<li>GET /v1/interfaces/node-configs/by-instance/{instanceId}?providerId=</li>
<li>GET /v1/inventory/node-configs?providerId=&amp;nodeName=&amp;instanceId=</li>
<li>GET /v1/inventory/node-configs/{nodeName}?providerId=</li>
<li>POST /v1/reconcile[/{namespace}[/{name}]] (Bearer token)</li></ul></body></html>`;

function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export async function startInventoryServer(options: InventoryServerOptions): Promise<InventoryServer> {
  const logger = options.logger ?? silentLogger;
  const { db, repositories } = options;

  const records = async (filter: {
    providerId?: string;
    nodeName?: string;
    nodeId?: string;
  }): Promise<InventoryRecord[]> => {
    try {
      const nodes = await repositories.nodes.list(db, filter);
      if (nodes.length === 0) return [];
      const rows =
        nodes.length === 1
          ? await repositories.interfaces.list(db, { nodeId: (nodes[0] as NodeRow).nodeId })
          : await repositories.interfaces.list(db, {});
      return buildRecords(nodes, rows);
    } catch (err) {
      logger.warn('inventory read failed', { error: err });
      throw new HttpError(503, 'inventory store not available');
    }
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ route: string; status: number }> => {
    const url = new URL(req.url ?? '/', 'http://inventory');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = (name: string): string | undefined => {
      const value = url.searchParams.get(name);
      return value === null || value === '' ? undefined : value;
    };
    const send = (status: number, body: unknown, type = 'application/json'): void => {
      const text = type === 'application/json' ? JSON.stringify(body) : String(body);
      res.writeHead(status, {
        'content-type': type === 'application/json' ? type : `${type}; charset=utf-8`,
      });
      res.end(text);
    };
    if (path.startsWith('/v1/reconcile')) {
      if (req.method !== 'POST') throw new HttpError(405, 'method not allowed');
      const expected = await options.triggerToken?.();
      if (expected === undefined || expected === '' || options.onTrigger === undefined) {
        throw new HttpError(503, 'webhook trigger not configured');
      }
      const header = req.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
      if (given === '' || !sameToken(given, expected)) throw new HttpError(401, 'unauthorized');
      const parts = path.split('/').slice(3).map(decodeURIComponent);
      const triggered = options.onTrigger(parts[0], parts[1]);
      if (parts[1] !== undefined && triggered.length === 0) throw new HttpError(404, 'not found');
      send(202, { triggered });
      return { route: 'reconcile', status: 202 };
    }
    if (req.method !== 'GET') throw new HttpError(405, 'method not allowed');
    if (path === '/healthz') {
      send(200, 'ok', 'text/plain');
      return { route: 'healthz', status: 200 };
    }
    if (path === '/openapi.yaml') {
      send(200, OPENAPI, 'application/yaml');
      return { route: 'openapi', status: 200 };
    }
    if (path === '/docs') {
      send(200, DOCS, 'text/html');
      return { route: 'docs', status: 200 };
    }
    if (path === '/v1/interfaces/providers') {
      let nodes: NodeRow[];
      try {
        nodes = await repositories.nodes.list(db);
      } catch (err) {
        logger.warn('inventory read failed', { error: err });
        throw new HttpError(503, 'inventory store not available');
      }
      send(200, buildProviders(nodes));
      return { route: 'providers', status: 200 };
    }
    if (path === '/v1/interfaces/node-configs') {
      const providerId = q('providerId');
      if (providerId === undefined) throw new HttpError(400, 'providerId required');
      send(200, await records({ providerId }));
      return { route: 'node-configs', status: 200 };
    }
    if (
      path === '/v1/interfaces/node-configs/by-instance' ||
      path.startsWith('/v1/interfaces/node-configs/by-instance/')
    ) {
      const instanceId = decodeURIComponent(path.slice('/v1/interfaces/node-configs/by-instance/'.length));
      if (instanceId === '' || path === '/v1/interfaces/node-configs/by-instance')
        throw new HttpError(400, 'instanceId required');
      const providerId = q('providerId');
      const found = await records({
        nodeId: instanceId,
        ...(providerId !== undefined ? { providerId } : {}),
      });
      if (found.length === 0) throw new HttpError(404, 'not found');
      send(200, found);
      return { route: 'by-instance', status: 200 };
    }
    if (path === '/v1/inventory/node-configs') {
      const filter: { providerId?: string; nodeName?: string; nodeId?: string } = {};
      const providerId = q('providerId');
      const nodeName = q('nodeName');
      const instanceId = q('instanceId');
      if (providerId !== undefined) filter.providerId = providerId;
      if (nodeName !== undefined) filter.nodeName = nodeName;
      if (instanceId !== undefined) filter.nodeId = instanceId;
      send(200, await records(filter));
      return { route: 'inventory', status: 200 };
    }
    if (path.startsWith('/v1/inventory/node-configs/')) {
      const nodeName = decodeURIComponent(path.slice('/v1/inventory/node-configs/'.length));
      if (nodeName === '') throw new HttpError(400, 'nodeName required');
      const providerId = q('providerId');
      const found = await records({ nodeName, ...(providerId !== undefined ? { providerId } : {}) });
      if (found.length === 0) throw new HttpError(404, 'not found');
      send(200, found);
      return { route: 'inventory-node', status: 200 };
    }
    throw new HttpError(404, 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res)
      .then(({ route, status }) => requests.inc({ route, code: String(status) }))
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const message = err instanceof HttpError ? err.message : 'internal error';
        if (!(err instanceof HttpError)) logger.error('inventory request failed', { error: err });
        requests.inc({ route: 'error', code: String(status) });
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(message);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 18081, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
