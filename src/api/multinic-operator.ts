// MultiNicOperator (multinic.example.com/v1alpha1): the earlier operator's fields (docs/migration.md) plus
// agent, protection mode, database backup and external database, reconcile trigger.
// No password is ever part of the spec: the operator generates credentials into a Secret, or
// reads the Secret the user names.

import { z } from 'zod';
import {
  conditionsSchema,
  count,
  CRON,
  cron,
  fireableCron,
  dateTime,
  dnsLabel,
  duration,
  host,
  httpPath,
  httpUrl,
  imageRef,
  intRange,
  ipv4Cidr,
  k8sName,
  labelMapSchema,
  nodePort,
  patterned,
  port,
  quantity,
  resourceSchema,
  resourcesSchema,
  secretRefSchema,
  secretKey,
  text,
  timeZone,
  tolerationSchema,
  withRule,
} from './common.js';
import { describeObject, parseWith } from './errors.js';
import { MULTINIC_OPERATOR } from './groups.js';

/** Keys the operator writes into (or expects in) the database credentials Secret. */
export const DATABASE_SECRET_KEYS = {
  rootPassword: 'root-password',
  user: 'user',
  password: 'password',
  database: 'database',
} as const;

export const DEFAULT_MARIADB_IMAGE = 'mariadb:10.11';

// --- controller ------------------------------------------------------------------------------

export const controllerSpecSchema = z.strictObject({
  image: imageRef()
    .optional()
    .describe("Controller image. Default: the operator's own image (one image, all roles)."),
  replicas: intRange(1, 9).default(1).describe('Controller replicas (leader election: one is active).'),
  resources: resourcesSchema
    .optional()
    .describe('One value is both request and limit. Default cpu 10m/500m, memory 64Mi/128Mi.'),
  healthProbe: z
    .strictObject({ port: port().optional(), path: httpPath().optional() })
    .optional()
    .describe('Accepted for G1 compatibility; probes always use port 8082 /healthz and /readyz.'),
  allowedEndpoints: z
    .array(
      patterned(
        /^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$/,
        "must be a host, host:port or '*.domain'",
        253,
      ),
    )
    .max(64)
    .default([])
    .describe(
      'Hosts (host, host:port or *.domain) the controller may send OpenStack credentials or tokens to besides the Keystone catalog: Neutron/Nova overrides on other hosts, Contrabass endpoints and the Keystone URLs Contrabass replies name. Anything else is refused (Ready=False, reason EndpointRefused).',
    ),
  insecureKubeconfigExec: z
    .boolean()
    .default(false)
    .describe(
      'Accept exec plugins in workload-cluster kubeconfig Secrets (delivery.mode kubeconfig). They run as commands inside the controller; off by default, when only inline tokens and certificates are accepted.',
    ),
});

// --- agent -------------------------------------------------------------------------------------

export const AGENT_MODES = ['job', 'daemonset'] as const;

export const agentSpecSchema = z.strictObject({
  image: imageRef().optional().describe("Agent image. Default: the operator's own image."),
  mode: z
    .enum(AGENT_MODES)
    .default('job')
    .describe('job: one Job per node change (default); daemonset: a long-running agent per node.'),
  maxConcurrentNodes: intRange(1, 100).default(1).describe('At most this many nodes change at once.'),
  nodeSelector: labelMapSchema.optional().describe('Nodes the agent may run on.'),
  tolerations: z.array(tolerationSchema).max(32).optional().describe('Tolerations of the agent pods.'),
});

// --- database ----------------------------------------------------------------------------------

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;

export const databaseServiceSchema = withRule(
  z.strictObject({
    type: z.enum(SERVICE_TYPES).default('ClusterIP'),
    port: port().default(3306).describe('Service port; the target port is always 3306.'),
    nodePort: nodePort().optional().describe('Only with type NodePort.'),
  }),
  {
    rule: "!has(self.nodePort) || self.type == 'NodePort'",
    message: 'nodePort is allowed only with type NodePort',
    fieldPath: '.nodePort',
  },
  (s) => s.nodePort === undefined || s.type === 'NodePort',
  ['nodePort'],
);

export const databaseCredentialsSchema = z.strictObject({
  database: text(64).default('multinic').describe('Database name.'),
  user: text(80).default('multinic').describe('Database user of the controller.'),
  secretRef: secretRefSchema
    .optional()
    .describe(
      "Secret with keys 'root-password' and 'password' to use instead of generated ones; the operator only reads it (never labels, writes or deletes it) and retries until it exists. Default: the operator generates them once into '<name>-db-credentials', which is kept when the MultiNicOperator is deleted and reused when it is re-created.",
    ),
});

export const databaseBackupSchema = z.strictObject({
  enabled: z.boolean().default(true),
  schedule: cron()
    .default('0 2 * * *')
    .describe('Cron schedule of the logical backup (CronJob). A schedule that never fires is refused.'),
  retention: intRange(1, 365).default(7).describe('Number of backups kept; older ones are deleted.'),
  storage: z
    .strictObject({
      size: quantity().default('10Gi'),
      storageClassName: k8sName().optional(),
    })
    .prefault({})
    .describe(
      'PersistentVolumeClaim the backups are written to; like a StatefulSet volume it is kept when the MultiNicOperator is deleted (delete it by hand).',
    ),
});

