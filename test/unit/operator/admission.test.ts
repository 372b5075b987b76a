import { describe, expect, it } from 'vitest';

import { decide, serviceAccountUsername } from '../../../src/operator/admission.js';
import type { AdmissionConfig, AdmissionRequest } from '../../../src/operator/admission.js';

const OPERATOR = serviceAccountUsername('multinic-system', 'multinic-operator');
const config: AdmissionConfig = { operatorUsernames: [OPERATOR], breakGlassGroups: ['multinic:break-glass'] };

const protectedLabels = {
  'multinic.example.com/protected': 'true',
  'multinic.example.com/managed-by-operator': 'biz-network',
};

function deployment(labels: Record<string, string>, replicas = 1, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'multinic-controller-manager', namespace: 'multinic-system', labels, annotations },
    spec: { replicas, template: { spec: { containers: [{ name: 'manager', image: 'multinic:1' }] } } },
  };
}

function request(partial: Partial<AdmissionRequest> & Pick<AdmissionRequest, 'operation'>): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    name: 'multinic-controller-manager',
    namespace: 'multinic-system',
    userInfo: { username: 'alice', groups: ['system:authenticated'] },
    ...partial,
  };
}

const oldProtected = deployment(protectedLabels);
const user = { username: 'alice', groups: ['system:authenticated'] };
const admin = { username: 'root-admin', groups: ['system:masters', 'system:authenticated'] };
const gc = { username: 'system:serviceaccount:kube-system:generic-garbage-collector', groups: [] };
const deployCtl = { username: 'system:serviceaccount:kube-system:deployment-controller', groups: [] };
const nsCtl = { username: 'system:serviceaccount:kube-system:namespace-controller', groups: [] };
const kubelet = { username: 'system:node:n1', groups: ['system:nodes'] };

const unprotectedLabels = { 'multinic.example.com/managed-by-operator': 'biz-network' };

