// `protection.mode: policy` (and `both`): a ValidatingAdmissionPolicy + Binding
// (admissionregistration.k8s.io/v1, Kubernetes >= 1.30) evaluated inside the API server, so
// there is no server that can go down. The rule is the one src/operator/admission.ts decides
// for the webhook: the operator's ServiceAccount and break-glass groups may do anything; the
// garbage collector and namespace controller may update/delete; workload controllers may write
// status/scale and spec-preserving updates; nobody else may change a protected object, and only
// the operator and break-glass groups may change or remove its protection labels.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { cel, celList } from '../common/cel.js';
import { MANAGED_BY_LABEL, PROTECTED_LABEL } from '../common/labels.js';
import { boundedName } from '../common/names.js';
import { checkDnsLabel, checkDnsSubdomain, checkNonEmpty, fail } from '../common/validate.js';
import {
  CONTROL_PLANE_FULL_ACCESS,
  CONTROL_PLANE_WORKLOAD,
  PROTECTED_RESOURCES,
} from './protected-resources.js';

export interface ProtectionPolicyProps {
  /** Name of the MultiNicOperator whose objects are protected (value of the managed-by label). */
  readonly operatorName: string;
  /** Namespace of that MultiNicOperator (named in the denial message). */
  readonly operatorNamespace: string;
  /** Usernames acting for the operator, e.g. `system:serviceaccount:multinic-system:multinic-operator`. */
  readonly operatorUsernames: readonly string[];
  /**
   * Groups whose members may change protected objects in an emergency.
   * @default - none
   */
  readonly breakGlassGroups?: readonly string[];
  /**
   * Namespaces holding protected namespaced objects.
   * @default - only `operatorNamespace`
   */
  readonly namespaces?: readonly string[];
  /**
   * Names of the protected Deployments and StatefulSets. A `scale` request carries a Scale object
   * without the owner's labels, so the object selector cannot match it: a second binding matches
   * these names' `scale` subresources instead.
   * @default - no scale binding
   */
  readonly scaleTargets?: {
    readonly deployments?: readonly string[];
    readonly statefulSets?: readonly string[];
  };
  /**
   * Name of the policy and its binding (cluster-scoped: unique per MultiNicOperator).
   * @default 'multinic-protection-<namespace>-<name>' (at most 63 characters)
   */
  readonly policyName?: string;
  /**
   * Labels on the policy and binding.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** `labels[key]` of `object` (or `oldObject`), '' when absent or when the object does not exist. */
function labelOf(object: 'object' | 'oldObject', key: string): string {
  const absentOn = object === 'object' ? 'DELETE' : 'CREATE';
  return (
    `request.operation != '${absentOn}' && has(${object}.metadata.labels) && ${cel(key)} in ${object}.metadata.labels` +
    ` ? ${object}.metadata.labels[${cel(key)}] : ''`
  );
}

export class ProtectionPolicy extends Construct {
  public readonly policy: ApiObject;
  public readonly binding: ApiObject;
  public readonly scaleBinding?: ApiObject;
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: ProtectionPolicyProps) {
    super(scope, id);
    const who = 'ProtectionPolicy';
    const operatorName = checkNonEmpty(who, 'operatorName', props.operatorName);
    const operatorNamespace = checkDnsLabel(who, 'operatorNamespace', props.operatorNamespace);
    if (props.operatorUsernames.length === 0) fail(who, 'operatorUsernames', [], 'at least one username');
    props.operatorUsernames.forEach((user, index) => checkNonEmpty(who, `operatorUsernames[${index}]`, user));
    const groups = props.breakGlassGroups ?? [];
    groups.forEach((group, index) => checkNonEmpty(who, `breakGlassGroups[${index}]`, group));
    const namespaces = [...new Set(props.namespaces ?? [operatorNamespace])];
    namespaces.forEach((ns, index) => checkDnsLabel(who, `namespaces[${index}]`, ns));
    this.policyName = checkDnsLabel(
      who,
      'policyName',
      props.policyName ?? boundedName(['multinic-protection', operatorNamespace, operatorName]),
    );
    const labels = { ...props.labels };
    const edit = `kubectl edit multinicoperator ${operatorName} -n ${operatorNamespace}`;
    const owner = `MultiNicOperator '${operatorName}' in namespace ${operatorNamespace}`;

    this.policy = new ApiObject(this, 'policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: this.policyName, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          matchPolicy: 'Equivalent',
          resourceRules: PROTECTED_RESOURCES.map((rule) => ({
            apiGroups: [...rule.apiGroups],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: [...rule.resources],
          })),
        },
        variables: [
          { name: 'username', expression: 'request.userInfo.username' },
          // Absent (not '') on main-resource requests.
          { name: 'subResource', expression: "has(request.subResource) ? request.subResource : ''" },
          { name: 'groups', expression: 'has(request.userInfo.groups) ? request.userInfo.groups : []' },
          { name: 'operator', expression: `variables.username in ${celList(props.operatorUsernames)}` },
          {
            name: 'breakGlass',
            expression: groups.length === 0 ? 'false' : `variables.groups.exists(g, g in ${celList(groups)})`,
          },
          { name: 'fullAccess', expression: `variables.username in ${celList(CONTROL_PLANE_FULL_ACCESS)}` },
          { name: 'workload', expression: `variables.username in ${celList(CONTROL_PLANE_WORKLOAD)}` },
          { name: 'oldProtected', expression: labelOf('oldObject', PROTECTED_LABEL) },
          { name: 'newProtected', expression: labelOf('object', PROTECTED_LABEL) },
          { name: 'oldOwner', expression: labelOf('oldObject', MANAGED_BY_LABEL) },
          { name: 'newOwner', expression: labelOf('object', MANAGED_BY_LABEL) },
          {
            name: 'labelsKept',
            expression:
              "request.operation != 'UPDATE' || (variables.oldProtected == variables.newProtected && variables.oldOwner == variables.newOwner)",
          },
          {
            name: 'specKept',
            expression:
              "request.operation == 'UPDATE' && variables.subResource == '' && has(object.spec) == has(oldObject.spec) && " +
              '(!has(object.spec) || object.spec == oldObject.spec)',
          },
        ],
        validations: [
          {
            expression: 'variables.operator || variables.breakGlass || variables.labelsKept',
            message: `the protection labels of this object may only be changed by the operator; it is managed by ${owner} (${edit})`,
            reason: 'Forbidden',
          },
          {
            expression:
              "variables.operator || variables.breakGlass || (variables.fullAccess && request.operation != 'CREATE') || " +
              "(variables.workload && request.operation == 'UPDATE' && (variables.subResource in ['status', 'scale'] || variables.specKept))",
            message: `this object is managed by ${owner}: change it through that resource instead (${edit})`,
            messageExpression:
              "request.kind.kind + ' ' + (has(request.namespace) && request.namespace != '' ? request.namespace + '/' : '') + " +
              "request.name + ' is managed by " +
              `${owner.replace(/'/g, "\\'")}: ' + variables.username + ' may not ' + ` +
              "(request.operation == 'DELETE' ? 'delete' : request.operation == 'CREATE' ? 'create' : 'change') + " +
              `' it. Change it through the MultiNicOperator instead (${edit}).'`,
            reason: 'Forbidden',
          },
        ],
      },
    });

    this.binding = new ApiObject(this, 'binding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: this.policyName, labels },
      spec: {
        policyName: this.policyName,
        validationActions: ['Deny'],
        matchResources: {
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
          },
          objectSelector: { matchLabels: { [PROTECTED_LABEL]: 'true', [MANAGED_BY_LABEL]: operatorName } },
        },
      },
    });

    const deployments = [...new Set(props.scaleTargets?.deployments ?? [])].sort();
    const statefulSets = [...new Set(props.scaleTargets?.statefulSets ?? [])].sort();
    [...deployments, ...statefulSets].forEach((name) => checkDnsSubdomain(who, 'scaleTargets', name));
    const scaleRules = [
      ...(deployments.length === 0 ? [] : [{ resources: ['deployments/scale'], resourceNames: deployments }]),
      ...(statefulSets.length === 0
        ? []
        : [{ resources: ['statefulsets/scale'], resourceNames: statefulSets }]),
    ].map((rule) => ({ apiGroups: ['apps'], apiVersions: ['*'], operations: ['UPDATE'], ...rule }));
    if (scaleRules.length > 0) {
      this.scaleBinding = new ApiObject(this, 'scale-binding', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: boundedName([this.policyName, 'scale'], 253), labels },
        spec: {
          policyName: this.policyName,
          validationActions: ['Deny'],
          matchResources: {
            namespaceSelector: {
              matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
            },
            resourceRules: scaleRules,
          },
        },
      });
    }
  }
}
