// The protection webhook: HTTPS, AdmissionReview v1, one path. Every answer comes from the pure
// `decide()`; the server itself only parses, times and reports. The serving certificate can be
// swapped while running (rotation) through `setCertificate`.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { counter, histogram } from '../observability/metrics.js';
import { silentLogger } from '../observability/logger.js';
import type { Logger } from '../observability/logger.js';
import { decide } from './admission.js';
import type { AdmissionConfig, AdmissionDecision, AdmissionRequest } from './admission.js';

export const WEBHOOK_PATH = '/validate-multinic-protection';
const MAX_BODY_BYTES = 3 * 1024 * 1024;

const admissionDuration = histogram<'allowed'>({
  name: 'multinic_operator_admission_duration_seconds',
  help: 'Time the protection webhook took to answer one AdmissionReview',
  labelNames: ['allowed'],
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
});
const admissionRequests = counter<'allowed' | 'reason'>({
  name: 'multinic_operator_admission_requests_total',
  help: 'AdmissionReviews answered by the protection webhook',
  labelNames: ['allowed', 'reason'],
});

export interface WebhookServerOptions {
  /** TCP port. @default 9443 */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  cert: string;
  key: string;
  /** Rule configuration for one request (operator identities, break-glass groups of its CR). */
  configFor: (request: AdmissionRequest) => AdmissionConfig;
  /** Called after every decision (accounting of denials). Must not throw. */
  onDecision?: (request: AdmissionRequest, decision: AdmissionDecision) => void;
  /** @default silentLogger */
  logger?: Logger;
}

export interface WebhookServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
  /** Serves new connections with a new certificate (rotation). */
  setCertificate(cert: string, key: string): void;
}

interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request?: AdmissionRequest;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The AdmissionReview v1 response for one decision. */
export function admissionResponse(uid: string, decision: AdmissionDecision): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: decision.allowed
      ? { uid, allowed: true }
      : { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: decision.message } },
  };
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createWebhookServer(options: WebhookServerOptions): WebhookServer {
  const logger = options.logger ?? silentLogger;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (url.pathname !== WEBHOOK_PATH) return reply(res, 404, { error: `no handler for ${url.pathname}` });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST an AdmissionReview' });
    const started = process.hrtime.bigint();
    const text = await readBody(req);
    if (text === undefined)
      return reply(res, 413, { error: `AdmissionReview larger than ${MAX_BODY_BYTES} bytes` });
    let review: AdmissionReview;
    try {
      review = JSON.parse(text) as AdmissionReview;
    } catch {
      return reply(res, 400, { error: 'body is not JSON' });
    }
    const request = review.request;
    if (review.kind !== 'AdmissionReview' || request === undefined || typeof request.uid !== 'string') {
      return reply(res, 400, { error: 'expected an admission.k8s.io/v1 AdmissionReview with a request' });
    }
    const decision = decide(request, options.configFor(request));
    reply(res, 200, admissionResponse(request.uid, decision));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    admissionDuration.observe({ allowed: String(decision.allowed) }, seconds);
    admissionRequests.inc({ allowed: String(decision.allowed), reason: decision.reason });
    if (!decision.allowed) {
      logger.info('protection: denied', {
        kind: request.kind.kind,
        namespace: request.namespace,
        name: request.name,
        operation: request.operation,
        user: request.userInfo.username,
      });
    }
    try {
      options.onDecision?.(request, decision);
    } catch (error) {
      logger.error('protection: accounting failed', { error });
    }
  };

  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('protection: handler failed', { error });
      if (!res.headersSent) reply(res, 500, { error: 'internal error' });
    });
  });
  // The API server's webhook timeout is short; idle keep-alive sockets must not pile up.
  server.keepAliveTimeout = 30_000;

  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 9443, options.host ?? '0.0.0.0', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return (server.address() as AddressInfo).port;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setCertificate(cert, key) {
      server.setSecureContext({ cert, key });
    },
  };
}
