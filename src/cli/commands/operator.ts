// `multinic operator`: reconcile MultiNicOperator resources and serve the protection webhook.
import { parseArgs } from 'node:util';

import { createKubeClients, loadKubeConfig } from '../../kube/config.js';
import { createLogger } from '../../observability/logger.js';
import { startOperator } from '../../operator/operator.js';
import { untilStopSignal } from '../signals.js';

const USAGE = `usage: multinic operator [options]

  --kubeconfig PATH          kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)
  --namespace NS             namespace the operator runs in: Lease, webhook TLS Secret
                             (default: $POD_NAMESPACE or multinic-system)
  --watch-namespace NS       reconcile the MultiNicOperators in NS, '*' for every namespace (needs the
                             install's watchNamespace: '*' RBAC) (default: $WATCH_NAMESPACE or --namespace)
  --metrics-port N           /healthz, /readyz, /metrics (default 8082)
  --webhook-port N           protection webhook HTTPS port (default 9443; -1 disables it)
  --webhook-url URL          URL the API server calls instead of the webhook Service
                             (out-of-cluster runs, e.g. https://127.0.0.1:9443/validate-multinic-protection)
  --bind-address ADDR        address for both servers (default 0.0.0.0)
  --service-account NAME     the operator's ServiceAccount, allowed by the guard (default multinic-operator)
  --operator-username USER   another username the guard treats as the operator (repeatable)
  --lease-name NAME          leader-election Lease (default multinic-operator)
  --identity ID              leader-election identity (default: hostname + random suffix)
  --image IMAGE              image of the managed roles unless the CR names one (default: $MULTINIC_IMAGE
                             or the constructs' default)
  --agent-namespace NS       namespace of the agent Jobs (default: $AGENT_NAMESPACE or multinic-agent)
  --webhook-configuration N  only patch this ValidatingWebhookConfiguration's caBundle
                             (default: $WEBHOOK_CONFIGURATION, else every one carrying our webhook)

In a Pod the install sets POD_NAMESPACE, WATCH_NAMESPACE, MULTINIC_IMAGE, AGENT_NAMESPACE, WEBHOOK_SERVICE and
WEBHOOK_CONFIGURATION; WEBHOOK_SERVICE set but empty means the install has no webhook (disabled).`;

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < -1 || parsed > 65535) {
    throw new Error(`--${name} must be an integer port (0..65535, -1 to disable), got '${value}'`);
  }
  return parsed;
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'watch-namespace': { type: 'string' },
        'metrics-port': { type: 'string' },
        'webhook-port': { type: 'string' },
        'webhook-url': { type: 'string' },
        'bind-address': { type: 'string' },
        'service-account': { type: 'string' },
        'operator-username': { type: 'string', multiple: true },
        'lease-name': { type: 'string' },
        identity: { type: 'string' },
        image: { type: 'string' },
        'agent-namespace': { type: 'string' },
        'webhook-configuration': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`multinic operator: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const logger = createLogger({}, { role: 'operator' });
  try {
    const metricsPort = int('metrics-port', values['metrics-port'], 8082);
    const env = process.env;
    // An install rendered without the webhook says so with an empty WEBHOOK_SERVICE.
    const webhookDefault = env['WEBHOOK_SERVICE'] === '' ? -1 : 9443;
    const webhookPort = int('webhook-port', values['webhook-port'], webhookDefault);
    const image = values.image ?? env['MULTINIC_IMAGE'];
    const agentNamespace = values['agent-namespace'] ?? env['AGENT_NAMESPACE'];
    const webhookConfiguration = values['webhook-configuration'] ?? env['WEBHOOK_CONFIGURATION'];
    const webhookService = env['WEBHOOK_SERVICE'];
    const kc = loadKubeConfig(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {});
    const { http } = createKubeClients(kc);
    const namespace = values.namespace ?? process.env['POD_NAMESPACE'] ?? 'multinic-system';
    const watchNamespace = values['watch-namespace'] ?? (env['WATCH_NAMESPACE'] || namespace);
    const operator = await startOperator({
      http,
      namespace,
      metricsPort,
      webhookPort: webhookPort < 0 ? null : webhookPort,
      watchNamespace,
      ...(values['webhook-url'] !== undefined ? { webhookUrl: values['webhook-url'] } : {}),
      ...(values['bind-address'] !== undefined ? { bindHost: values['bind-address'] } : {}),
      ...(values['service-account'] !== undefined ? { serviceAccountName: values['service-account'] } : {}),
      ...(values['operator-username'] !== undefined
        ? { operatorUsernames: values['operator-username'] }
        : {}),
      ...(values['lease-name'] !== undefined ? { leaseName: values['lease-name'] } : {}),
      ...(values.identity !== undefined ? { identity: values.identity } : {}),
      ...(image !== undefined && image !== '' ? { image } : {}),
      ...(agentNamespace !== undefined && agentNamespace !== '' ? { agentNamespace } : {}),
      ...(webhookConfiguration !== undefined && webhookConfiguration !== ''
        ? { webhookConfigurationNames: [webhookConfiguration] }
        : {}),
      ...(webhookService !== undefined && webhookService !== ''
        ? { webhookServiceName: webhookService }
        : {}),
      logger,
    });
    logger.info('operator: started', {
      identity: operator.identity,
      metricsPort: operator.metricsPort,
      webhookPort: operator.webhookPort,
    });
    await untilStopSignal();
    logger.info('operator: stopping');
    await operator.stop();
    return 0;
  } catch (error) {
    logger.error('operator: failed', { error });
    console.error(`multinic operator: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
