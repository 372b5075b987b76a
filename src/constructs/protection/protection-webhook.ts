// `protection.mode: webhook` (and `both`): the ValidatingWebhookConfiguration pointing at the
// operator's webhook server (src/operator/webhook-server.ts). It is a shell: the operator
// generates the CA and patches `webhooks[0].clientConfig.caBundle` at runtime.
//
// Scope and failure policy: the object selector only matches objects labelled
// `multinic.example.com/protected=true` AND `multinic.example.com/webhook-protected=true`
// (set by MultiNicSystem in webhook/both mode), so a webhook that is down can only ever block
// changes to those objects, never anything else in the cluster. Within that scope the policy
// is `Fail`: protection that silently switches off when the operator's pod is gone would
// protect nothing; the objects are the operator's to change anyway, and the garbage collector
// retries deletions once the webhook is back. `timeoutSeconds` is short (5 s) so a hung server
// costs callers little.
import { KubeValidatingWebhookConfiguration } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { PROTECTED_LABEL } from '../common/labels.js';
import { checkDnsLabel, checkInt, checkOneOf } from '../common/validate.js';
import { WEBHOOK_PATH } from '../common/workload.js';
import { PROTECTED_RESOURCES, WEBHOOK_PROTECTED_LABEL } from './protected-resources.js';

export const WEBHOOK_NAME = 'protection.multinic.example.com';

export interface ProtectionWebhookProps {
  /** Service in front of the operator's webhook server. */
  readonly service: { readonly name: string; readonly namespace: string; readonly port?: number };
  /**
   * Name of the ValidatingWebhookConfiguration (cluster-scoped).
   * @default 'multinic-protection'
   */
  readonly name?: string;
  /**
   * What the API server does when the webhook cannot be reached (see file header).
   * @default 'Fail'
   */
  readonly failurePolicy?: 'Fail' | 'Ignore';
  /**
   * Seconds the API server waits for an answer (1..30).
   * @default 5
   */
  readonly timeoutSeconds?: number;
  /**
   * Labels on the configuration.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export class ProtectionWebhook extends Construct {
  public readonly configuration: KubeValidatingWebhookConfiguration;
  public readonly configurationName: string;

  constructor(scope: Construct, id: string, props: ProtectionWebhookProps) {
    super(scope, id);
    const who = 'ProtectionWebhook';
    this.configurationName = checkDnsLabel(who, 'name', props.name ?? 'multinic-protection');
    const failurePolicy = checkOneOf(who, 'failurePolicy', props.failurePolicy ?? 'Fail', [
      'Fail',
      'Ignore',
    ] as const);
    const timeoutSeconds = checkInt(who, 'timeoutSeconds', props.timeoutSeconds ?? 5, 1, 30);
    checkDnsLabel(who, 'service.name', props.service.name);
    checkDnsLabel(who, 'service.namespace', props.service.namespace);
    const port = checkInt(who, 'service.port', props.service.port ?? 443, 1, 65535);

    this.configuration = new KubeValidatingWebhookConfiguration(this, 'configuration', {
      metadata: { name: this.configurationName, labels: { ...props.labels } },
      webhooks: [
        {
          name: WEBHOOK_NAME,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy,
          timeoutSeconds,
          matchPolicy: 'Equivalent',
          clientConfig: {
            service: {
              name: props.service.name,
              namespace: props.service.namespace,
              path: WEBHOOK_PATH,
              port,
            },
          },
          objectSelector: {
            matchExpressions: [
              { key: PROTECTED_LABEL, operator: 'In', values: ['true'] },
              { key: WEBHOOK_PROTECTED_LABEL, operator: 'In', values: ['true'] },
            ],
          },
          rules: PROTECTED_RESOURCES.map((rule) => ({
            apiGroups: [...rule.apiGroups],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: [...rule.resources],
            scope: '*',
          })),
        },
      ],
    });
  }
}
