// Installing the real OpenStack services, idempotently. The Python libraries, uwsgi and
// RabbitMQ come from Debian with apt-get (skipped when present). The service packages
// themselves (nova-api, neutron-common, ...) are only downloaded and unpacked into a cached
// package root: installing them would run their maintainer scripts, which ask debconf
// questions, create system users and start system-wide daemons on fixed ports.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ControlPlaneError } from '../errors.js';

const execFileAsync = promisify(execFile);

/** Installed with apt-get when missing. */
export const APT_PACKAGES = [
  'python3-keystone',
  'python3-neutron',
  'python3-nova',
  'python3-placement',
  'python3-glance',
  'python3-pymysql',
  'uwsgi-core',
  'uwsgi-plugin-python3',
  'rabbitmq-server',
] as const;

/**
 * Downloaded and unpacked only, each pinned to the version of the library package built from
 * the same source, so scripts and libraries always match.
 */
export const UNPACKED_PACKAGES: Readonly<Record<string, string>> = {
  'neutron-common': 'python3-neutron',
  'neutron-server': 'python3-neutron',
  'nova-common': 'python3-nova',
  'nova-api': 'python3-nova',
  'nova-compute': 'python3-nova',
  'nova-conductor': 'python3-nova',
  'nova-scheduler': 'python3-nova',
  'glance-common': 'python3-glance',
  'glance-api': 'python3-glance',
};

/** The system environment every OpenStack command runs with (Debian's python3, not a venv's). */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const PYTHON = '/usr/bin/python3';

async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, [...args], {
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 600_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' },
    });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new ControlPlaneError(
      `${command} ${args.join(' ')} failed: ${(e.stderr ?? '').trim().split('\n').slice(-5).join(' | ') || e.message}`,
    );
  }
}

/** Installed versions of `packages` (absent ones missing from the map). */
export async function installedVersions(packages: readonly string[]): Promise<Map<string, string>> {
  let out = '';
  try {
    const { stdout } = await execFileAsync(
      'dpkg-query',
      ['-W', '-f=${Package} ${Status} ${Version}\\n', ...packages],
      { env: { PATH: SYSTEM_PATH } },
    );
    out = stdout;
  } catch (error) {
    // dpkg-query exits 1 when some package is unknown but still prints the known ones.
    out = (error as { stdout?: string }).stdout ?? '';
  }
  const versions = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, , , status, version] = line.split(' ');
    if (name !== undefined && status === 'installed' && version !== undefined) versions.set(name, version);
  }
  return versions;
}

export interface InstallResult {
  /** Packages apt-get installed now (empty when all were there). */
  installed: string[];
  /** The unpacked service packages (`<pkgRoot>/usr/bin/nova-api`, ...). */
  pkgRoot: string;
  /** True when the package root had to be built now. */
  unpacked: boolean;
}

/** Makes sure everything is installed; `cacheRoot` is `<cache>/openstack`. */
export async function ensureInstalled(
  cacheRoot: string,
  log: (line: string) => void,
): Promise<InstallResult> {
  let versions = await installedVersions(APT_PACKAGES);
  const missing = APT_PACKAGES.filter((p) => !versions.has(p));
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new ControlPlaneError(
        `real OpenStack needs Debian packages that are not installed (${missing.join(' ')}); run as root or ` +
          `apt-get install -y --no-install-recommends ${missing.join(' ')}`,
      );
    }
    log(`apt-get install ${missing.join(' ')}`);
    const aptArgs = ['-o', 'DPkg::Lock::Timeout=900', '-y', '-q', '--no-install-recommends'];
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=900', 'update', '-q'], { timeoutMs: 900_000 });
    await run('apt-get', [...aptArgs, 'install', ...missing], { timeoutMs: 1_800_000 });
    versions = await installedVersions(APT_PACKAGES);
    const still = APT_PACKAGES.filter((p) => !versions.has(p));
    if (still.length > 0) throw new ControlPlaneError(`apt-get did not install ${still.join(' ')}`);
  }
  const pins = Object.entries(UNPACKED_PACKAGES).map(([pkg, lib]) => `${pkg}=${versions.get(lib) ?? ''}`);
  const key = createHash('sha256').update(pins.join('\n')).digest('hex').slice(0, 12);
  const dir = join(cacheRoot, `debs-${key}`);
  const pkgRoot = join(dir, 'pkgroot');
  if (existsSync(join(dir, 'complete'))) return { installed: missing, pkgRoot, unpacked: false };

  rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debs'), { recursive: true });
  log(`apt-get download ${pins.join(' ')}`);
  await run('apt-get', ['download', ...pins], { cwd: join(tmp, 'debs') }).catch(async (error: unknown) => {
    // The package lists may not know the pinned versions yet (a fresh image, or a point release).
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=900', 'update', '-q'], { timeoutMs: 900_000 });
    await run('apt-get', ['download', ...pins], { cwd: join(tmp, 'debs') }).catch(() => {
      throw error;
    });
  });
  for (const deb of readdirSync(join(tmp, 'debs')).filter((f) => f.endsWith('.deb'))) {
    await run('dpkg', ['-x', join(tmp, 'debs', deb), join(tmp, 'pkgroot')]);
  }
  writeFileSync(join(tmp, 'complete'), pins.join('\n') + '\n');
  renameSync(tmp, dir);
  return { installed: missing, pkgRoot, unpacked: true };
}
