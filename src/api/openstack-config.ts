// OpenstackConfig (multinic.example.com/v1alpha1): the earlier systems' fields (docs/migration.md) plus ours.
// Three credential sources, exactly one per object:
//   - `credentials.secretRef`: a Secret with Keystone credentials (the standard source);
//   - `credentials.openstackProviderID`: Contrabass (the vendor source);
//   - `credentials.authURL` + inline `password`: the earlier operator's shape, accepted but deprecated
//     (the controller sets a `Deprecated` condition).
// Subnet precedence subnetIDs > subnetID > subnetName; at least one is required.

import { z } from 'zod';
import {
  conditionsSchema,
  count,
  dateTime,
  duration,
  httpUrl,
  intRange,
  IPV4,
  k8sName,
  MAC_LOWER,
  parseDuration as parseDurationMs,
  patterned,
  resourceSchema,
  secretKey,
  secretKeyRefSchema,
  sha256Hex,
  text,
  withRule,
} from './common.js';
import { describeObject, parseWith } from './errors.js';
import { OPENSTACK_CONFIG } from './groups.js';

/** Keys of the Secret named by `credentials.secretRef` (values are plain text in `stringData`). */
export const OPENSTACK_SECRET_KEYS = {
  authURL: 'authURL',
  username: 'username',
  password: 'password',
  projectID: 'projectID',
  projectName: 'projectName',
  userDomainName: 'userDomainName',
  projectDomainName: 'projectDomainName',
  regionName: 'regionName',
} as const;

/** The decoded data of the credentials Secret; validate it with `parseOpenstackCredentialsSecret`. */
export const openstackCredentialsSecretSchema = withRule(
  z.object({
    authURL: httpUrl(),
    username: text(255),
    password: z.string().min(1, { error: 'must not be empty' }),
    projectID: text(255).optional(),
    projectName: text(255).optional(),
    userDomainName: text(255).default('Default'),
    projectDomainName: text(255).default('Default'),
    regionName: text(255).optional(),
  }),
  { rule: 'has(self.projectID) || has(self.projectName)', message: 'projectID or projectName is required' },
  (s) => s.projectID !== undefined || s.projectName !== undefined,
  ['projectID'],
);
export type OpenstackCredentialsSecret = z.output<typeof openstackCredentialsSecretSchema>;

/** Validates the decoded data of a credentials Secret (`name` names it in the error). */
export function parseOpenstackCredentialsSecret(
  data: Record<string, string>,
  name: string,
): OpenstackCredentialsSecret {
  const trimmed = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.trim()]));
  return parseWith(openstackCredentialsSecretSchema, trimmed, {
    subject: `credentials Secret ${name}`,
    pathPrefix: ['data'],
  });
}

/** The source of Keystone credentials an OpenstackConfig uses. */
export type CredentialSource = 'secret' | 'contrabass' | 'inline';

export const credentialsSchema = z
  .strictObject({
    secretRef: z
      .strictObject({ name: k8sName() })
      .optional()
      .describe(
        'Secret with authURL, username, password, projectID or projectName, userDomainName (standard).',
      ),
    openstackProviderID: text(255).optional().describe('Contrabass provider id (vendor source).'),
    k8sProviderID: text(255)
      .optional()
      .describe(
        'Workload-cluster routing id: x-provider-id for Viola, inventory key. Required with Contrabass or Viola.',
      ),
    projectID: text(255).optional().describe('Keystone project id; scope and Neutron project_id filter.'),
    authURL: httpUrl().optional().describe('Deprecated (G1 inline credentials): Keystone URL; /v3 appended.'),
    username: text(255).optional().describe('Deprecated (G1 inline credentials).'),
    password: z
      .string()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'Deprecated (G1 inline credentials, accepted for earlier systems with a Deprecated condition and Event; never echoed): use secretRef.',
      ),
    domainName: text(255).optional().describe('Deprecated (G1 inline credentials): user domain name.'),
    networkEndpoint: httpUrl().optional().describe('Deprecated (G1): Neutron base; /v2.0 appended.'),
    computeEndpoint: httpUrl().optional().describe('Deprecated (G1): Nova base; /v2.1 appended.'),
  })
  .describe(
    'Exactly one source: secretRef, openstackProviderID (Contrabass) or authURL (deprecated inline).',
  );

