import { describe, expect, it } from 'vitest';
import {
  appLabels,
  cidrContains,
  formatDuration,
  isLabelValue,
  MANAGED_BY_LABEL,
  parseDuration,
  parseOpenstackConfigSpec,
  parseOpenstackCredentialsSecret,
  protectionLabels,
  PROTECTED_LABEL,
  toLabelValue,
} from '../../../src/api/index.js';
import { issuesOf } from './helpers.js';

describe('labels', () => {
  it('names the protection labels (docs/architecture.md#protection)', () => {
    expect(PROTECTED_LABEL).toBe('multinic.example.com/protected');
    expect(MANAGED_BY_LABEL).toBe('multinic.example.com/managed-by-operator');
    expect(protectionLabels('biz-network')).toEqual({
      'multinic.example.com/protected': 'true',
      'multinic.example.com/managed-by-operator': 'biz-network',
    });
  });
  it('builds app.kubernetes.io labels in a fixed order', () => {
    expect(
      Object.entries(
        appLabels({ name: 'multinic', instance: 'biz-network', component: 'controller', version: '0.1.0' }),
      ),
    ).toEqual([
      ['app.kubernetes.io/name', 'multinic'],
      ['app.kubernetes.io/instance', 'biz-network'],
      ['app.kubernetes.io/component', 'controller'],
      ['app.kubernetes.io/part-of', 'multinic'],
      ['app.kubernetes.io/version', '0.1.0'],
      ['app.kubernetes.io/managed-by', 'multinic-operator'],
    ]);
  });
  it.each([
    ['biz-worker-1', 'biz-worker-1'],
    ['Biz Worker/1', 'Biz-Worker-1'],
    ['-x-', 'x'],
    ['a'.repeat(70), 'a'.repeat(63)],
  ])('toLabelValue(%j) = %j', (input, output) => {
    expect(toLabelValue(input)).toBe(output);
    expect(isLabelValue(output)).toBe(true);
  });
});

describe('durations and addresses', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['0', 0],
    ['250ms', 250],
  ])('parseDuration(%j) = %d', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it('rejects what Go would reject and formats back', () => {
    expect(() => parseDuration('5 minutes')).toThrow("'5 minutes' is not a duration like 30s, 2m or 1h30m");
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
  it.each([
    ['192.168.50.0/24', '192.168.50.11', true],
    ['192.168.50.11/24', '192.168.50.200', true],
    ['192.168.50.0/24', '192.168.51.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.1/32', '10.0.0.1', true],
  ])('cidrContains(%s, %s) = %s', (cidr, address, inside) => {
    expect(cidrContains(cidr, address)).toBe(inside);
  });
});

describe('credentials Secret', () => {
  it('accepts the standard keys and trims values', () => {
    expect(
      parseOpenstackCredentialsSecret(
        {
          authURL: 'https://keystone.openstack.example.com:5000',
          username: 'admin',
          password: ' S3cr3t-Admin-Pw\n',
          projectName: 'biz',
        },
        'openstack-credentials',
      ),
    ).toEqual({
      authURL: 'https://keystone.openstack.example.com:5000',
      username: 'admin',
      password: 'S3cr3t-Admin-Pw',
      projectName: 'biz',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    });
  });
  it('says which key is missing without echoing the password', () => {
    const issues = issuesOf(() =>
      parseOpenstackCredentialsSecret({ authURL: 'https://k:5000', password: 'pw' }, 'creds'),
    );
    expect(issues).toEqual([{ path: 'data.username', message: 'is required' }]);
    expect(
      issuesOf(() =>
        parseOpenstackCredentialsSecret(
          { authURL: 'https://k:5000', username: 'u', password: 'pw' },
          'creds',
        ),
      ),
    ).toEqual([{ path: 'data.projectID', message: 'projectID or projectName is required' }]);
  });
});

describe('error messages', () => {
  it('never echo a secret value', () => {
    const issues = issuesOf(() =>
      parseOpenstackCredentialsSecret(
        {
          authURL: 'https://k:5000',
          username: 'u',
          password: 'x'.repeat(2),
          projectID: 'p',
          userDomainName: '',
        },
        'creds',
      ),
    );
    expect(issues).toEqual([{ path: 'data.userDomainName', message: 'must not be empty, got ""' }]);
    const long = issuesOf(() => parseOpenstackConfigSpecWithPassword('s'.repeat(2000)));
    expect(long).toEqual([{ path: 'spec.credentials.password', message: 'must be at most 1024 characters' }]);
  });
});

function parseOpenstackConfigSpecWithPassword(password: string): unknown {
  return parseOpenstackConfigSpec({
    subnetName: 'a',
    vmNames: ['vm'],
    credentials: {
      authURL: 'https://k:5000',
      username: 'u',
      password,
      projectID: 'p',
      domainName: 'Default',
    },
  });
}
