// Label keys the operator writes on everything it manages (docs/architecture.md#protection).
export { MANAGED_BY_LABEL, PROTECTED_LABEL } from '../api/labels.js';
/** Namespace of the managing CR, on cluster-scoped objects (which have no namespace of their own). */
export const MANAGED_BY_NAMESPACE_LABEL = 'multinic.example.com/managed-by-namespace';
export const FIELD_MANAGER = 'multinic-operator';
export const FINALIZER = 'multinic.example.com/operator-finalizer';
