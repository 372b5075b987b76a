// The agent's two side-effect adapters: a command runner (every `ip`, `sysctl`, `netplan`
// call goes through it, so tests can run them inside a network namespace) and a filesystem
// confined to a root directory (so tests write into a temp root).
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

export interface CommandResult {
  /** Exit code; 127 when the program does not exist, 124 on timeout. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** @default - the runner's default */
  readonly timeoutMs?: number;
  /** Written to the program's stdin (e.g. `ip -batch -`). @default - empty stdin */
  readonly input?: string;
}

/** Runs one program (no shell). Never throws for a non-zero exit: the caller decides. */
export type CommandRunner = (argv: readonly string[], options?: RunOptions) => Promise<CommandResult>;

export interface ExecRunnerOptions {
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', 'mn-test-1']`. @default [] */
  readonly prefix?: readonly string[];
  /** @default 30000 (env COMMAND_TIMEOUT, as the earlier agent named it) */
  readonly timeoutMs?: number;
  /** Called after each command (for metrics and traces). @default - nothing */
  readonly onCommand?: (argv: readonly string[], result: CommandResult, seconds: number) => void;
}

/** A runner that executes real programs with `execFile`. */
export function execRunner(options: ExecRunnerOptions = {}): CommandRunner {
  const prefix = options.prefix ?? [];
  const defaultTimeout = options.timeoutMs ?? 30_000;
  return (argv, runOptions = {}) =>
    new Promise((resolvePromise) => {
      const full = [...prefix, ...argv];
      const started = performance.now();
      const [file, ...args] = full;
      const child = execFile(
        file ?? '',
        args,
        { timeout: runOptions.timeoutMs ?? defaultTimeout, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          let code = 0;
          if (error !== null) {
            const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
            if (failure.code === 'ENOENT') code = 127;
            else if (failure.killed === true) code = 124;
            else code = typeof failure.code === 'number' ? failure.code : 1;
          }
          const result = { code, stdout, stderr: code === 127 ? `${file ?? ''}: not found` : stderr };
          options.onCommand?.(argv, result, (performance.now() - started) / 1000);
          resolvePromise(result);
        },
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(runOptions.input ?? '');
    });
}

/** A runner that runs every command inside the named network namespace (tests, benchmarks). */
export function netnsRunner(
  namespace: string,
  options: Omit<ExecRunnerOptions, 'prefix'> = {},
): CommandRunner {
  return execRunner({ ...options, prefix: ['ip', 'netns', 'exec', namespace] });
}

export interface FileEntry {
  readonly content: string;
  /** Permission bits, e.g. 0o600. */
  readonly mode: number;
}

/** Files under one root directory; every path is absolute as seen on the node (`/etc/netplan/x`). */
export class RootFs {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The real path of a node path under the root. */
  resolve(path: string): string {
    return join(this.root, path);
  }

  async read(path: string): Promise<FileEntry | undefined> {
    try {
      const real = this.resolve(path);
      const [content, info] = await Promise.all([readFile(real, 'utf8'), stat(real)]);
      return { content, mode: info.mode & 0o7777 };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.resolve(path));
      return true;
    } catch {
      return false;
    }
  }

  /** Names of the regular files in a directory; empty when it does not exist. */
  async list(dir: string): Promise<string[]> {
    try {
      const entries = await readdir(this.resolve(dir), { withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Writes atomically (temp file + rename) with the given mode, creating parent directories. */
  async write(path: string, entry: FileEntry): Promise<void> {
    const real = this.resolve(path);
    await mkdir(dirname(real), { recursive: true });
    const temp = `${real}.multinic-tmp`;
    await writeFile(temp, entry.content, { mode: entry.mode });
    await chmod(temp, entry.mode);
    await rename(temp, real);
  }

  async remove(path: string): Promise<void> {
    await rm(this.resolve(path), { force: true });
  }
}
