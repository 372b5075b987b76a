// Label keys and helpers shared by the operator, the constructs and the controllers.

import { OPERATOR_GROUP, NODE_GROUP } from './groups.js';

/** Set to `'true'` on every object the operator manages; the protection guard keys on it. */
export const PROTECTED_LABEL = `${OPERATOR_GROUP}/protected`;
/** Name of the `MultiNicOperator` that manages the object (the denial message names it). */
export const MANAGED_BY_LABEL = `${OPERATOR_GROUP}/managed-by-operator`;

/** Labels on a `MultiNicNodeConfig`, values sanitised with `toLabelValue`. */
export const NODE_NAME_LABEL = `${NODE_GROUP}/node-name`;
export const INSTANCE_ID_LABEL = `${NODE_GROUP}/instance-id`;
export const PROVIDER_ID_LABEL = `${NODE_GROUP}/provider-id`;
/** Set on node configs a `MultiNicBizConfig` owns: the BizConfig's name. */
export const BIZ_CONFIG_LABEL = `${NODE_GROUP}/biz-config`;
/** Set on node configs the controller writes: `<namespace>.<name>` of the source OpenstackConfig. */
export const OPENSTACK_CONFIG_LABEL = `${NODE_GROUP}/openstack-config`;

export const APP_NAME_LABEL = 'app.kubernetes.io/name';
export const APP_INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const APP_COMPONENT_LABEL = 'app.kubernetes.io/component';
export const APP_PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const APP_VERSION_LABEL = 'app.kubernetes.io/version';
export const APP_MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

export const PART_OF = 'multinic';

/** Components of a MultiNic installation, used as `app.kubernetes.io/component`. */
export const COMPONENTS = {
  operator: 'operator',
  controller: 'controller',
  agentController: 'agent-controller',
  agent: 'agent',
  database: 'database',
  backup: 'backup',
  protection: 'protection',
} as const;
export type Component = (typeof COMPONENTS)[keyof typeof COMPONENTS];

export interface AppLabelsOptions {
  /** `app.kubernetes.io/name`. */
  readonly name: string;
  /** `app.kubernetes.io/instance`, usually the `MultiNicOperator` name. */
  readonly instance?: string;
  readonly component?: Component;
  readonly version?: string;
  /** @default 'multinic-operator' */
  readonly managedBy?: string;
}

/** The recommended `app.kubernetes.io/*` labels, values sanitised, keys in a fixed order. */
export function appLabels(options: AppLabelsOptions): Record<string, string> {
  const labels: Record<string, string> = { [APP_NAME_LABEL]: toLabelValue(options.name) };
  if (options.instance !== undefined) labels[APP_INSTANCE_LABEL] = toLabelValue(options.instance);
  if (options.component !== undefined) labels[APP_COMPONENT_LABEL] = options.component;
  labels[APP_PART_OF_LABEL] = PART_OF;
  if (options.version !== undefined) labels[APP_VERSION_LABEL] = toLabelValue(options.version);
  labels[APP_MANAGED_BY_LABEL] = toLabelValue(options.managedBy ?? 'multinic-operator');
  return labels;
}

/** A selector that matches what `appLabels` sets (stable keys only: never the version). */
export function selectorLabels(
  options: Pick<AppLabelsOptions, 'name' | 'instance' | 'component'>,
): Record<string, string> {
  const labels: Record<string, string> = { [APP_NAME_LABEL]: toLabelValue(options.name) };
  if (options.instance !== undefined) labels[APP_INSTANCE_LABEL] = toLabelValue(options.instance);
  if (options.component !== undefined) labels[APP_COMPONENT_LABEL] = options.component;
  return labels;
}

/** The two protection labels for an object managed by the named `MultiNicOperator`. */
export function protectionLabels(operatorName: string): Record<string, string> {
  return { [PROTECTED_LABEL]: 'true', [MANAGED_BY_LABEL]: toLabelValue(operatorName) };
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** True when `value` is a valid label value (≤ 63 chars, alphanumeric ends, `-_.` inside). */
export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/**
 * Turns any string into a valid label value: invalid characters become `-`, the result is cut to
 * 63 characters and trimmed to alphanumeric ends (Viola sanitises values this way).
 */
export function toLabelValue(value: string): string {
  if (isLabelValue(value)) return value;
  return value
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}
