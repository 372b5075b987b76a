// `multinic agent-controller`: reconcile MultiNicNodeConfigs (and fan out MultiNicBizConfigs)
// into per-node agent Jobs. Configuration comes from the environment the MultiNicAgentController
// construct sets (NODE_CR_NAMESPACE, AGENT_NAMESPACE, MAX_CONCURRENT_NODES, AGENT_JOB_DEFAULTS, ...).
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { parseAgentControllerConfig } from '../../agent-controller/config.js';
import { runAgentController } from '../../agent-controller/run.js';
import { createKubeClients, loadKubeConfig } from '../../kube/config.js';
import { createLogger } from '../../observability/logger.js';
import { untilStopSignal } from '../signals.js';

const USAGE = `usage: multinic agent-controller [--kubeconfig PATH]

Environment: NODE_CR_NAMESPACE (default $POD_NAMESPACE or multinic-system), AGENT_NAMESPACE
(multinic-agent), MAX_CONCURRENT_NODES (1), AGENT_JOB_DEFAULTS (JSON), WORKERS (8),
HEALTH_PORT (8082), LEADER_ELECTION (true), LEASE_NAME (multinic-agent-controller), KUBECONFIG.`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { kubeconfig: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    console.error(
      `multinic agent-controller: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const logger = createLogger({}, { role: 'agent-controller' });
  try {
    const config = parseAgentControllerConfig(process.env, hostname());
    const kc = loadKubeConfig(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {});
    const { http } = createKubeClients(kc);
    const stopped = untilStopSignal();
    return await runAgentController({ http, logger, config, stopped });
  } catch (error) {
    logger.error('agent-controller failed', { error });
    console.error(`multinic agent-controller: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
