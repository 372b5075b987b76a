// The MultiNic construct library: use these from any cdk8s app (README "Using the constructs").
export * from './common/labels.js';
export * from './common/manifests.js';
export * from './common/names.js';
export * from './common/version.js';
export {
  DEFAULT_AGENT_NAMESPACE,
  DEFAULT_INSTANCE,
  DEFAULT_NAMESPACE,
  HEALTH_PORT,
  INVENTORY_PORT,
  MYSQL_PORT,
  WEBHOOK_PATH,
  WEBHOOK_PORT,
} from './common/workload.js';
export type {
  CommonProps,
  ContainerResources,
  ImageProps,
  PullPolicy,
  ResourceAmounts,
} from './common/workload.js';
export * from './crds/multinic-crds.js';
export * from './operator/operator-install.js';
export * from './controller/multinic-controller.js';
export * from './database/connection.js';
export * from './database/mariadb.js';
export * from './database/database-backup.js';
export * from './agent/agent-job.js';
export * from './agent/agent-rbac.js';
export * from './agent/agent-controller.js';
export * from './network-policies/system-network-policies.js';
export * from './protection/protected-resources.js';
export * from './protection/protection-policy.js';
export * from './protection/protection-webhook.js';
export * from './system/multinic-system.js';
