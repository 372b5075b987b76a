// The images a real node runs: built (or found in the cache) by tools/image/build.sh, which prints
// a directory holding the tarballs and an image.env describing them on its last line.
// $MULTINIC_IMAGE_DIR names such a directory directly (e.g. when tools/test.sh built it already).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from './binaries.js';
import { ControlPlaneError } from './errors.js';
import type { RealNodeImages } from './real-node.js';

const ImageEnv = z.object({
  MULTINIC_IMAGE: z.string().min(1),
  MULTINIC_IMAGE_TAR: z.string().startsWith('/'),
  PAUSE_IMAGE: z.string().min(1),
  PAUSE_IMAGE_TAR: z.string().startsWith('/'),
});

export interface BuiltImages extends RealNodeImages {
  /** The project's image reference, as pods name it (e.g. localhost/multinic:dev-<hash>). */
  image: string;
  dir: string;
}

/** Reads `<dir>/image.env`. */
export function readImageDir(dir: string): BuiltImages {
  const values: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'image.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2];
  }
  const parsed = ImageEnv.safeParse(values);
  if (!parsed.success) throw new ControlPlaneError(`${dir}/image.env is incomplete: ${parsed.error.message}`);
  const env = parsed.data;
  return {
    image: env.MULTINIC_IMAGE,
    sandboxImage: env.PAUSE_IMAGE,
    sandboxTarball: env.PAUSE_IMAGE_TAR,
    tarballs: [env.MULTINIC_IMAGE_TAR],
    dir,
  };
}

/**
 * The images from $MULTINIC_IMAGE_DIR, else from running tools/image/build.sh (seconds when
 * cached; its progress lines go to `progress`).
 */
export async function ensureImages(
  env: NodeJS.ProcessEnv = process.env,
  progress: (line: string) => void = (line) => console.error(line),
): Promise<BuiltImages> {
  const explicit = env['MULTINIC_IMAGE_DIR'];
  if (explicit !== undefined && explicit !== '') return readImageDir(explicit);
  const script = join(REPO_ROOT, 'tools/image/build.sh');
  const lines: string[] = [];
  let lastStdout = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const reader = (stdout: boolean): ((chunk: Buffer) => void) => {
      let pending = '';
      return (chunk) => {
        pending += chunk.toString('utf8');
        const parts = pending.split('\n');
        pending = parts.pop() ?? '';
        for (const line of parts) {
          lines.push(line);
          if (stdout) lastStdout = line;
          progress(line);
        }
      };
    };
    child.stdout.on('data', reader(true));
    child.stderr.on('data', reader(false));
    child.on('error', reject);
    child.on('close', resolve);
  });
  const dir = lastStdout;
  if (code !== 0 || !dir.startsWith('/')) {
    throw new ControlPlaneError(
      `tools/image/build.sh failed (exit ${String(code)}); last lines:\n${lines.slice(-15).join('\n')}`,
    );
  }
  return readImageDir(dir);
}
