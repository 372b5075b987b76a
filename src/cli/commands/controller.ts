// `multinic controller`: reconcile OpenstackConfigs (Keystone/Neutron/Nova -> MariaDB -> node
// configs) and serve the inventory API. Configuration comes from the environment the
// MultiNicController construct sets (POD_NAMESPACE, NODE_CR_NAMESPACE, MULTINIC_OPERATOR_NAME,
// DATABASE_URL with passwordFile, ...).
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { parseControllerConfig } from '../../controller/config.js';
import { runController } from '../../controller/run.js';
import { createKubeClients, loadKubeConfig } from '../../kube/config.js';
import { createLogger } from '../../observability/logger.js';
import { untilStopSignal } from '../signals.js';

const USAGE = `usage: multinic controller [--kubeconfig PATH] [--insecure-kubeconfig-exec]

--insecure-kubeconfig-exec  accept exec plugins in workload-cluster kubeconfig Secrets (they run inside
                            the controller; off by default, same as INSECURE_KUBECONFIG_EXEC=true)

Environment: POD_NAMESPACE (multinic-system), NODE_CR_NAMESPACE ($POD_NAMESPACE), WATCH_NAMESPACE ($POD_NAMESPACE; * = all),
MULTINIC_OPERATOR_NAME (its reconcileTrigger applies), DATABASE_URL (mysql://user@host:3306/db?passwordFile=...)
or DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD_FILE, VIOLA_ENDPOINT, INVENTORY_ENABLED (true),
INVENTORY_ADDR (:18081), TRIGGER_TOKEN_FILE (webhook trigger bearer token), HEALTH_PORT (8082),
WORKERS (4), LEADER_ELECTION (true), LEASE_NAME (multinic-controller), MIGRATE (true: create the database
when missing and migrate it), DATABASE_WAIT_SECONDS (300: how long start-up waits for MariaDB),
INSECURE_KUBECONFIG_EXEC (false), ALLOWED_ENDPOINT_HOSTS (comma-separated host, host:port or *.domain that
OpenStack credentials and tokens may go to besides the Keystone catalog), KUBECONFIG.`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        'insecure-kubeconfig-exec': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(
      `multinic controller: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const logger = createLogger({}, { role: 'controller' });
  try {
    const config = parseControllerConfig(process.env, hostname());
    if (values['insecure-kubeconfig-exec'] === true) config.insecureKubeconfigExec = true;
    const kc = loadKubeConfig(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {});
    const { http } = createKubeClients(kc);
    const stopped = untilStopSignal();
    return await runController({ http, logger, config, stopped });
  } catch (error) {
    logger.error('controller failed', { error });
    console.error(`multinic controller: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
