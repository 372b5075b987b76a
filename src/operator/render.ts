// The pure mapping from a MultiNicOperator to what the operator applies: the `system` chart and
// the operator's reconcile both call it, so what GitOps users review is exactly what runs.
// No I/O; deterministic; fast enough to run on every reconcile (bench/synth.bench.ts).
import { App, Chart } from 'cdk8s';
import type { MultiNicOperator } from '../api/multinic-operator.js';
import { chartManifests, type KubeManifest } from '../constructs/common/manifests.js';
import { DEFAULT_IMAGE } from '../constructs/common/version.js';
import type { ContainerResources } from '../constructs/common/workload.js';
import { CONTROLLER_DEFAULT_RESOURCES } from '../constructs/controller/multinic-controller.js';
import { MARIADB_DEFAULT_RESOURCES } from '../constructs/database/mariadb.js';
import {
  MultiNicSystem,
  type MultiNicSystemProps,
  type ProtectionMode,
  type RequiredSecret,
  type SystemDatabaseProps,
} from '../constructs/system/multinic-system.js';

export interface RenderOptions {
  /**
   * Image of every role unless the CR names one (`spec.controller.image`, `spec.agent.image`).
   * @default 'ghcr.io/multinic/multinic:<package version>' (the operator passes its own image)
   */
  readonly image?: string;
  /**
   * Namespace the operator runs in (its ServiceAccount is allowed by the protection policy).
   * @default 'multinic-system'
   */
  readonly operatorNamespace?: string;
  /**
   * Usernames acting for the operator.
   * @default - the ServiceAccount multinic-operator in `operatorNamespace`
   */
  readonly operatorUsernames?: readonly string[];
  /**
   * Namespace of the agent Jobs.
   * @default 'multinic-agent'
   */
  readonly agentNamespace?: string;
}

export interface RenderedSystem {
  /** The objects to apply, in apply order (construct order), as plain JSON. */
  readonly manifests: KubeManifest[];
  /** Secrets the manifests refer to and the operator must create when absent. */
  readonly requiredSecrets: readonly RequiredSecret[];
  readonly protectionMode: ProtectionMode;
  /** Labels every rendered object carries (the operator's inventory selector uses MANAGED_BY_LABEL). */
  readonly managedLabels: Readonly<Record<string, string>>;
}

/** As the earlier operator did: a value given in the CR is both request and limit; the rest keeps the defaults. */
function oneValueResources(
  value: { cpu?: string | undefined; memory?: string | undefined } | undefined,
  defaults: Required<ContainerResources>,
): ContainerResources | undefined {
  if (value === undefined || (value.cpu === undefined && value.memory === undefined)) return undefined;
  const side = (base: { cpu?: string; memory?: string }) => ({
    ...base,
    ...(value.cpu === undefined ? {} : { cpu: value.cpu }),
    ...(value.memory === undefined ? {} : { memory: value.memory }),
  });
  return { requests: side(defaults.requests), limits: side(defaults.limits) };
}

function databaseProps(spec: MultiNicOperator['spec']['database']): SystemDatabaseProps {
  if (spec.external !== undefined) {
    const external = spec.external;
    return {
      mode: 'external',
      host: external.host,
      port: external.port,
      database: external.database,
      secretName: external.secretRef.name,
      passwordKey: external.secretRef.passwordKey,
      userKey: external.secretRef.usernameKey,
    };
  }
  if (!spec.enabled) return { mode: 'none' };
  const resources = oneValueResources(spec.resources, MARIADB_DEFAULT_RESOURCES);
  return {
    mode: 'internal',
    image: spec.image,
    storageSize: spec.storageSize,
    ...(spec.storageClassName === undefined ? {} : { storageClassName: spec.storageClassName }),
    ...(resources === undefined ? {} : { resources }),
    database: spec.credentials.database,
    user: spec.credentials.user,
    ...(spec.credentials.secretRef === undefined
      ? {}
      : { credentialsSecretName: spec.credentials.secretRef.name }),
    service: {
      type: spec.service.type,
      port: spec.service.port,
      ...(spec.service.nodePort === undefined ? {} : { nodePort: spec.service.nodePort }),
    },
  };
}

