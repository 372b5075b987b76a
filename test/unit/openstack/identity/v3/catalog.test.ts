import { describe, expect, it } from 'vitest';
import {
  computeBase,
  findEndpoint,
  identityBase,
  networkBase,
} from '../../../../../src/openstack/identity/v3/catalog.js';
import type { CatalogService } from '../../../../../src/openstack/identity/v3/catalog.js';
import { EndpointNotFoundError } from '../../../../../src/openstack/errors.js';
import { specDocument } from '../../fixtures/spec-world.js';

const catalog = specDocument<{ token: { catalog: CatalogService[] } }>('keystone-token-response.json').token
  .catalog;

describe('findEndpoint', () => {
  it.each([
    ['network', {}, 'https://neutron.openstack.example.com:9696'],
    ['network', { interface: 'internal' as const }, 'http://10.0.0.10:9696'],
    ['NETWORK', { interface: 'admin' as const, region: 'regionone' }, 'http://10.0.0.10:9696'],
    ['compute', {}, 'https://nova.openstack.example.com:8774/v2.1'],
    ['compute', { interface: 'admin' as const }, 'https://nova.openstack.example.com:8774/v2.1'],
    ['identity', { interface: 'internal' as const }, 'http://10.0.0.10:5000'],
  ])('selects %s %j → %s', (type, selector, url) => {
    expect(findEndpoint(catalog, type, selector)).toBe(url);
  });

  it('takes the first service of the type that has endpoints and trims the trailing slash', () => {
    const services: CatalogService[] = [
      { type: 'network', endpoints: [] },
      { type: 'network', endpoints: [{ interface: 'public', url: 'http://b:9696/' }] },
    ];
    expect(findEndpoint(services, 'network')).toBe('http://b:9696');
  });

  it('matches the region by region_id too', () => {
    const services: CatalogService[] = [
      {
        type: 'network',
        endpoints: [
          { interface: 'public', region_id: 'one', url: 'http://one' },
          { interface: 'public', region_id: 'two', url: 'http://two' },
        ],
      },
    ];
    expect(findEndpoint(services, 'network', { region: 'TWO' })).toBe('http://two');
  });

  it('refuses to fall back to another region', () => {
    expect(() => findEndpoint(catalog, 'network', { region: 'RegionTwo' })).toThrow(
      "no 'network' endpoint in region 'RegionTwo' (regions: RegionOne)",
    );
  });

  it('names the available services when the type is missing', () => {
    expect(() => findEndpoint(catalog, 'volumev3')).toThrow(EndpointNotFoundError);
    expect(() => findEndpoint(catalog, 'volumev3')).toThrow('(services: identity, network, compute)');
  });
});

describe('base URL normalisation', () => {
  it.each([
    ['https://k:5000', 'https://k:5000/v3'],
    ['https://k:5000/', 'https://k:5000/v3'],
    ['https://k:5000/v3/', 'https://k:5000/v3'],
    ['https://k/identity', 'https://k/identity/v3'],
  ])('identity %s → %s', (input, out) => expect(identityBase(input)).toBe(out));

  it.each([
    ['https://n:9696', 'https://n:9696/v2.0'],
    ['https://n:9696/', 'https://n:9696/v2.0'],
    ['https://n:9696/v2.0/', 'https://n:9696/v2.0'],
  ])('network %s → %s', (input, out) => expect(networkBase(input)).toBe(out));

  it.each([
    ['https://c:8774/v2.1', 'https://c:8774/v2.1'],
    [
      'https://c:8774/v2.1/7a1c3e5f9b2d4f6a8c0e1b3d5f7a9c2e',
      'https://c:8774/v2.1/7a1c3e5f9b2d4f6a8c0e1b3d5f7a9c2e',
    ],
    ['https://c:8774/', 'https://c:8774/v2.1'],
    ['https://c:8774/v2/', 'https://c:8774/v2'],
  ])('compute %s → %s', (input, out) => expect(computeBase(input)).toBe(out));

  it('rejects empty endpoints instead of producing relative URLs', () => {
    expect(() => networkBase('')).toThrow('Neutron endpoint is empty');
    expect(() => computeBase(' ')).toThrow('Nova endpoint is empty');
    expect(() => identityBase('')).toThrow('Keystone auth URL is empty');
  });
});