export const externalDatabaseSchema = z.strictObject({
  host: host().describe('Host name or IP of an existing MariaDB/MySQL server.'),
  port: port().default(3306),
  database: text(64).default('multinic'),
  secretRef: z
    .strictObject({
      name: k8sName(),
      usernameKey: secretKey().default('username'),
      passwordKey: secretKey().default('password'),
    })
    .describe('Secret with the user name and password of the external database.'),
});

export const databaseSpecSchema = withRule(
  withRule(
    z.strictObject({
      enabled: z.boolean().default(true).describe('Deploy the internal MariaDB. Set false with external.'),
      image: imageRef().default(DEFAULT_MARIADB_IMAGE),
      storageSize: quantity()
        .default('10Gi')
        .describe('Size of the MariaDB data volume (kept when the MultiNicOperator is deleted).'),
      storageClassName: k8sName().optional(),
      resources: resourcesSchema.optional().describe('Default cpu 100m/500m, memory 128Mi/512Mi.'),
      credentials: databaseCredentialsSchema.prefault({}),
      service: databaseServiceSchema.prefault({}),
      backup: databaseBackupSchema.prefault({}),
      external: externalDatabaseSchema
        .optional()
        .describe('Use an existing MariaDB instead of deploying one.'),
    }),
    {
      rule: '!((!has(self.enabled) || self.enabled) && has(self.external))',
      message: 'external requires enabled: false (the internal MariaDB is not deployed then)',
    },
    (d) => !(d.enabled && d.external !== undefined),
    ['external'],
  ),
  {
    rule: '!has(self.enabled) || self.enabled || has(self.external)',
    message: 'with enabled: false an external database is required (the controller needs a MariaDB)',
  },
  (d) => d.enabled || d.external !== undefined,
  ['enabled'],
);

// --- OpenStack endpoints (earlier operator) and network policy ---------------------------------

export const operatorOpenstackSchema = z.strictObject({
  identityEndpoint: httpUrl(),
  networkEndpoint: httpUrl(),
  computeEndpoint: httpUrl(),
});

export const networkPolicySchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe('Render NetworkPolicies (default deny plus what the parts need).'),
  openstackEgress: z
    .array(
      z.strictObject({
        cidr: ipv4Cidr().describe('Where OpenStack/Contrabass/Viola endpoints live.'),
        ports: z.array(port()).max(16).default([443, 5000, 8774, 9696]),
      }),
    )
    .max(32)
    .default([])
    .describe(
      'Egress the controller needs to the OpenStack APIs. Empty: egress to any address on those ports.',
    ),
});

// --- protection ------------------------------------------------------------------------------

export const PROTECTION_MODES = ['policy', 'webhook', 'both', 'off'] as const;
export type ProtectionMode = (typeof PROTECTION_MODES)[number];

export const protectionSpecSchema = z
  .strictObject({
    mode: z
      .enum(PROTECTION_MODES)
      .optional()
      .describe(
        'policy: ValidatingAdmissionPolicy; webhook: the admission webhook; both; off. Default policy (off when the G1 field enableMutationPrevention is false).',
      ),
    breakGlassGroups: z
      .array(text(253))
      .max(16)
      .default([])
      .describe('Groups that may still edit protected objects.'),
    enableMutationPrevention: z
      .boolean()
      .optional()
      .describe('G1: false means mode off when mode is not set.'),
    enableAutoRecovery: z.boolean().optional().describe('G1: accepted; drift is always repaired.'),
    allowedOperations: z.array(text(64)).max(16).optional().describe('G1: accepted, not used.'),
  })
  .transform((p) => ({
    ...p,
    mode: p.mode ?? (p.enableMutationPrevention === false ? 'off' : 'policy'),
  }));

// --- reconcile trigger -------------------------------------------------------------------------

export const RECONCILE_TRIGGER_MODES = ['immediate', 'scheduled', 'manual', 'webhook'] as const;
export type ReconcileTriggerMode = (typeof RECONCILE_TRIGGER_MODES)[number];

export const reconcileTriggerSchema = z
  .strictObject({
    mode: z.enum(RECONCILE_TRIGGER_MODES).default('immediate'),
    interval: duration({ min: '1m', max: '24h' })
      .optional()
      .describe('Resync interval in scheduled mode. Default 5m.'),
    immediateOnCRChange: z
      .boolean()
      .optional()
      .describe(
        'Sync at once when an OpenstackConfig spec changes. Always true in immediate mode; default false.',
      ),
    schedule: fireableCron(
      patterned(new RegExp(`^$|${CRON.source}`), "must be empty or a cron schedule like '0 2 * * *'", 128),
    )
      .optional()
      .describe(
        'Cron schedule in scheduled mode (wins over interval). A schedule that never fires (e.g. 31 February) is refused.',
      ),
    timezone: timeZone().optional().describe('G1: accepted.'),
  })
  .transform((t) => ({
    ...t,
    immediateOnCRChange: t.mode === 'immediate' ? true : (t.immediateOnCRChange ?? false),
  }));