const withCredentialRules = (schema: typeof credentialsSchema) =>
  withRule(
    withRule(
      withRule(
        schema,
        {
          rule: '[has(self.secretRef), has(self.openstackProviderID), has(self.authURL)].filter(x, x).size() == 1',
          message:
            'exactly one credential source is required: secretRef, openstackProviderID (Contrabass) or authURL (inline, deprecated)',
        },
        (c) => [c.secretRef, c.openstackProviderID, c.authURL].filter((x) => x !== undefined).length === 1,
      ),
      {
        rule: '!has(self.openstackProviderID) || (has(self.projectID) && has(self.k8sProviderID))',
        message: 'Contrabass credentials (openstackProviderID) also need projectID and k8sProviderID',
      },
      (c) =>
        c.openstackProviderID === undefined || (c.projectID !== undefined && c.k8sProviderID !== undefined),
    ),
    {
      rule: '!has(self.authURL) || (has(self.username) && has(self.password) && has(self.projectID) && has(self.domainName))',
      message: 'inline credentials (authURL) also need username, password, projectID and domainName',
    },
    (c) =>
      c.authURL === undefined ||
      (c.username !== undefined &&
        c.password !== undefined &&
        c.projectID !== undefined &&
        c.domainName !== undefined),
  );

/** Which credential source a (valid) spec uses. */
export function credentialSource(credentials: z.output<typeof credentialsSchema>): CredentialSource {
  if (credentials.secretRef !== undefined) return 'secret';
  if (credentials.openstackProviderID !== undefined) return 'contrabass';
  return 'inline';
}

export const ENDPOINT_INTERFACES = ['public', 'internal', 'admin'] as const;

export const settingsSchema = withRule(
  z.strictObject({
    contrabassEndpoint: httpUrl()
      .optional()
      .describe(
        "Contrabass base URL; required with openstackProviderID. Its host, and the Keystone host of its replies, must be in the MultiNicOperator's spec.controller.allowedEndpoints.",
      ),
    contrabassEncryptKey: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'Deprecated (accepted for earlier systems, with a Deprecated condition and Event; never echoed): plain-text AES key; use secrets.contrabassEncryptKeySecretRef.',
      ),
    contrabassTimeout: duration({ min: '1s', max: '5m' }).default('30s'),
    contrabassInsecureTLS: z.boolean().default(false),
    violaEndpoint: httpUrl().optional().describe('Viola base URL; with it node configs are POSTed to Viola.'),
    openstackTimeout: duration({ min: '1s', max: '5m' }).default('30s'),
    openstackInsecureTLS: z.boolean().default(false),
    openstackNeutronEndpoint: httpUrl()
      .optional()
      .describe(
        "Neutron base without /v2.0. Default: from the catalog. Used only on a host:port of the Keystone catalog or in the MultiNicOperator's spec.controller.allowedEndpoints.",
      ),
    openstackNovaEndpoint: httpUrl()
      .optional()
      .describe(
        "Nova base with /v2.1. Default: from the catalog. Used only on a host:port of the Keystone catalog or in the MultiNicOperator's spec.controller.allowedEndpoints.",
      ),
    openstackEndpointInterface: z.enum(ENDPOINT_INTERFACES).default('public'),
    openstackEndpointRegion: text(255).optional().describe('Catalog region. Default: any.'),
    openstackNodeNameMetadataKey: text(255)
      .optional()
      .describe('Nova metadata key holding the node name. Default: server name.'),
    openstackPortAllowedStatuses: z
      .array(patterned(/^(\*|[A-Za-z_]+)$/, "must be a Neutron port status like ACTIVE, or '*'", 32))
      .min(1)
      .max(16)
      .default(['ACTIVE', 'DOWN'])
      .describe("Port statuses to manage (case-insensitive); '*' disables the filter."),
    downPortFastRetryMax: intRange(1, 100).default(5).describe('Fast re-sends while DOWN ports exist.'),
    pollFastInterval: duration({ min: '1s', max: '1h' }).default('20s').describe('Requeue after a change.'),
    pollSlowInterval: duration({ min: '1s', max: '24h' })
      .default('2m')
      .describe('Requeue when nothing changed.'),
    pollErrorInterval: duration({ min: '1s', max: '1h' }).default('30s').describe('Requeue after an error.'),
    pollFastWindow: duration({ max: '24h' })
      .default('3m')
      .describe('Keep polling fast this long after a change; 0 disables.'),
    creationTimeBaseline: z
      .boolean()
      .default(true)
      .describe('Manage only ports created after this OpenstackConfig (the primary NIC is never touched).'),
  }),
  {
    rule: '!has(self.pollSlowInterval) || !has(self.pollFastInterval) || duration(self.pollSlowInterval) >= duration(self.pollFastInterval)',
    message: 'pollSlowInterval must be >= pollFastInterval',
    fieldPath: '.pollSlowInterval',
  },
  (s) => safeMs(s.pollSlowInterval) >= safeMs(s.pollFastInterval),
  ['pollSlowInterval'],
);

