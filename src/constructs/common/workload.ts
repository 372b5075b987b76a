// Pieces every MultiNic workload construct shares: the common props, metadata, resources,
// ports and the small conversions into the L1 `k8s` types.
import {
  IntOrString,
  Quantity,
  type Affinity,
  type EnvVar,
  type Probe,
  type ResourceRequirements,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { DEFAULT_IMAGE } from './version.js';
import { checkDnsLabel, checkImage, checkOneOf, checkQuantity } from './validate.js';

/** HTTP port of every long-running role: `/healthz`, `/readyz` and `/metrics`. */
export const HEALTH_PORT = 8082;
/** The controller's inventory API (routes in src/controller/inventory.ts). */
export const INVENTORY_PORT = 18081;
/** HTTPS port of the operator's protection webhook server. */
export const WEBHOOK_PORT = 9443;
/** The operator's webhook path (see src/operator/webhook-server.ts). */
export const WEBHOOK_PATH = '/validate-multinic-protection';
export const MYSQL_PORT = 3306;

export const DEFAULT_NAMESPACE = 'multinic-system';
export const DEFAULT_AGENT_NAMESPACE = 'multinic-agent';
export const DEFAULT_INSTANCE = 'multinic';

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** CPU and memory of one side (requests or limits) of a container's resources. */
export interface ResourceAmounts {
  /** CPU quantity, e.g. `100m`. @default - not set */
  readonly cpu?: string;
  /** Memory quantity, e.g. `128Mi`. @default - not set */
  readonly memory?: string;
}

export interface ContainerResources {
  /** @default - the construct's documented requests */
  readonly requests?: ResourceAmounts;
  /** @default - the construct's documented limits */
  readonly limits?: ResourceAmounts;
}

/** Props every MultiNic construct that renders namespaced objects accepts. */
export interface CommonProps {
  /**
   * Name of the installation (the MultiNicOperator's name): `app.kubernetes.io/instance` and
   * the prefix of every object name, so two installations can share a namespace.
   * @default 'multinic'
   */
  readonly instance?: string;
  /**
   * Namespace of the objects.
   * @default 'multinic-system'
   */
  readonly namespace?: string;
  /**
   * Extra labels on every object and pod template (MultiNicSystem passes the protection labels here).
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Extra annotations on every object.
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Props of constructs that run the MultiNic image. */
export interface ImageProps {
  /**
   * Container image (all roles run from one image).
   * @default 'ghcr.io/multinic/multinic:<package version>'
   */
  readonly image?: string;
  /**
   * Image pull policy.
   * @default 'IfNotPresent'
   */
  readonly imagePullPolicy?: PullPolicy;
  /**
   * Names of image pull Secrets in the workload's namespace.
   * @default - none
   */
  readonly imagePullSecrets?: readonly string[];
}

export interface ResolvedCommon {
  readonly instance: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function resolveCommon(construct: string, props: CommonProps): ResolvedCommon {
  return {
    instance: checkDnsLabel(construct, 'instance', props.instance ?? DEFAULT_INSTANCE),
    namespace: checkDnsLabel(construct, 'namespace', props.namespace ?? DEFAULT_NAMESPACE),
    labels: props.labels ?? {},
    annotations: props.annotations ?? {},
  };
}

export interface ResolvedImage {
  readonly image: string;
  readonly imagePullPolicy: PullPolicy;
  readonly imagePullSecrets: { name: string }[] | undefined;
}

export function resolveImage(construct: string, props: ImageProps, prefix = ''): ResolvedImage {
  const secrets = props.imagePullSecrets ?? [];
  secrets.forEach((name, index) => checkDnsLabel(construct, `${prefix}imagePullSecrets[${index}]`, name));
  return {
    image: checkImage(construct, `${prefix}image`, props.image ?? DEFAULT_IMAGE),
    imagePullPolicy: checkOneOf(
      construct,
      `${prefix}imagePullPolicy`,
      props.imagePullPolicy ?? 'IfNotPresent',
      PULL_POLICIES,
    ),
    imagePullSecrets: secrets.length === 0 ? undefined : secrets.map((name) => ({ name })),
  };
}

function amounts(
  construct: string,
  prop: string,
  value: ResourceAmounts | undefined,
): Record<string, Quantity> | undefined {
  if (value === undefined) return undefined;
  const out: Record<string, Quantity> = {};
  if (value.cpu !== undefined)
    out.cpu = Quantity.fromString(checkQuantity(construct, `${prop}.cpu`, value.cpu));
  if (value.memory !== undefined)
    out.memory = Quantity.fromString(checkQuantity(construct, `${prop}.memory`, value.memory));
  return Object.keys(out).length === 0 ? undefined : out;
}

/** `value` or, side by side, the construct's defaults; validated quantities. */
export function resourcesOf(
  construct: string,
  value: ContainerResources | undefined,
  defaults: Required<ContainerResources>,
  prop = 'resources',
): ResourceRequirements {
  const requests = amounts(construct, `${prop}.requests`, value?.requests ?? defaults.requests);
  const limits = amounts(construct, `${prop}.limits`, value?.limits ?? defaults.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Env vars every role gets: its namespace and pod name (leader-election identity) from the Downward API. */
export function podIdentityEnv(): EnvVar[] {
  return [
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ];
}

export function withoutEmpty<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** HTTP probe on the role's health port. */
export function httpProbe(path: string, initialDelaySeconds: number, periodSeconds: number): Probe {
  return {
    httpGet: { path, port: IntOrString.fromNumber(HEALTH_PORT), scheme: 'HTTP' },
    // Never 0 in the output: the API server does not store it, so the object would look drifted.
    ...(initialDelaySeconds > 0 ? { initialDelaySeconds } : {}),
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: 3,
  };
}

/** Prefer different nodes for replicas of one workload (soft, so a small cluster still schedules). */
export function spreadAffinity(selector: Readonly<Record<string, string>>): Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: 'kubernetes.io/hostname',
            labelSelector: { matchLabels: { ...selector } },
          },
        },
      ],
    },
  };
}
