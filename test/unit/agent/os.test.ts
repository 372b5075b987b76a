import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseBackend,
  detectBackend,
  parseOsRelease,
  UnknownOsError,
  type ToolPresence,
} from '../../../src/agent/os.js';
import { RootFs } from '../../../src/agent/system.js';

const none: ToolPresence = { netplan: false, networkManager: false, networkScripts: false, wicked: false };
const os = (text: string) => parseOsRelease(text);

describe('chooseBackend', () => {
  it.each([
    ['Ubuntu 24.04', 'ID=ubuntu\nVERSION_ID="24.04"', { ...none, netplan: true }, 'netplan'],
    ['Debian with netplan', 'ID=debian\nVERSION_ID="12"', { ...none, netplan: true }, 'netplan'],
    [
      'RHEL 9',
      'ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"',
      { ...none, networkManager: true },
      'networkmanager',
    ],
    [
      'Rocky 8',
      'ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"',
      { ...none, networkManager: true },
      'networkmanager',
    ],
    ['AlmaLinux 9', 'ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"', none, 'networkmanager'],
    [
      'CentOS 7',
      'ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"',
      { ...none, networkScripts: true },
      'ifcfg',
    ],
    [
      'RHEL 8 without NetworkManager',
      'ID="rhel"\nVERSION_ID="8.6"',
      { ...none, networkScripts: true },
      'ifcfg',
    ],
    ['SLES 15', 'ID="sles"\nID_LIKE="suse"\nVERSION_ID="15.5"', { ...none, wicked: true }, 'wicked'],
    [
      'openSUSE Leap',
      'ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"',
      { ...none, wicked: true },
      'wicked',
    ],
  ])('%s → %s', (_title, text, tools, backend) => {
    expect(chooseBackend(os(text), tools)).toBe(backend);
  });

  it.each([
    [
      'Alpine',
      'ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"',
      none,
      /unsupported node OS 'Alpine Linux v3.20'/,
    ],
    ['Debian without netplan', 'ID=debian', none, /unsupported node OS/],
    ['Ubuntu without netplan', 'ID=ubuntu\nPRETTY_NAME="Ubuntu 24.04"', none, /netplan is not installed/],
    ['empty os-release', '', none, /an OS without ID/],
  ])('%s is an error, never a fallback', (_title, text, tools, message) => {
    expect(() => chooseBackend(os(text), tools)).toThrow(UnknownOsError);
    expect(() => chooseBackend(os(text), tools)).toThrow(message);
  });
});

describe('detectBackend reads the root it is given', () => {
  const root = mkdtempSync(join(tmpdir(), 'multinic-os-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds RHEL 9 from /etc/os-release and the NetworkManager binary under the root', async () => {
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'usr/sbin'), { recursive: true });
    writeFileSync(
      join(root, 'etc/os-release'),
      'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n',
    );
    writeFileSync(join(root, 'usr/sbin/NetworkManager'), '');
    await expect(detectBackend(new RootFs(root))).resolves.toMatchObject({
      backend: 'networkmanager',
      os: { id: 'rhel', versionId: '9.4' },
    });
  });

  it('fails clearly when the root has no os-release', async () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    await expect(detectBackend(new RootFs(empty))).rejects.toThrow(/no \/etc\/os-release/);
  });
});
