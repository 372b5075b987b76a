// The agent Job's own identity (not the controller's, docs/architecture.md#least-privilege): a ServiceAccount in the agent
// namespace that may read MultiNicNodeConfigs and Nodes, and nothing else.
import type { KubeClusterRole, KubeRole } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { NODE_GROUP } from '../../api/groups.js';
import { appLabels } from '../common/labels.js';
import { boundedName } from '../common/names.js';
import { boundClusterRole, boundRole, serviceAccount } from '../common/rbac.js';
import { checkDnsLabel } from '../common/validate.js';
import { DEFAULT_AGENT_NAMESPACE, resolveCommon, type CommonProps } from '../common/workload.js';

export interface MultiNicAgentRbacProps extends CommonProps {
  /**
   * Namespace of the agent's ServiceAccount (where the Jobs run).
   * @default 'multinic-agent'
   */
  readonly agentNamespace?: string;
  /**
   * Name of the ClusterRole (and binding) letting the agent read its Node: cluster-scoped, so it
   * must be unique per installation.
   * @default 'multinic-<namespace>-<instance>-agent' (at most 63 characters)
   */
  readonly clusterRoleName?: string;
  /**
   * Extra labels on the cluster-scoped objects only (e.g. the managing CR's namespace).
   * @default - none
   */
  readonly clusterLabels?: Readonly<Record<string, string>>;
}

export class MultiNicAgentRbac extends Construct {
  public readonly serviceAccountName: string;
  public readonly agentNamespace: string;
  public readonly role: KubeRole;
  public readonly clusterRole: KubeClusterRole;

  constructor(scope: Construct, id: string, props: MultiNicAgentRbacProps = {}) {
    super(scope, id);
    const who = 'MultiNicAgentRbac';
    const common = resolveCommon(who, props);
    this.agentNamespace = checkDnsLabel(
      who,
      'agentNamespace',
      props.agentNamespace ?? DEFAULT_AGENT_NAMESPACE,
    );
    this.serviceAccountName = `${common.instance}-agent`;
    const labels = {
      ...appLabels({ name: 'multinic-agent', instance: common.instance, component: 'agent' }),
      ...common.labels,
    };
    const subject = { name: this.serviceAccountName, namespace: this.agentNamespace };
    const meta = { name: this.serviceAccountName, labels, annotations: common.annotations };

    serviceAccount(this, 'service-account', { ...meta, namespace: this.agentNamespace });
    this.role = boundRole(
      this,
      'role',
      { ...meta, namespace: common.namespace },
      [{ apiGroups: [NODE_GROUP], resources: ['multinicnodeconfigs'], verbs: ['get'] }],
      subject,
    );
    const clusterRoleName = checkDnsLabel(
      who,
      'clusterRoleName',
      props.clusterRoleName ?? boundedName(['multinic', common.namespace, common.instance, 'agent']),
    );
    this.clusterRole = boundClusterRole(
      this,
      'cluster-role',
      {
        name: clusterRoleName,
        labels: { ...labels, ...props.clusterLabels },
        annotations: common.annotations,
      },
      [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
      subject,
    );
  }
}
