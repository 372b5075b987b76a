// `multinic agent apply|cleanup`: the agent Job's entry point (docs/architecture.md#transactional-apply).
// Reads the node's interfaces (--input FILE|-, or $MULTINIC_AGENT_INPUT), runs the
// transaction, prints the result and writes it as the termination message.
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createLogger } from '../../observability/logger.js';
import {
  AGENT_INPUT_ENV,
  AgentAction,
  AgentEnvSchema,
  BACKEND_IDS,
  execRunner,
  networkOptionsFromEnv,
  outcomeOf,
  parseAgentInput,
  probeOptionsFromEnv,
  RootFs,
  runAgent,
  serializeAgentResult,
  type AgentInput,
  type BackendId,
} from '../../agent/index.js';
import { agentCommandSeconds } from '../../agent/metrics.js';

const USAGE = `usage: multinic agent apply|cleanup [options]

  --input FILE|-          the node's interfaces (MultiNicNodeConfig spec or object, JSON);
                          default: $${AGENT_INPUT_ENV}, else MultiNicNodeConfig
                          $NODE_CR_NAMESPACE/$NODE_CONFIG_NAME (or $NODE_NAME) from the API server
  --node NAME             node name for cleanup without input (default: $NODE_NAME)
  --root DIR              the node's root filesystem (default: /)
  --dry-run               print the plan (commands and file diffs), change nothing
  --termination-log PATH  where the result JSON goes (default: $MULTINIC_TERMINATION_LOG or /dev/termination-log)
  --backend NAME          skip OS detection: ${BACKEND_IDS.join(' | ')}
  --netns NAME            run every command inside this network namespace (tests, benchmarks)
  --probe-timeout MS      time each probe may take (default 5000)
  --probe-gateway         ping each interface's gateway through it
  --allow-up              allow renaming an UP NIC that has addresses or routes

exit code: 0 = success (also partial success unless JOB_COMPLETE_ON_PARTIAL_FAILURE=false),
           1 = failure or rollback, 2 = usage or input error`;

async function readInput(
  source: string | undefined,
  node: string | undefined,
  action: AgentAction,
): Promise<AgentInput> {
  if (source === '-') return parseAgentInput(await readStdin());
  if (source !== undefined) return parseAgentInput(await readFile(source, 'utf8'));
  const fromEnv = process.env[AGENT_INPUT_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseAgentInput(fromEnv);
  const nodeName = node ?? process.env['NODE_NAME'] ?? process.env['MY_NODE_NAME'];
  if (action === AgentAction.cleanup && nodeName !== undefined && nodeName !== '')
    return { nodeName, interfaces: [] };
  throw new Error(`no input: pass --input FILE or set ${AGENT_INPUT_ENV}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: 'string' },
        node: { type: 'string' },
        root: { type: 'string', default: '/' },
        'dry-run': { type: 'boolean', default: false },
        'termination-log': { type: 'string' },
        backend: { type: 'string' },
        netns: { type: 'string' },
        'probe-timeout': { type: 'string' },
        'probe-gateway': { type: 'boolean', default: false },
        'allow-up': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`multinic agent: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = AgentEnvSchema.safeParse(process.env);
  if (!env.success) {
    const issue = env.error.issues[0];
    console.error(
      `multinic agent: environment variable ${String(issue?.path[0])}: ${issue?.message ?? 'invalid'}`,
    );
    return 2;
  }
  const actionName = positionals[0] ?? (env.data.AGENT_ACTION === 'cleanup' ? 'cleanup' : 'apply');
  if (actionName !== AgentAction.apply && actionName !== AgentAction.cleanup) {
    console.error(`multinic agent: unknown action '${actionName}'\n\n${USAGE}`);
    return 2;
  }
  const action: AgentAction = actionName;
  if (values.backend !== undefined && !(BACKEND_IDS as readonly string[]).includes(values.backend)) {
    console.error(
      `multinic agent: --backend must be one of ${BACKEND_IDS.join(', ')}, got '${values.backend}'`,
    );
    return 2;
  }
  const probeTimeout = values['probe-timeout'] === undefined ? undefined : Number(values['probe-timeout']);
  if (probeTimeout !== undefined && !(Number.isInteger(probeTimeout) && probeTimeout > 0)) {
    console.error(
      `multinic agent: --probe-timeout must be a positive number of milliseconds, got '${values['probe-timeout']}'`,
    );
    return 2;
  }
  let input: AgentInput;
  try {
    input = await readInput(values.input, values.node, action);
  } catch (error) {
    console.error(`multinic agent: ${(error as Error).message}`);
    return 2;
  }

  const logger = createLogger({}, { role: 'agent' });
  const runner = execRunner({
    ...(values.netns === undefined ? {} : { prefix: ['ip', 'netns', 'exec', values.netns] }),
    onCommand: (argv, result, seconds) =>
      agentCommandSeconds.observe(
        { program: argv[0] ?? '', result: result.code === 0 ? 'ok' : 'error' },
        seconds,
      ),
  });
  const probe = probeOptionsFromEnv(env.data);
  const outcome = await runAgent({
    action,
    input,
    fs: new RootFs(values.root),
    runner,
    network: networkOptionsFromEnv(env.data),
    probe: {
      ...probe,
      ...(probeTimeout === undefined ? {} : { timeoutMs: probeTimeout }),
      gateway: probe.gateway || values['probe-gateway'],
    },
    preflightAllowUp: values['allow-up'] || env.data.PREFLIGHT_ALLOW_UP === true,
    dryRun: values['dry-run'],
    logger,
    ...(values.backend === undefined ? {} : { backend: values.backend as BackendId }),
  });

  if (values['dry-run']) {
    process.stdout.write(outcome.report);
    return 0;
  }
  const message = serializeAgentResult(outcome.result);
  process.stdout.write(`${message}\n`);
  const terminationLog =
    values['termination-log'] ?? process.env['MULTINIC_TERMINATION_LOG'] ?? '/dev/termination-log';
  try {
    await writeFile(terminationLog, message, { mode: 0o644 });
  } catch (error) {
    logger.warn('cannot write the termination message', {
      path: terminationLog,
      error: (error as Error).message,
    });
  }
  const result = outcomeOf(outcome.result);
  if (outcome.rolledBack || result === 'Failed') return 1;
  if (result === 'Partial') return env.data.JOB_COMPLETE_ON_PARTIAL_FAILURE === false ? 1 : 0;
  return 0;
}