/** The MultiNicSystem props for a (parsed, defaulted) MultiNicOperator. */
export function systemPropsFromSpec(cr: MultiNicOperator, options: RenderOptions = {}): MultiNicSystemProps {
  const spec = cr.spec;
  const name = cr.metadata.name;
  if (name === undefined || name === '')
    throw new Error("renderSystem: the MultiNicOperator has no 'metadata.name'");
  const controllerResources = oneValueResources(spec.controller.resources, CONTROLLER_DEFAULT_RESOURCES);
  const openstackEnv: Record<string, string> =
    spec.openstack === undefined
      ? {}
      : {
          OPENSTACK_AUTH_URL: spec.openstack.identityEndpoint,
          OPENSTACK_NETWORK_ENDPOINT: spec.openstack.networkEndpoint,
          OPENSTACK_COMPUTE_ENDPOINT: spec.openstack.computeEndpoint,
        };
  const backup = spec.database.backup;
  const hasDatabase = spec.database.enabled || spec.database.external !== undefined;
  return {
    name,
    namespace: cr.metadata.namespace ?? 'multinic-system',
    ...(options.agentNamespace === undefined ? {} : { agentNamespace: options.agentNamespace }),
    image: options.image ?? DEFAULT_IMAGE,
    controller: {
      replicas: spec.controller.replicas,
      ...(spec.controller.image === undefined ? {} : { image: spec.controller.image }),
      ...(controllerResources === undefined ? {} : { resources: controllerResources }),
      ...(Object.keys(openstackEnv).length === 0 ? {} : { env: openstackEnv }),
      ...(spec.controller.allowedEndpoints.length === 0
        ? {}
        : { allowedEndpoints: spec.controller.allowedEndpoints }),
      ...(spec.controller.insecureKubeconfigExec ? { insecureKubeconfigExec: true } : {}),
    },
    agent: {
      mode: spec.agent.mode,
      maxConcurrentNodes: spec.agent.maxConcurrentNodes,
      ...(spec.agent.image === undefined ? {} : { image: spec.agent.image }),
      ...(spec.agent.nodeSelector === undefined ? {} : { nodeSelector: spec.agent.nodeSelector }),
      ...(spec.agent.tolerations === undefined
        ? {}
        : { tolerations: spec.agent.tolerations.map(toleration) }),
    },
    database: databaseProps(spec.database),
    ...(hasDatabase && backup.enabled
      ? {
          backup: {
            schedule: backup.schedule,
            retention: backup.retention,
            storageSize: backup.storage.size,
            ...(backup.storage.storageClassName === undefined
              ? {}
              : { storageClassName: backup.storage.storageClassName }),
          },
        }
      : {}),
    protection: {
      mode: spec.protection.mode,
      breakGlassGroups: spec.protection.breakGlassGroups,
      ...(options.operatorNamespace === undefined ? {} : { operatorNamespace: options.operatorNamespace }),
      ...(options.operatorUsernames === undefined ? {} : { operatorUsernames: options.operatorUsernames }),
    },
    networkPolicies: {
      enabled: spec.networkPolicy.enabled,
      ...(spec.networkPolicy.openstackEgress.length === 0
        ? {}
        : {
            openstack: spec.networkPolicy.openstackEgress.map((egress) => ({
              cidrs: [egress.cidr],
              ports: egress.ports,
            })),
          }),
    },
  };
}

function toleration(value: NonNullable<MultiNicOperator['spec']['agent']['tolerations']>[number]) {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * Renders the MultiNicSystem for `cr` in an in-memory App and returns plain manifests (no YAML,
 * no files). Throws the construct's validation error when the spec cannot be rendered.
 */
export function renderSystem(cr: MultiNicOperator, options: RenderOptions = {}): RenderedSystem {
  const props = systemPropsFromSpec(cr, options);
  const app = new App();
  const chart = new Chart(app, 'system');
  const system = new MultiNicSystem(chart, 'system', props);
  return {
    manifests: chartManifests(chart),
    requiredSecrets: system.requiredSecrets,
    protectionMode: system.protectionMode,
    managedLabels: system.managedLabels,
  };
}