/** Interval of a scheduled trigger when `interval` is absent. */
export const DEFAULT_SCHEDULED_INTERVAL = '5m';

// --- spec / status / resource ----------------------------------------------------------------

export const multiNicOperatorSpecSchema = z.strictObject({
  controller: controllerSpecSchema.prefault({}),
  agent: agentSpecSchema.prefault({}),
  database: databaseSpecSchema.prefault({}),
  openstack: operatorOpenstackSchema
    .optional()
    .describe('G1: default OpenStack endpoints passed to the controller.'),
  protection: protectionSpecSchema.prefault({}),
  networkPolicy: networkPolicySchema.prefault({}),
  reconcileTrigger: reconcileTriggerSchema.prefault({}),
});

export const OPERATOR_PHASES = ['Running', 'Pending', 'Error'] as const;
export const COMPONENT_PHASES = ['Running', 'Pending', 'Error', 'Disabled', 'External'] as const;

export const componentStatusSchema = z.strictObject({
  phase: z.enum(COMPONENT_PHASES).optional(),
  readyReplicas: count().optional(),
  desiredReplicas: count().optional(),
  lastUpdated: dateTime().optional(),
});

/** The last finished backup Job of the database backup CronJob. */
export const lastBackupSchema = z.strictObject({
  time: dateTime().describe('When the backup Job finished (or the CronJob last succeeded).'),
  succeeded: z.boolean().describe('The Job completed (true) or failed (false).'),
  jobName: k8sName().optional().describe('The backup Job; absent when only the CronJob status is known.'),
  message: text(1024).optional().describe('Why the Job failed.'),
});

export const databaseStatusSchema = componentStatusSchema.extend({
  lastBackup: lastBackupSchema.optional().describe('The last finished backup, when backups are enabled.'),
});

export const protectionStatusSchema = z.strictObject({
  active: z.boolean().optional(),
  mode: z.enum(PROTECTION_MODES).optional(),
  preventedMutations: count().optional().describe('Denied update/delete requests.'),
  lastProtectionEvent: dateTime().optional(),
});

export const multiNicOperatorStatusSchema = z.strictObject({
  phase: z.enum(OPERATOR_PHASES).optional(),
  message: z.string().max(32768).optional(),
  observedGeneration: count().optional(),
  conditions: conditionsSchema.optional(),
  lastUpdated: dateTime().optional(),
  controllerStatus: componentStatusSchema.optional(),
  agentControllerStatus: componentStatusSchema.optional(),
  databaseStatus: databaseStatusSchema.optional(),
  protectionStatus: protectionStatusSchema.optional(),
  databaseSecretName: dnsLabel().optional().describe('Secret holding the database credentials in use.'),
});

/** Condition types and reasons the operator writes (docs/operations.md#multinicoperator). */
export const MULTINIC_OPERATOR_CONDITIONS = {
  Ready: 'Ready',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  DatabaseReady: 'databaseReady',
  ControllerReady: 'controllerReady',
} as const;
export const MULTINIC_OPERATOR_REASONS = {
  AllComponentsReady: 'AllComponentsReady',
  ComponentsNotReady: 'ComponentsNotReady',
  Ready: 'Ready',
  NotReady: 'NotReady',
  PartiallyReady: 'PartiallyReady',
  NotFound: 'NotFound',
  GetError: 'GetError',
  ReconcileError: 'ReconcileError',
} as const;

export const multiNicOperatorSchema = resourceSchema(
  MULTINIC_OPERATOR.apiVersion,
  MULTINIC_OPERATOR.kind,
  multiNicOperatorSpecSchema,
  multiNicOperatorStatusSchema,
);

export type MultiNicOperatorSpec = z.output<typeof multiNicOperatorSpecSchema>;
export type MultiNicOperatorSpecInput = z.input<typeof multiNicOperatorSpecSchema>;
export type MultiNicOperatorStatus = z.output<typeof multiNicOperatorStatusSchema>;
export type MultiNicOperator = z.output<typeof multiNicOperatorSchema>;
export type MultiNicOperatorInput = z.input<typeof multiNicOperatorSchema>;

/** Validates a whole MultiNicOperator and applies defaults; throws `ApiValidationError`. */
export function parseMultiNicOperator(value: unknown): MultiNicOperator {
  return parseWith(multiNicOperatorSchema, value, { subject: describeObject(MULTINIC_OPERATOR.kind, value) });
}

/** Validates a MultiNicOperator spec on its own (issue paths start with `spec.`). */
export function parseMultiNicOperatorSpec(value: unknown): MultiNicOperatorSpec {
  return parseWith(multiNicOperatorSpecSchema, value, {
    subject: 'MultiNicOperator spec',
    pathPrefix: ['spec'],
  });
}
