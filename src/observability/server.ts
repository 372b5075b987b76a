// The health/ready/metrics HTTP server every long-running role starts.
//
// API:
//   const server = await startHealthServer({ port?, host?, liveness?, readiness?, logger? })
//     liveness / readiness: Record<name, () => boolean | string | Promise<boolean | string>>
//        true = ok; false or a string (the reason) = failing; a thrown error = failing with its message.
//   GET /healthz  -> 200 'ok' | 503 with one line per failing check     (liveness)
//   GET /readyz   -> 200 'ok' | 503 ...                                 (readiness; includes liveness checks)
//   GET /metrics  -> the shared prom-client registry (text format)
//   ?verbose      -> one line per check, passing or not
//   server.port (the bound port, useful with port 0); server.addReadiness(name, check); await server.close()
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from './logger.js';
import { registry } from './metrics.js';

export type HealthCheck = () => boolean | string | Promise<boolean | string>;

export interface HealthServerOptions {
  /** @default 8082 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  liveness?: Record<string, HealthCheck>;
  readiness?: Record<string, HealthCheck>;
  /** Per-check timeout. @default 2_000 */
  checkTimeoutMs?: number;
  logger?: Logger;
}

export interface HealthServer {
  readonly port: number;
  addLiveness(name: string, check: HealthCheck): void;
  addReadiness(name: string, check: HealthCheck): void;
  close(): Promise<void>;
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<string | undefined> {
  try {
    const result = await Promise.race([
      Promise.resolve().then(check),
      new Promise<string>((resolve) =>
        setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs).unref(),
      ),
    ]);
    if (result === true) return undefined;
    return result === false ? 'failed' : result;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export async function startHealthServer(options: HealthServerOptions = {}): Promise<HealthServer> {
  const liveness = new Map(Object.entries(options.liveness ?? {}));
  const readiness = new Map(Object.entries(options.readiness ?? {}));
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.checkTimeoutMs ?? 2_000;

  const report = async (
    res: ServerResponse,
    checks: Map<string, HealthCheck>,
    verbose: boolean,
  ): Promise<void> => {
    const results = await Promise.all(
      [...checks].map(async ([name, check]) => ({ name, failure: await runCheck(check, timeoutMs) })),
    );
    const failing = results.filter((result) => result.failure !== undefined);
    const lines = (verbose ? results : failing).map((result) =>
      result.failure === undefined ? `[+] ${result.name} ok` : `[-] ${result.name} failed: ${result.failure}`,
    );
    res.statusCode = failing.length === 0 ? 200 : 503;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(lines.length > 0 ? `${lines.join('\n')}\n${failing.length === 0 ? 'ok' : 'not ok'}\n` : 'ok\n');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const verbose = url.searchParams.has('verbose');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.end();
      return;
    }
    switch (url.pathname) {
      case '/healthz':
      case '/livez':
        await report(res, liveness, verbose);
        return;
      case '/readyz':
        await report(res, new Map([...liveness, ...readiness]), verbose);
        return;
      case '/metrics':
        res.setHeader('content-type', registry.contentType);
        res.end(await registry.metrics());
        return;
      default:
        res.statusCode = 404;
        res.end('not found\n');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error('health server request failed', { error: err });
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8082, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('health server listening', { port });
  return {
    port,
    addLiveness: (name, check) => liveness.set(name, check),
    addReadiness: (name, check) => readiness.set(name, check),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
