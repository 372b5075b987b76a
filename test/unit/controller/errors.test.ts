import { describe, expect, it } from 'vitest';
import { SyncError, classify, isConfigReason } from '../../../src/controller/errors.js';
import {
  AuthenticationError,
  ContrabassError,
  EndpointNotFoundError,
  OpenStackConnectionError,
  OpenStackHttpError,
  SubnetNotFoundError,
  SubnetNotUniqueError,
} from '../../../src/openstack/errors.js';

const http = (service: string, operation: string, actual = 500): OpenStackHttpError =>
  new OpenStackHttpError({
    method: 'GET',
    url: 'http://x',
    expected: [200],
    actual,
    body: '',
    service,
    operation,
  });

describe('classify', () => {
  const table: Array<[string, unknown, string]> = [
    ['Contrabass', new ContrabassError('contrabass: unexpected status 500'), 'ContrabassError'],
    ['bad Keystone credentials', new AuthenticationError('401'), 'KeystoneError'],
    [
      'Keystone down',
      new OpenStackConnectionError('POST', 'http://k', 'identity', 'ECONNREFUSED'),
      'KeystoneError',
    ],
    ['unknown subnet', new SubnetNotFoundError('x'), 'SubnetNotFound'],
    ['duplicate subnet name', new SubnetNotUniqueError('x', ['a', 'b']), 'SubnetNotUnique'],
    [
      'no network endpoint',
      new EndpointNotFoundError("no 'network' service in the catalog"),
      'NeutronEndpointError',
    ],
    ['no compute endpoint', new EndpointNotFoundError("no 'compute' service in the catalog"), 'NovaError'],
    ['port list 5xx', http('network', 'ports.list'), 'NeutronPortError'],
    ['subnet list 5xx', http('network', 'subnets.list'), 'NeutronSubnetError'],
    ['nova 5xx', http('compute', 'servers.get'), 'NovaError'],
    [
      'MariaDB down',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'DatabaseError',
    ],
  ];
  for (const [title, err, reason] of table) {
    it(`${title} -> ${reason}`, () => expect(classify(err, 'discovery').reason).toBe(reason));
  }
  it('keeps a SyncError as it is and falls back by step', () => {
    const err = new SyncError('ViolaPostError', 'viola: 500');
    expect(classify(err, 'delivery')).toBe(err);
    expect(classify(new Error('x'), 'delivery').reason).toBe('DeliveryError');
    expect(classify(new Error('x'), 'database').reason).toBe('DatabaseError');
  });
  it('config reasons wait for a spec change', () => {
    expect(isConfigReason('ConfigError')).toBe(true);
    expect(isConfigReason('KeystoneError')).toBe(false);
  });
});
