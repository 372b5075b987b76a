// Which persistence backend a node uses (docs/architecture.md#node-operating-systems): read `/etc/os-release`
// under the root and look for the tools. An unknown OS is an error, never a silent fallback.
import type { RootFs } from './system.js';

export const BackendId = {
  netplan: 'netplan',
  networkManager: 'networkmanager',
  ifcfg: 'ifcfg',
  wicked: 'wicked',
} as const;
export type BackendId = (typeof BackendId)[keyof typeof BackendId];

export const BACKEND_IDS: readonly BackendId[] = Object.values(BackendId);

export class UnknownOsError extends Error {
  override readonly name = 'UnknownOsError';
}

export interface OsRelease {
  readonly id: string;
  readonly idLike: readonly string[];
  readonly versionId: string;
  readonly prettyName: string;
}

/** Parses os-release(5) text: `KEY=value` lines, values optionally quoted. */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match === null) continue;
    const raw = (match[2] ?? '').trim();
    values.set(match[1] ?? '', raw.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return {
    id: (values.get('ID') ?? '').toLowerCase(),
    idLike: (values.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/).filter(Boolean),
    versionId: values.get('VERSION_ID') ?? '',
    prettyName: values.get('PRETTY_NAME') ?? values.get('NAME') ?? '',
  };
}

/** Tools that decide between backends of one family, looked up under the root. */
export interface ToolPresence {
  readonly netplan: boolean;
  readonly networkManager: boolean;
  readonly networkScripts: boolean;
  readonly wicked: boolean;
}

const RHEL_IDS = new Set(['rhel', 'centos', 'rocky', 'almalinux', 'ol', 'oracle', 'fedora', 'amzn']);
const SUSE_IDS = new Set(['sles', 'sled', 'opensuse', 'opensuse-leap', 'opensuse-tumbleweed', 'suse']);

/**
 * Pure decision: Ubuntu (or Debian with netplan) → netplan; RHEL family 8+ → NetworkManager
 * keyfile + systemd `.link` (ifcfg when NetworkManager is missing but network-scripts exist);
 * RHEL 7 and older → ifcfg; SUSE → wicked. Anything else throws `UnknownOsError`.
 */
export function chooseBackend(os: OsRelease, tools: ToolPresence): BackendId {
  const family = [os.id, ...os.idLike];
  const what = os.prettyName || os.id || 'an OS without ID';
  if (family.includes('ubuntu') || (family.includes('debian') && tools.netplan)) {
    if (!tools.netplan) throw new UnknownOsError(`${what}: netplan is not installed under the node root`);
    return BackendId.netplan;
  }
  if (family.some((id) => RHEL_IDS.has(id)) || family.includes('rhel')) {
    const major = Number.parseInt(os.versionId, 10);
    const legacy = os.id !== 'fedora' && os.id !== 'amzn' && Number.isFinite(major) && major <= 7;
    if (legacy) return BackendId.ifcfg;
    if (!tools.networkManager && tools.networkScripts) return BackendId.ifcfg;
    return BackendId.networkManager;
  }
  // SUSE: wicked. (The agent Job mounts only configuration directories, and hostPath
  // DirectoryOrCreate may have created /etc/NetworkManager, so that is no evidence.)
  if (family.some((id) => SUSE_IDS.has(id) || id.startsWith('opensuse'))) return BackendId.wicked;
  throw new UnknownOsError(
    `unsupported node OS '${what}' (ID=${os.id || '-'}, ID_LIKE=${os.idLike.join(' ') || '-'}): ` +
      'supported are Ubuntu (netplan), RHEL 8/9 family (NetworkManager), RHEL 7 (ifcfg), SUSE (wicked)',
  );
}

async function anyExists(fs: RootFs, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) if (await fs.exists(path)) return true;
  return false;
}

/** Reads `/etc/os-release` (or `/usr/lib/os-release`) and the tools under the root. */
export async function detectBackend(fs: RootFs): Promise<{ backend: BackendId; os: OsRelease }> {
  const file = (await fs.read('/etc/os-release')) ?? (await fs.read('/usr/lib/os-release'));
  if (file === undefined)
    throw new UnknownOsError(`no /etc/os-release under ${fs.root}: cannot detect the node OS`);
  const os = parseOsRelease(file.content);
  const bins = (name: string): string[] => [
    `/usr/sbin/${name}`,
    `/usr/bin/${name}`,
    `/sbin/${name}`,
    `/bin/${name}`,
  ];
  const tools: ToolPresence = {
    netplan: await anyExists(fs, [...bins('netplan'), '/etc/netplan']),
    networkManager: await anyExists(fs, [...bins('NetworkManager'), '/etc/NetworkManager']),
    networkScripts: await anyExists(fs, ['/etc/sysconfig/network-scripts']),
    wicked: await anyExists(fs, [...bins('wicked')]),
  };
  return { backend: chooseBackend(os, tools), os };
}