const table: Array<{
  title: string;
  req: AdmissionRequest;
  allowed: boolean;
  reason: string;
}> = [
  {
    title: 'denies an ordinary user editing a protected Deployment',
    req: request({
      operation: 'UPDATE',
      userInfo: user,
      oldObject: oldProtected,
      object: deployment(protectedLabels, 3),
    }),
    allowed: false,
    reason: 'Denied',
  },
  {
    title: 'denies a cluster-admin outside the break-glass group deleting a protected Deployment',
    req: request({ operation: 'DELETE', userInfo: admin, oldObject: oldProtected }),
    allowed: false,
    reason: 'Denied',
  },
  {
    title: 'denies scaling a protected Deployment through the scale subresource',
    req: request({
      operation: 'UPDATE',
      subResource: 'scale',
      userInfo: user,
      oldObject: oldProtected,
      object: oldProtected,
    }),
    allowed: false,
    reason: 'Denied',
  },
  {
    title: 'denies removing the protected label',
    req: request({
      operation: 'UPDATE',
      userInfo: admin,
      oldObject: oldProtected,
      object: deployment(unprotectedLabels),
    }),
    allowed: false,
    reason: 'LabelChangeDenied',
  },
  {
    title: 'denies changing the managed-by label',
    req: request({
      operation: 'UPDATE',
      userInfo: user,
      oldObject: oldProtected,
      object: deployment({ ...protectedLabels, 'multinic.example.com/managed-by-operator': 'other' }),
    }),
    allowed: false,
    reason: 'LabelChangeDenied',
  },
  {
    title: 'denies adding the protection label to an unprotected object',
    req: request({
      operation: 'UPDATE',
      userInfo: user,
      oldObject: deployment({}),
      object: deployment(protectedLabels),
    }),
    allowed: false,
    reason: 'LabelChangeDenied',
  },
  {
    title: 'denies creating an object that claims protection',
    req: request({ operation: 'CREATE', userInfo: user, object: deployment(protectedLabels) }),
    allowed: false,
    reason: 'LabelChangeDenied',
  },
  {
    title: 'allows anything on an unprotected object',
    req: request({ operation: 'DELETE', userInfo: user, oldObject: deployment({ app: 'x' }) }),
    allowed: true,
    reason: 'NotProtected',
  },
  {
    title: 'allows the operator ServiceAccount to update a protected object',
    req: request({
      operation: 'UPDATE',
      userInfo: { username: OPERATOR, groups: [] },
      oldObject: oldProtected,
      object: deployment(protectedLabels, 4),
    }),
    allowed: true,
    reason: 'Operator',
  },
  {
    title: 'allows the operator ServiceAccount to remove the labels',
    req: request({
      operation: 'UPDATE',
      userInfo: { username: OPERATOR, groups: [] },
      oldObject: oldProtected,
      object: deployment({}),
    }),
    allowed: true,
    reason: 'Operator',
  },
  {
    title: 'allows the break-glass group',
    req: request({
      operation: 'DELETE',
      userInfo: { username: 'oncall', groups: ['multinic:break-glass'] },
      oldObject: oldProtected,
    }),
    allowed: true,
    reason: 'BreakGlass',
  },
  {
    title: 'allows the garbage collector to delete a protected object',
    req: request({ operation: 'DELETE', userInfo: gc, oldObject: oldProtected }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'allows the garbage collector to update owner references',
    req: request({
      operation: 'UPDATE',
      userInfo: gc,
      oldObject: oldProtected,
      object: deployment(protectedLabels),
    }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'allows the namespace controller to delete',
    req: request({ operation: 'DELETE', userInfo: nsCtl, oldObject: oldProtected }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'allows the deployment controller to write status',
    req: request({
      operation: 'UPDATE',
      subResource: 'status',
      userInfo: deployCtl,
      oldObject: oldProtected,
      object: oldProtected,
    }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'allows the deployment controller its revision annotation (spec unchanged)',
    req: request({
      operation: 'UPDATE',
      userInfo: deployCtl,
      oldObject: oldProtected,
      object: deployment(protectedLabels, 1, { 'deployment.kubernetes.io/revision': '1' }),
    }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'denies the deployment controller changing the spec',
    req: request({
      operation: 'UPDATE',
      userInfo: deployCtl,
      oldObject: oldProtected,
      object: deployment(protectedLabels, 5),
    }),
    allowed: false,
    reason: 'Denied',
  },
  {
    title: 'denies the deployment controller deleting',
    req: request({ operation: 'DELETE', userInfo: deployCtl, oldObject: oldProtected }),
    allowed: false,
    reason: 'Denied',
  },
  {
    title: 'allows a kubelet status write',
    req: request({
      operation: 'UPDATE',
      subResource: 'status',
      userInfo: kubelet,
      oldObject: oldProtected,
      object: oldProtected,
    }),
    allowed: true,
    reason: 'ControlPlane',
  },
  {
    title: 'denies the garbage collector changing the protection labels',
    req: request({
      operation: 'UPDATE',
      userInfo: gc,
      oldObject: oldProtected,
      object: deployment(unprotectedLabels),
    }),
    allowed: false,
    reason: 'LabelChangeDenied',
  },
  {
    title: 'allows CONNECT',
    req: request({ operation: 'CONNECT', userInfo: user }),
    allowed: true,
    reason: 'NotMutating',
  },
];

describe('decide', () => {
  it.each(table)('$title', ({ req, allowed, reason }) => {
    const decision = decide(req, config);
    expect(decision.allowed).toBe(allowed);
    expect(decision.reason).toBe(reason);
  });

  it('names the MultiNicOperator to edit in the denial message', () => {
    const decision = decide(
      request({ operation: 'DELETE', userInfo: user, oldObject: oldProtected }),
      config,
    );
    expect(decision.message).toContain("MultiNicOperator 'biz-network' in namespace multinic-system");
    expect(decision.message).toContain('kubectl edit multinicoperator biz-network -n multinic-system');
    expect(decision.message).toContain('Deployment multinic-system/multinic-controller-manager');
    expect(decision.message).toContain('alice may not delete');
    expect(decision.owner).toEqual({ name: 'biz-network', namespace: 'multinic-system' });
  });

  it('takes the owner namespace of a cluster-scoped object from its label', () => {
    const role = {
      metadata: {
        name: 'multinic-controller',
        labels: { ...protectedLabels, 'multinic.example.com/managed-by-namespace': 'tenant-a' },
      },
    };
    const decision = decide(
      {
        uid: 'u2',
        kind: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole' },
        name: 'multinic-controller',
        operation: 'DELETE',
        userInfo: user,
        oldObject: role,
      },
      config,
    );
    expect(decision.allowed).toBe(false);
    expect(decision.owner).toEqual({ name: 'biz-network', namespace: 'tenant-a' });
    expect(decision.message).toContain('ClusterRole multinic-controller');
  });

  it('says "scale" when the scale subresource is denied', () => {
    const decision = decide(
      request({
        operation: 'UPDATE',
        subResource: 'scale',
        userInfo: user,
        oldObject: oldProtected,
        object: oldProtected,
      }),
      config,
    );
    expect(decision.message).toContain('(scale)');
    expect(decision.message).toContain('may not scale');
  });

  it('judges a scale request (label-less Scale objects) by the parent labels it is given', () => {
    const scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: 'multinic-controller-manager' },
      spec: { replicas: 3 },
    };
    const req = request({
      operation: 'UPDATE',
      kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      subResource: 'scale',
      userInfo: user,
      oldObject: scale,
      object: scale,
    });
    const denied = decide(req, { ...config, parentLabels: protectedLabels });
    expect(denied.allowed).toBe(false);
    expect(denied.message).toContain("MultiNicOperator 'biz-network'");
    expect(decide(req, { ...config, parentLabels: { app: 'x' } }).allowed).toBe(true);
    expect(
      decide({ ...req, userInfo: deployCtl }, { ...config, parentLabels: protectedLabels }).allowed,
    ).toBe(true);
  });

  it('allows nobody through an empty break-glass list', () => {
    const decision = decide(
      request({ operation: 'DELETE', userInfo: { username: 'x', groups: [] }, oldObject: oldProtected }),
      { operatorUsernames: [OPERATOR] },
    );
    expect(decision.allowed).toBe(false);
  });
});
