import { request as httpsRequest } from 'node:https';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serviceAccountUsername } from '../../../src/operator/admission.js';
import type { AdmissionDecision, AdmissionRequest } from '../../../src/operator/admission.js';
import { generateCertBundle } from '../../../src/operator/certs.js';
import type { CertBundle } from '../../../src/operator/certs.js';
import { ProtectionAccounting } from '../../../src/operator/protection-accounting.js';
import { WEBHOOK_PATH, createWebhookServer } from '../../../src/operator/webhook-server.js';
import type { WebhookServer } from '../../../src/operator/webhook-server.js';
import { registry } from '../../../src/observability/metrics.js';

const OPERATOR = serviceAccountUsername('multinic-system', 'multinic-operator');
const labels = {
  'multinic.example.com/protected': 'true',
  'multinic.example.com/managed-by-operator': 'biz',
};

function review(uid: string, username: string, operation: AdmissionRequest['operation'] = 'DELETE'): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Service' },
      name: 'mariadb',
      namespace: 'multinic-system',
      operation,
      userInfo: { username, groups: ['system:authenticated'] },
      oldObject: { metadata: { name: 'mariadb', namespace: 'multinic-system', labels } },
    },
  };
}

async function post(
  port: number,
  ca: string,
  body: unknown,
  path = WEBHOOK_PATH,
): Promise<{ status: number; json: unknown }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let data = '';
        res.on('data', (chunk: Buffer) => (data += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) as unknown }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('protection webhook server', () => {
  let bundle: CertBundle;
  let server: WebhookServer;
  let port: number;
  const decisions: AdmissionDecision[] = [];
  const events: string[] = [];
  let clock = new Date('2026-11-01T00:00:00Z');
  const accounting = new ProtectionAccounting({
    now: () => clock,
    eventIntervalMs: 10_000,
    emitEvent: (_owner, _reason, message) => events.push(message),
  });

  beforeAll(async () => {
    bundle = await generateCertBundle({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    server = createWebhookServer({
      port: 0,
      host: '127.0.0.1',
      cert: bundle.cert,
      key: bundle.key,
      configFor: () => ({ operatorUsernames: [OPERATOR] }),
      onDecision: (request, decision) => {
        decisions.push(decision);
        accounting.record(request, decision);
      },
    });
    port = await server.listen();
  });
  afterAll(async () => server.close());

  it('denies a protected delete with a 403 status that names the MultiNicOperator', async () => {
    const { status, json } = await post(port, bundle.caCert, review('a1', 'alice'));
    expect(status).toBe(200);
    expect(json).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'a1', allowed: false, status: { code: 403, reason: 'Forbidden' } },
    });
    const message = (json as { response: { status: { message: string } } }).response.status.message;
    expect(message).toContain("MultiNicOperator 'biz'");
  });

  it('allows the operator ServiceAccount', async () => {
    const { json } = await post(port, bundle.caCert, review('a2', OPERATOR));
    expect(json).toMatchObject({ response: { uid: 'a2', allowed: true } });
  });

  it('rejects a body that is not an AdmissionReview', async () => {
    expect((await post(port, bundle.caCert, '{"kind":"Pod"}')).status).toBe(400);
    expect((await post(port, bundle.caCert, 'not json')).status).toBe(400);
    expect((await post(port, bundle.caCert, review('x', 'alice'), '/other')).status).toBe(404);
  });

  it('counts denials per CR, in the metric, and rate-limits Events', async () => {
    accounting.take({ namespace: 'multinic-system', name: 'biz' });
    events.length = 0;
    clock = new Date('2026-11-02T00:00:00Z');
    for (let i = 0; i < 5; i++) await post(port, bundle.caCert, review(`b${i}`, 'mallory'));
    expect(events).toHaveLength(1);
    clock = new Date('2026-11-02T00:00:11Z');
    await post(port, bundle.caCert, review('b9', 'mallory'));
    expect(events).toHaveLength(2);
    expect(events[1]).toContain('4 more denials not reported separately');
    const pending = accounting.take({ namespace: 'multinic-system', name: 'biz' });
    expect(pending).toEqual({ count: 6, last: clock });
    expect(accounting.take({ namespace: 'multinic-system', name: 'biz' })).toBeUndefined();
    const metric = await registry.getSingleMetricAsString('multinic_operator_protection_events_total');
    expect(metric).toMatch(
      /multinic_operator_protection_events_total\{kind="Service",operation="DELETE",reason="Denied"\} \d+/,
    );
  });

  it('does not count dry-run denials in status', async () => {
    const body = review('d1', 'alice') as { request: Record<string, unknown> };
    body.request['dryRun'] = true;
    const { json } = await post(port, bundle.caCert, body);
    expect(json).toMatchObject({ response: { allowed: false } });
    expect(accounting.take({ namespace: 'multinic-system', name: 'biz' })).toBeUndefined();
  });

  it('serves a rotated certificate to new connections', async () => {
    const next = await generateCertBundle({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    server.setCertificate(next.cert, next.key);
    const { json } = await post(port, next.caCert, review('r1', OPERATOR));
    expect(json).toMatchObject({ response: { allowed: true } });
    await expect(post(port, bundle.caCert, review('r2', OPERATOR))).rejects.toThrow();
  });
});
