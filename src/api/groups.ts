// API groups, versions and names of the four kinds (docs/architecture.md#roles). The CRD generator, the
// constructs and every client read these, so a group or plural is spelled in one place only.

export const OPERATOR_GROUP = 'multinic.example.com';
export const NODE_GROUP = 'multinic.io';
export const API_VERSION_NAME = 'v1alpha1';

export const OPERATOR_API_VERSION = `${OPERATOR_GROUP}/${API_VERSION_NAME}`;
export const NODE_API_VERSION = `${NODE_GROUP}/${API_VERSION_NAME}`;

/** Names of one kind as the API server knows them. */
export interface KindNames {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Namespaced' | 'Cluster';
}

function names(group: string, kind: string, shortNames: readonly string[]): KindNames {
  const singular = kind.toLowerCase();
  return {
    group,
    version: API_VERSION_NAME,
    apiVersion: `${group}/${API_VERSION_NAME}`,
    kind,
    listKind: `${kind}List`,
    plural: `${singular}s`,
    singular,
    shortNames,
    scope: 'Namespaced',
  };
}

export const MULTINIC_OPERATOR = names(OPERATOR_GROUP, 'MultiNicOperator', ['mno']);
export const OPENSTACK_CONFIG = names(OPERATOR_GROUP, 'OpenstackConfig', ['osc']);
export const MULTINIC_NODE_CONFIG = names(NODE_GROUP, 'MultiNicNodeConfig', ['mnnc']);
export const MULTINIC_BIZ_CONFIG = names(NODE_GROUP, 'MultiNicBizConfig', ['mnbc']);

/** Every kind, in the order CRDs are generated. */
export const KINDS = [
  MULTINIC_OPERATOR,
  OPENSTACK_CONFIG,
  MULTINIC_NODE_CONFIG,
  MULTINIC_BIZ_CONFIG,
] as const;

/** The category every MultiNic CRD belongs to: `kubectl get multinic` lists them all. */
export const CATEGORY = 'multinic';

/** Finalizer the controller puts on an OpenstackConfig so that deletion cleans its nodes. */
export const OPENSTACK_CONFIG_FINALIZER = `${OPERATOR_GROUP}/finalizer`;
