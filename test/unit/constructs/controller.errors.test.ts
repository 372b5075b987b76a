import { describe, expect, it } from 'vitest';
import {
  MultiNicController,
  type MultiNicControllerProps,
} from '../../../src/constructs/controller/multinic-controller.js';
import { render } from './support.js';

const build = (props: MultiNicControllerProps) => () =>
  render((scope) => new MultiNicController(scope, 'c', props));
const db = { host: 'h', secretName: 's' };

describe('MultiNicController validation', () => {
  it.each<[string, MultiNicControllerProps, string]>([
    ['replicas', { replicas: 0 }, "MultiNicController: 'replicas' must be an integer 1..10, got 0"],
    [
      'allowedEndpoints',
      { allowedEndpoints: ['https://keystone.example.com/v3'] },
      "MultiNicController: 'allowedEndpoints' must be hosts like 'keystone.example.com', 'host:5000' or '*.example.com', got 'https://keystone.example.com/v3'",
    ],
    [
      'image',
      { image: 'multinic' },
      "MultiNicController: 'image' must be an image reference with a tag or digest, e.g. 'registry/name:1.2.3', got 'multinic'",
    ],
    [
      'imagePullPolicy',
      { imagePullPolicy: 'Sometimes' as 'Always' },
      "MultiNicController: 'imagePullPolicy' must be one of Always, IfNotPresent, Never, got 'Sometimes'",
    ],
    [
      'namespace',
      { namespace: 'My NS' },
      "MultiNicController: 'namespace' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'My NS'",
    ],
    [
      'database.host',
      { database: { ...db, host: ' ' } },
      "MultiNicController: 'database.host' must be a non-empty string, got ' '",
    ],
    [
      'database.port',
      { database: { ...db, port: 0 } },
      "MultiNicController: 'database.port' must be an integer 1..65535, got 0",
    ],
    [
      'database.secretName',
      { database: { ...db, secretName: 'A' } },
      "MultiNicController: 'database.secretName' must be a DNS-1123 subdomain",
    ],
    [
      'env key',
      { env: { 'BAD-KEY': 'x' } },
      "MultiNicController: 'env' must be keys that are environment variable names ([A-Za-z_][A-Za-z0-9_]*), got 'BAD-KEY'",
    ],
    [
      'resources',
      { resources: { requests: { cpu: '-1' } } },
      "MultiNicController: 'resources.requests.cpu' must be a Kubernetes quantity",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(build(props)).toThrow(message);
  });
});
