import { describe, expect, it } from 'vitest';
import { MultiNicSystem, type MultiNicSystemProps } from '../../../src/constructs/system/multinic-system.js';
import { render } from './support.js';

describe('MultiNicSystem validation', () => {
  it.each<[string, MultiNicSystemProps, string]>([
    [
      'name',
      { name: 'Biz' },
      "MultiNicSystem: 'name' must be a DNS-1123 label (lower-case alphanumerics and \"-\", at most 63 characters), got 'Biz'",
    ],
    [
      'name length',
      { name: 'a'.repeat(41) },
      `MultiNicSystem: 'name' must be at most 40 characters (object names are derived from it), got '${'a'.repeat(41)}'`,
    ],
    [
      'protection.mode',
      { name: 'x', protection: { mode: 'strict' as 'off' } },
      "MultiNicSystem: 'protection.mode' must be one of policy, webhook, both, off, got 'strict'",
    ],
    [
      'database.mode',
      { name: 'x', database: { mode: 'sqlite' } as unknown as { mode: 'none' } },
      "MultiNicSystem: 'database.mode' must be one of internal, external, none, got 'sqlite'",
    ],
    [
      'database.host',
      { name: 'x', database: { mode: 'external', host: '', secretName: 's' } },
      "MultiNicSystem: 'database.host' must be a non-empty string, got ''",
    ],
    [
      'database.port',
      { name: 'x', database: { mode: 'external', host: 'h', port: 99999, secretName: 's' } },
      "MultiNicSystem: 'database.port' must be an integer 1..65535, got 99999",
    ],
    [
      'backup without database',
      { name: 'x', database: { mode: 'none' }, backup: {} },
      "MultiNicSystem: 'backup' must be unset when 'database.mode' is 'none', got 'set'",
    ],
    [
      'agent.mode daemonset',
      { name: 'x', agent: { mode: 'daemonset' } },
      "MultiNicSystem: 'agent.mode' must be 'job' (the daemonset mode is not implemented yet), got 'daemonset'",
    ],
    [
      'agentNamespace',
      { name: 'x', agentNamespace: 'A' },
      "MultiNicSystem: 'agentNamespace' must be a DNS-1123 label",
    ],
    [
      'nested construct props',
      { name: 'x', database: { mode: 'internal', storageSize: 'big' } },
      "MariaDb: 'storageSize' must be a Kubernetes quantity",
    ],
  ])('rejects a bad %s', (_what, props, message) => {
    expect(() => render((scope) => new MultiNicSystem(scope, 's', props))).toThrow(message);
  });
});