function safeMs(value: string): number {
  try {
    return parseDurationMs(value);
  } catch {
    return Number.NaN;
  }
}

export const DELIVERY_MODES = ['local', 'kubeconfig', 'viola'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const deliverySchema = withRule(
  z.strictObject({
    mode: z
      .enum(DELIVERY_MODES)
      .optional()
      .describe(
        'local: this cluster; kubeconfig: the cluster in kubeconfigSecretRef; viola: POST to settings.violaEndpoint. Default viola when violaEndpoint is set, else local.',
      ),
    kubeconfigSecretRef: z
      .strictObject({ name: k8sName(), key: secretKey().default('kubeconfig') })
      .optional()
      .describe(
        "Secret with a kubeconfig of the workload cluster. Inline credentials only (token or client-certificate-data/client-key-data, certificate-authority-data, an https server); exec plugins only with the MultiNicOperator's spec.controller.insecureKubeconfigExec; file paths, auth-provider, proxy-url and insecure-skip-tls-verify are refused (Ready=False names the field).",
      ),
    namespace: k8sName().default('multinic-system').describe('Namespace of the MultiNicNodeConfigs.'),
  }),
  {
    rule: "!has(self.mode) || self.mode != 'kubeconfig' || has(self.kubeconfigSecretRef)",
    message: 'mode kubeconfig needs kubeconfigSecretRef',
    fieldPath: '.kubeconfigSecretRef',
  },
  (d) => d.mode !== 'kubeconfig' || d.kubeconfigSecretRef !== undefined,
  ['kubeconfigSecretRef'],
);

export const openstackConfigSpecObject = z.strictObject({
  subnetIDs: z
    .array(text(64))
    .max(16)
    .optional()
    .describe('Target subnets, ranked (order decides the 10-NIC cap). Wins over subnetID and subnetName.'),
  subnetID: text(64).optional().describe('Target subnet when subnetIDs is empty.'),
  subnetName: text(255)
    .optional()
    .describe('Target subnet by name when both above are empty; must be unique.'),
  vmNames: z
    .array(text(255))
    .min(1, { error: 'must list at least one VM (Nova server UUID or name)' })
    .max(1000)
    .describe('Nova server UUIDs or names.'),
  credentials: withCredentialRules(credentialsSchema),
  settings: settingsSchema.prefault({}),
  secrets: z
    .strictObject({
      contrabassEncryptKeySecretRef: secretKeyRefSchema
        .optional()
        .describe(
          'Secret key holding the Contrabass encrypt key; required with openstackProviderID (no implicit default Secret).',
        ),
      contrabassTokenSecretRef: secretKeyRefSchema
        .optional()
        .describe('Secret key holding the bearer token sent on every Contrabass call.'),
    })
    .prefault({}),
  delivery: deliverySchema.prefault({}),
});

const SUBNET_RULE = {
  rule: '(has(self.subnetIDs) && size(self.subnetIDs) > 0) || has(self.subnetID) || has(self.subnetName)',
  message:
    'one of subnetIDs, subnetID or subnetName is required (precedence subnetIDs > subnetID > subnetName)',
};

const CONTRABASS_ENDPOINT_RULE = {
  rule: '!has(self.credentials.openstackProviderID) || (has(self.settings) && has(self.settings.contrabassEndpoint))',
  message: 'Contrabass credentials (openstackProviderID) need settings.contrabassEndpoint',
};

const VIOLA_RULE = {
  rule: "(has(self.delivery) && has(self.delivery.mode) ? self.delivery.mode == 'viola' : has(self.settings) && has(self.settings.violaEndpoint)) ? (has(self.credentials.k8sProviderID) && has(self.settings) && has(self.settings.violaEndpoint)) : true",
  message: 'Viola delivery needs settings.violaEndpoint and credentials.k8sProviderID',
};

export const openstackConfigSpecSchema = withRule(
  withRule(
    withRule(
      openstackConfigSpecObject,
      SUBNET_RULE,
      (s) => (s.subnetIDs?.length ?? 0) > 0 || s.subnetID !== undefined || s.subnetName !== undefined,
    ),
    CONTRABASS_ENDPOINT_RULE,
    (s) => s.credentials.openstackProviderID === undefined || s.settings.contrabassEndpoint !== undefined,
    ['settings', 'contrabassEndpoint'],
  ),
  VIOLA_RULE,
  (s) =>
    deliveryMode(s) !== 'viola' ||
    (s.credentials.k8sProviderID !== undefined && s.settings.violaEndpoint !== undefined),
  ['delivery'],
);

/** Where node configs of this spec go: explicit `delivery.mode`, else viola when `violaEndpoint` is set. */
export function deliveryMode(spec: {
  delivery: { mode?: DeliveryMode | undefined };
  settings: { violaEndpoint?: string | undefined };
}): DeliveryMode {
  return spec.delivery.mode ?? (spec.settings.violaEndpoint !== undefined ? 'viola' : 'local');
}

/** The subnet selector in effect: trimmed, de-duplicated `subnetIDs` win. */
export function subnetSelector(
  spec: Pick<OpenstackConfigSpec, 'subnetIDs' | 'subnetID' | 'subnetName'>,
): { kind: 'ids'; ids: string[] } | { kind: 'name'; name: string } {
  const ids = [...new Set((spec.subnetIDs ?? []).map((id) => id.trim()).filter((id) => id !== ''))];
  if (ids.length > 0) return { kind: 'ids', ids };
  if (spec.subnetID !== undefined && spec.subnetID.trim() !== '')
    return { kind: 'ids', ids: [spec.subnetID.trim()] };
  return { kind: 'name', name: (spec.subnetName ?? '').trim() };
}

/** Fields of a spec that are deprecated (the controller reports them in a `Deprecated` condition). */
export function deprecatedFields(spec: OpenstackConfigSpec): string[] {
  const fields: string[] = [];
  if (spec.credentials.authURL !== undefined) fields.push('spec.credentials.authURL (inline credentials)');
  if (spec.credentials.password !== undefined) fields.push('spec.credentials.password');
  if (spec.settings.contrabassEncryptKey !== undefined) fields.push('spec.settings.contrabassEncryptKey');
  return fields;
}

// --- status ----------------------------------------------------------------------------------

/** The earlier operator's per-VM status, kept so that its objects still validate (docs/migration.md). */
export const vmNetworkInfoSchema = z.strictObject({
  vmName: text(255),
  subnetID: z.string().max(64).optional(),
  networkID: z.string().max(64).optional(),
  ipAddress: patterned(new RegExp(`^$|${IPV4.source}`), 'must be empty or an IPv4 address', 15).optional(),
  macAddress: patterned(
    new RegExp(`^$|${MAC_LOWER.source}`),
    'must be empty or a lower-case MAC address',
    17,
  ).optional(),
  status: z.string().max(64).optional(),
  message: z.string().max(1024).optional(),
});

export const openstackConfigStatusSchema = z.strictObject({
  observedGeneration: count().optional(),
  conditions: conditionsSchema.optional(),
  lastSyncedAt: dateTime().optional().describe('Time of the last successful delivery (reason Synced).'),
  lastError: z.string().max(32768).optional().describe('Message of the last failure; cleared when Ready.'),
  downPortRetry: z
    .strictObject({
      hash: sha256Hex().optional(),
      lastAttempt: dateTime().optional(),
      fastAttempts: count().optional(),
    })
    .optional(),
  summary: z
    .strictObject({
      nodes: count().optional().describe('Nodes with at least one managed interface.'),
      interfaces: count().optional().describe('Managed interfaces over all nodes.'),
      pending: count()
        .optional()
        .describe('Delivered interfaces whose agent result (netplan success) is not in yet.'),
      downPorts: count().optional(),
      overflowPorts: count().optional().describe('Ports not assigned because a node already has 10.'),
    })
    .optional(),
  status: z.enum(['Completed', 'Error']).optional().describe('G1 status.'),
  lastUpdated: dateTime().optional().describe('G1 status.'),
  message: z.string().max(32768).optional().describe('G1 status.'),
  vmNetworkInfos: z.array(vmNetworkInfoSchema).max(1000).optional().describe('G1 status.'),
});

/** Condition types and reasons of an OpenstackConfig (docs/operations.md#openstackconfig). */
export const OPENSTACK_CONFIG_CONDITIONS = {
  Ready: 'Ready',
  Degraded: 'Degraded',
  Deprecated: 'Deprecated',
} as const;
export const OPENSTACK_CONFIG_REASONS = {
  Synced: 'Synced',
  NoChange: 'NoChange',
  Healthy: 'Healthy',
  Error: 'Error',
  ConfigError: 'ConfigError',
  CredentialsError: 'CredentialsError',
  ContrabassError: 'ContrabassError',
  KeystoneError: 'KeystoneError',
  NeutronEndpointError: 'NeutronEndpointError',
  NeutronPortError: 'NeutronPortError',
  SubnetRequired: 'SubnetRequired',
  NeutronSubnetError: 'NeutronSubnetError',
  SubnetNotFound: 'SubnetNotFound',
  SubnetNotUnique: 'SubnetNotUnique',
  NovaError: 'NovaError',
  DatabaseError: 'DatabaseError',
  DeliveryError: 'DeliveryError',
  ViolaPostError: 'ViolaPostError',
  InlineCredentials: 'InlineCredentials',
  PlainTextEncryptKey: 'PlainTextEncryptKey',
  EndpointRefused: 'EndpointRefused',
} as const;

export const openstackConfigSchema = resourceSchema(
  OPENSTACK_CONFIG.apiVersion,
  OPENSTACK_CONFIG.kind,
  openstackConfigSpecSchema,
  openstackConfigStatusSchema,
);

export type OpenstackConfigSpec = z.output<typeof openstackConfigSpecSchema>;
export type OpenstackConfigSpecInput = z.input<typeof openstackConfigSpecSchema>;
export type OpenstackConfigStatus = z.output<typeof openstackConfigStatusSchema>;
export type OpenstackConfig = z.output<typeof openstackConfigSchema>;
export type OpenstackConfigInput = z.input<typeof openstackConfigSchema>;

/** Validates a whole OpenstackConfig and applies defaults; throws `ApiValidationError`. */
export function parseOpenstackConfig(value: unknown): OpenstackConfig {
  return parseWith(openstackConfigSchema, value, { subject: describeObject(OPENSTACK_CONFIG.kind, value) });
}

/** Validates an OpenstackConfig spec on its own (issue paths start with `spec.`). */
export function parseOpenstackConfigSpec(value: unknown): OpenstackConfigSpec {
  return parseWith(openstackConfigSpecSchema, value, {
    subject: 'OpenstackConfig spec',
    pathPrefix: ['spec'],
  });
}
