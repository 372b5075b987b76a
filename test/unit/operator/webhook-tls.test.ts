import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../../../src/kube/types.js';
import {
  PROTECTION_WEBHOOK_NAME,
  SCALE_WEBHOOK_NAME,
  withWebhookClientConfig,
} from '../../../src/operator/webhook-tls.js';

const config: KubeObject = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: 'multinic-protection' },
  webhooks: [
    {
      name: PROTECTION_WEBHOOK_NAME,
      clientConfig: {
        service: {
          name: 'multinic-operator-webhook',
          namespace: 'multinic-system',
          path: '/validate-multinic-protection',
        },
      },
    },
    { name: 'someone-else.example.com', clientConfig: { url: 'https://elsewhere' } },
  ],
};

describe('withWebhookClientConfig', () => {
  it('sets the CA bundle of our webhook only, keeping the Service reference', () => {
    const next = withWebhookClientConfig(config, 'PEM', undefined);
    const [ours, theirs] = next['webhooks'] as Array<{ clientConfig: Record<string, unknown> }>;
    expect((next['webhooks'] as unknown[]).length).toBe(3);
    expect(ours?.clientConfig).toEqual({
      service: {
        name: 'multinic-operator-webhook',
        namespace: 'multinic-system',
        path: '/validate-multinic-protection',
      },
      caBundle: Buffer.from('PEM').toString('base64'),
    });
    expect(theirs?.clientConfig).toEqual({ url: 'https://elsewhere' });
  });

  it('replaces the Service with a URL for out-of-cluster runs', () => {
    const next = withWebhookClientConfig(
      config,
      'PEM',
      'https://127.0.0.1:9443/validate-multinic-protection',
    );
    const [ours] = next['webhooks'] as Array<{ clientConfig: Record<string, unknown> }>;
    expect(ours?.clientConfig).toEqual({
      url: 'https://127.0.0.1:9443/validate-multinic-protection',
      caBundle: Buffer.from('PEM').toString('base64'),
    });
  });

  it('adds the scale companion webhook (no objectSelector, failurePolicy Ignore) once', () => {
    const next = withWebhookClientConfig(config, 'PEM', 'https://127.0.0.1:9443/x');
    const hooks = next['webhooks'] as Array<Record<string, unknown>>;
    const scale = hooks.find((hook) => hook['name'] === SCALE_WEBHOOK_NAME);
    expect(scale).toMatchObject({
      failurePolicy: 'Ignore',
      rules: [
        {
          apiGroups: ['apps'],
          operations: ['UPDATE'],
          resources: ['deployments/scale', 'statefulsets/scale'],
        },
      ],
      clientConfig: { url: 'https://127.0.0.1:9443/x', caBundle: Buffer.from('PEM').toString('base64') },
    });
    expect(scale?.['objectSelector']).toBeUndefined();
    const again = withWebhookClientConfig(next, 'PEM', 'https://127.0.0.1:9443/x');
    expect((again['webhooks'] as unknown[]).length).toBe(3);
  });

  it('leaves other objects untouched', () => {
    const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } };
    expect(withWebhookClientConfig(deployment, 'PEM', undefined)).toBe(deployment);
  });
});
