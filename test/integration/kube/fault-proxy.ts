// A fault-injecting HTTP proxy in front of the real API server, for tests of the watch,
// informer and leader-election code. Clients talk plain HTTP to it; it forwards every request
// over TLS with the admin client certificate. It can drop every open connection, refuse
// connections for a while (API server down), freeze the open watch streams (a silent stall), and
// answer the next watch with 410 Gone exactly as the API server does once etcd has compacted
// the requested resourceVersion (a watch ERROR event, reason Expired, code 410). A fresh test
// cluster has nothing compacted (a watch from resourceVersion=1 is replayed, not refused), so the
// 410 has to be produced here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

interface KubeconfigFile {
  clusters: {
    cluster: { server: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean };
  }[];
  users: { user: { 'client-certificate-data'?: string; 'client-key-data'?: string; token?: string } }[];
}

export class FaultProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly upstream: string;
  private readonly agent: Agent;
  private readonly token: string | undefined;
  private down = false;
  private goneNext = 0;
  private readonly streams = new Map<ServerResponse, { stalled: boolean }>();
  private failing: ((method: string, path: string) => number | undefined) | undefined;
  /** Requests answered by `failRequests` instead of the API server. */
  failedRequests = 0;
  /** Watch requests seen (each reconnect is one). */
  watchRequests = 0;
  requests = 0;
  port = 0;

  constructor(kubeconfigPath: string) {
    const file = parse(readFileSync(kubeconfigPath, 'utf8')) as KubeconfigFile;
    const cluster = file.clusters[0]?.cluster;
    const user = file.users[0]?.user;
    if (
      !cluster ||
      !user ||
      (!user.token && (!user['client-certificate-data'] || !user['client-key-data']))
    ) {
      throw new Error(`${kubeconfigPath}: expected one cluster and a client-certificate or token user`);
    }
    const b64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');
    this.upstream = cluster.server;
    this.token = user.token;
    const ca = cluster['certificate-authority-data'];
    this.agent = new Agent({
      connect: {
        ...(ca ? { ca: b64(ca) } : { rejectUnauthorized: false }),
        ...(user['client-certificate-data'] && user['client-key-data']
          ? { cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) }
          : {}),
      },
    });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.forward(req, res));
    this.server.on('connection', (socket) => {
      if (this.down) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** A KubeConfig that talks to the API server through this proxy. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'proxy', server: `http://127.0.0.1:${this.port}`, skipTLSVerify: true }],
      users: [{ name: 'proxy' }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }],
      currentContext: 'proxy',
    });
    return kc;
  }

  /** Destroys every open connection (watches included). */
  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** While down, every connection is refused (closed at once) and open ones are dropped. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) this.dropAll();
  }

  /** Freezes every open watch stream: the connection stays open but no byte flows (new watches flow). */
  stallWatches(): void {
    for (const stream of this.streams.values()) stream.stalled = true;
  }

  /** Watch streams open right now. */
  get openWatches(): number {
    return this.streams.size;
  }

  /**
   * Answers every request for which `status(method, path)` returns a code with that code and a
   * `Status` body, as the API server does for an error; `undefined` forwards everything again.
   */
  failRequests(status: ((method: string, path: string) => number | undefined) | undefined): void {
    this.failing = status;
  }

  /** The next `count` watch requests get 410 Gone (an ERROR event with reason Expired, code 410). */
  expireNextWatch(count = 1): void {
    this.goneNext = count;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    await this.agent.close();
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const url = new URL(req.url ?? '/', this.upstream);
    const isWatch = url.searchParams.get('watch') === 'true';
    const failure = this.failing?.(req.method ?? 'GET', url.pathname);
    if (failure !== undefined) {
      this.failedRequests += 1;
      res.writeHead(failure, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'injected by the test',
          reason: failure === 403 ? 'Forbidden' : 'InternalError',
          code: failure,
        }),
      );
      return;
    }
    if (isWatch) {
      this.watchRequests += 1;
      if (this.goneNext > 0) {
        this.goneNext -= 1;
        const rv = url.searchParams.get('resourceVersion') ?? '';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          `${JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: `too old resource version: ${rv} (${Number(rv) + 1000})`,
              reason: 'Expired',
              code: 410,
            },
          })}\n`,
        );
        return;
      }
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'authorization'].includes(key))
        headers[key] = value;
    }
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    try {
      const upstream = await request(url, {
        method: req.method as 'GET',
        headers,
        dispatcher: this.agent,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(upstream.statusCode, {
        'content-type': String(upstream.headers['content-type'] ?? 'application/json'),
      });
      const state = { stalled: false };
      if (isWatch) this.streams.set(res, state);
      res.on('close', () => {
        this.streams.delete(res);
        upstream.body.destroy();
      });
      for await (const chunk of upstream.body) {
        if (state.stalled) continue;
        res.write(chunk);
      }
      res.end();
    } catch {
      res.destroy();
    }
  }
}
