// `multinic status` (also `kubectl multinic status` through bin/kubectl-multinic): one view of
// the MultiNicOperators, their OpenstackConfigs and the node rollout, as a table or JSON, once or
// redrawn on every change (`--watch`, from informers). Exit 0 when everything is healthy, 1 when
// anything is failing or not rolled out yet, 2 on usage errors; docs/status.md has the JSON shape.
import { parseArgs } from 'node:util';
import { createKubeClients, loadKubeConfig } from '../../kube/config.js';
import type { KubeHttp } from '../../kube/http.js';
import { buildReport, type StatusReport, type StatusScope } from '../status/report.js';
import { renderJson, renderText } from '../status/render.js';
import { readSnapshot, WatchedSnapshot } from '../status/source.js';
import { untilStopSignal } from '../signals.js';

const USAGE = `usage: multinic status [NAME] [-n NAMESPACE | -A] [-o table|wide|json] [--watch]

Shows MultiNicOperators (components, database and last backup, protection mode and denials,
conditions), their OpenstackConfigs (last sync, nodes, ports, errors) and the rollout of
MultiNicNodeConfigs (configured / pending / failed, with the agent's reason).

  NAME                   only the MultiNicOperator of this name
  -n, --namespace NS     only namespace NS (default: every namespace)
  -A, --all-namespaces   OpenstackConfigs and node configs of every namespace, not only the
                         operators' namespaces
  -o, --output FORMAT    table (default), wide (lists configured nodes too), json
  -w, --watch            redraw on every change until interrupted (json: one line per change)
      --kubeconfig PATH  default $KUBECONFIG, then ~/.kube/config
      --context NAME     kubeconfig context

Exit status: 0 all healthy and rolled out, 1 something failing or not ready yet, 2 usage error.
As a kubectl plugin: put bin/kubectl-multinic on PATH, then \`kubectl multinic status\`.`;

const OUTPUTS = ['table', 'wide', 'json'] as const;
type Output = (typeof OUTPUTS)[number];

interface StatusArgs {
  scope: StatusScope;
  output: Output;
  watch: boolean;
  kubeconfig: string | undefined;
  context: string | undefined;
}

/** Where the command writes and what ends `--watch`; tests pass their own. */
export interface StatusIo {
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
  /** Ends `--watch`. @default - SIGINT or SIGTERM */
  signal?: AbortSignal;
  /** Redraw in place (clear the screen) in `--watch`. @default process.stdout.isTTY */
  tty?: boolean;
  now?: () => Date;
  /** `--watch` re-renders from its caches this often (ages; new delivery namespaces). @default 5000 */
  refreshMs?: number;
}

function isOutput(value: string): value is Output {
  return (OUTPUTS as readonly string[]).includes(value);
}

function parse(args: string[]): StatusArgs | 'help' | string {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        namespace: { type: 'string', short: 'n' },
        'all-namespaces': { type: 'boolean', short: 'A' },
        output: { type: 'string', short: 'o' },
        watch: { type: 'boolean', short: 'w' },
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  if (positionals.length > 1) return `at most one MultiNicOperator NAME, got ${positionals.join(' ')}`;
  const output = values.output ?? 'table';
  if (!isOutput(output)) return `--output must be one of ${OUTPUTS.join(', ')}, got '${output}'`;
  const allNamespaces = values['all-namespaces'] === true;
  if (allNamespaces && values.namespace !== undefined)
    return '--namespace and --all-namespaces exclude each other';
  if (values.namespace === '') return '--namespace needs a value';
  const name = positionals[0];
  return {
    scope: {
      allNamespaces,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      ...(name === undefined ? {} : { name }),
    },
    output,
    watch: values.watch === true,
    kubeconfig: values.kubeconfig,
    context: values.context,
  };
}

function render(report: StatusReport, output: Output, now: Date, compactJson: boolean): string {
  return output === 'json'
    ? renderJson(report, { compact: compactJson })
    : renderText(report, now, { wide: output === 'wide' });
}

function stopSignal(io: StatusIo): AbortSignal {
  if (io.signal !== undefined) return io.signal;
  const controller = new AbortController();
  void untilStopSignal().then(() => controller.abort());
  return controller.signal;
}

/** Redraws whenever the watched objects change (debounced) and on a slow tick; resolves with the last exit code. */
async function watch(
  http: KubeHttp,
  args: StatusArgs,
  io: Required<Omit<StatusIo, 'signal'>>,
  signal: AbortSignal,
): Promise<number> {
  // A plain read first: a missing CRD or a refused list is an error now, not an informer retrying forever.
  let report = buildReport(await readSnapshot(http, args.scope), args.scope, io.now());
  const source = new WatchedSnapshot(http, args.scope);
  let shown = '';
  // Events arrive while the informers list; a report from half-filled caches would be wrong.
  let synced = false;
  const draw = (tick: boolean): void => {
    if (signal.aborted || !synced) return;
    const now = io.now();
    report = buildReport(source.snapshot(), args.scope, now);
    // Data changes always redraw; a tick redraws only a terminal (ages move), never a log or a pipe.
    const key = JSON.stringify({ ...report, generatedAt: '' });
    if (key === shown && !(tick && io.tty && args.output !== 'json')) return;
    shown = key;
    const text = render(report, args.output, now, true);
    io.stdout(
      io.tty && args.output !== 'json' ? `\x1b[H\x1b[2J${text}` : args.output === 'json' ? text : `${text}\n`,
    );
  };
  let pending: NodeJS.Timeout | undefined;
  source.onChange(() => {
    pending ??= setTimeout(() => {
      pending = undefined;
      draw(false);
    }, 100);
  });
  const ticker = setInterval(() => draw(true), io.refreshMs);
  try {
    await source.start(signal);
    synced = true;
    draw(false);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    clearInterval(ticker);
    if (pending !== undefined) clearTimeout(pending);
    await source.stop();
  }
  return report.exitCode;
}

export async function run(args: string[], io: StatusIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const parsed = parse(args);
  if (parsed === 'help') {
    stdout(`${USAGE}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    stderr(`multinic status: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  const now = io.now ?? (() => new Date());
  try {
    const kc = loadKubeConfig({
      ...(parsed.kubeconfig === undefined ? {} : { kubeconfig: parsed.kubeconfig }),
      ...(parsed.context === undefined ? {} : { context: parsed.context }),
    });
    const { http } = createKubeClients(kc, { timeoutMs: 15_000 });
    if (parsed.watch) {
      return await watch(
        http,
        parsed,
        {
          stdout,
          stderr,
          now,
          tty: io.tty ?? process.stdout.isTTY === true,
          refreshMs: io.refreshMs ?? 5000,
        },
        stopSignal(io),
      );
    }
    const at = now();
    const report = buildReport(await readSnapshot(http, parsed.scope), parsed.scope, at);
    stdout(render(report, parsed.output, at, false));
    return report.exitCode;
  } catch (error) {
    stderr(`multinic status: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
