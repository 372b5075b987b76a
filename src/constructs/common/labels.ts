// Label keys and helpers: the `app.kubernetes.io/*` set and the protection labels come from
// src/api (one spelling for the whole project); this file adds what only manifests need.
export {
  MANAGED_BY_LABEL,
  PROTECTED_LABEL,
  COMPONENTS,
  appLabels,
  selectorLabels,
  protectionLabels,
  toLabelValue,
} from '../../api/labels.js';
export type { Component } from '../../api/labels.js';

/** Annotation naming the MultiNicOperator that manages an object (as the earlier operator wrote it). */
export const MANAGED_BY_ANNOTATION = 'multinic.example.com/managed-by';

/**
 * Namespace of the managing MultiNicOperator, on cluster-scoped objects (they have no
 * namespace of their own); the operator's admission code reads the same key.
 */
export const MANAGED_BY_NAMESPACE_LABEL = 'multinic.example.com/managed-by-namespace';

/** Pod Security Standards namespace labels for one level (enforce, audit and warn alike). */
export function podSecurityLabels(level: 'restricted' | 'baseline' | 'privileged'): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}
