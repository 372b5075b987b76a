// Which API resources the protection guards (VAP and webhook alike): exactly the kinds the
// MultiNic constructs create directly, plus the `scale` subresources. Not pods, ReplicaSets or
// Jobs: their controllers create them from our templates and must not be blocked. Status
// subresources are left out so that controllers (and kubelets) keep writing status.
export interface ResourceRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
}

export const PROTECTED_RESOURCES: readonly ResourceRule[] = [
  {
    apiGroups: [''],
    resources: ['services', 'secrets', 'serviceaccounts', 'configmaps', 'persistentvolumeclaims'],
  },
  {
    apiGroups: ['apps'],
    resources: ['deployments', 'deployments/scale', 'statefulsets', 'statefulsets/scale'],
  },
  { apiGroups: ['batch'], resources: ['cronjobs'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
  },
];

/** Label set on objects whose installation uses the webhook (`protection.mode` webhook or both). */
export const WEBHOOK_PROTECTED_LABEL = 'multinic.example.com/webhook-protected';

const KCM = 'system:serviceaccount:kube-system:';

/** Control-plane users that may update/delete protected objects (not their protection labels). */
export const CONTROL_PLANE_FULL_ACCESS: readonly string[] = [
  'system:kube-controller-manager',
  `${KCM}generic-garbage-collector`,
  `${KCM}namespace-controller`,
];

/** Workload controllers: status/scale, and main-resource updates that keep spec and labels. */
export const CONTROL_PLANE_WORKLOAD: readonly string[] = [
  'deployment-controller',
  'replicaset-controller',
  'statefulset-controller',
  'daemon-set-controller',
  'job-controller',
  'cronjob-controller',
  'horizontal-pod-autoscaler',
  'disruption-controller',
  'persistent-volume-binder',
  'service-controller',
  'endpoint-controller',
  'endpointslice-controller',
].map((name) => `${KCM}${name}`);
