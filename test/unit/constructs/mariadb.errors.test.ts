import { describe, expect, it } from 'vitest';
import { MariaDb, type MariaDbProps } from '../../../src/constructs/database/mariadb.js';
import { render } from './support.js';

const build = (props: MariaDbProps) => () => render((scope) => new MariaDb(scope, 'db', props));

describe('MariaDb validation', () => {
  it.each<[string, MariaDbProps, string]>([
    [
      'image',
      { image: 'mariadb' },
      "MariaDb: 'image' must be an image reference with a tag or digest, e.g. 'registry/name:1.2.3', got 'mariadb'",
    ],
    [
      'storageSize',
      { storageSize: 'ten' },
      "MariaDb: 'storageSize' must be a Kubernetes quantity such as '500m', '1', '256Mi' or '10Gi', got 'ten'",
    ],
    [
      'service.type',
      { service: { type: 'External' as 'ClusterIP' } },
      "MariaDb: 'service.type' must be one of ClusterIP, NodePort, LoadBalancer, got 'External'",
    ],
    [
      'service.port',
      { service: { port: 70000 } },
      "MariaDb: 'service.port' must be an integer 1..65535, got 70000",
    ],
    [
      'service.nodePort without NodePort',
      { service: { nodePort: 30305 } },
      "MariaDb: 'service.nodePort' must be unset unless 'service.type' is NodePort, got 30305",
    ],
    [
      'service.nodePort range',
      { service: { type: 'NodePort', nodePort: 80 } },
      "MariaDb: 'service.nodePort' must be an integer 30000..32767, got 80",
    ],
    [
      'user root',
      { user: 'root' },
      "MariaDb: 'user' must be an application user other than 'root', got 'root'",
    ],
    [
      'credentialsSecretName',
      { credentialsSecretName: 'Bad_Name' },
      "MariaDb: 'credentialsSecretName' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'Bad_Name'",
    ],
    [
      'credentials',
      { credentials: { rootPassword: '', password: 'p' } },
      "MariaDb: 'credentials.rootPassword' must be a non-empty string, got ''",
    ],
    [
      'resources',
      { resources: { limits: { memory: 'lots' } } },
      "MariaDb: 'resources.limits.memory' must be a Kubernetes quantity such as '500m', '1', '256Mi' or '10Gi', got 'lots'",
    ],
    [
      'instance',
      { instance: 'Biz' },
      "MariaDb: 'instance' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'Biz'",
    ],
  ])('rejects a bad %s with a message naming prop, value and what is allowed', (_what, props, message) => {
    expect(build(props)).toThrow(message);
  });
});
