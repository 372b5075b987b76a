// Where the control-plane binaries are: $MULTINIC_CONTROL_PLANE_BIN, or the cache directory
// tools/control-plane/build.sh builds into (keyed by the versions in versions.env).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMPONENT_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
] as const;

/** The repository root (this file is src/dev/binaries.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ControlPlaneVersions {
  K8S_VERSION: string;
  ETCD_VERSION: string;
  KWOK_VERSION: string;
}

export function readVersions(
  file = join(REPO_ROOT, 'tools/control-plane/versions.env'),
): ControlPlaneVersions {
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)=("?)([^"#\s]*)\2\s*(#.*)?$/.exec(line);
    if (match?.[1] !== undefined && match[3] !== undefined) values[match[1]] = match[3];
  }
  const get = (key: keyof ControlPlaneVersions): string => {
    const value = values[key];
    if (value === undefined || value === '') throw new Error(`${file} does not set ${key}`);
    return value;
  };
  return {
    K8S_VERSION: get('K8S_VERSION'),
    ETCD_VERSION: get('ETCD_VERSION'),
    KWOK_VERSION: get('KWOK_VERSION'),
  };
}

/** The bin directory, resolved the same way as tools/control-plane/build.sh. */
export function resolveBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['MULTINIC_CONTROL_PLANE_BIN'];
  if (explicit !== undefined && explicit !== '') return explicit;
  const versions = readVersions();
  const cacheRoot =
    env['MULTINIC_CACHE_DIR'] ??
    join(env['XDG_CACHE_HOME'] ?? join(env['HOME'] ?? homedir(), '.cache'), 'multinic');
  return join(
    cacheRoot,
    'control-plane',
    `k8s-${versions.K8S_VERSION}_etcd-${versions.ETCD_VERSION}_kwok-${versions.KWOK_VERSION}`,
  );
}
