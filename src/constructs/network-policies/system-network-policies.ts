// NetworkPolicies that let the MultiNic parts work and nothing else (the earlier operator's
// policy could not work: no DNS, no 6443, no OpenStack). Default-deny for every pod of the
// installation, then one allow-policy per component. The agent Jobs use the host network,
// which NetworkPolicies do not govern.
import {
  IntOrString,
  KubeNetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type NetworkPolicySpec,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { appLabels } from '../common/labels.js';
import { metadata } from '../common/rbac.js';
import { checkCidr, checkDnsLabel, checkInt, fail } from '../common/validate.js';
import {
  HEALTH_PORT,
  INVENTORY_PORT,
  MYSQL_PORT,
  resolveCommon,
  type CommonProps,
} from '../common/workload.js';

/** Egress to a set of CIDRs on a set of TCP ports. */
export interface EgressTarget {
  /** Destination CIDRs. */
  readonly cidrs: readonly string[];
  /** Destination TCP ports. */
  readonly ports: readonly number[];
}

export interface DnsProps {
  /** @default 'kube-system' */
  readonly namespace?: string;
  /** Labels of the cluster DNS pods. @default { 'k8s-app': 'kube-dns' } */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Extra DNS server CIDRs, e.g. NodeLocal DNSCache '169.254.20.10/32'. @default - none */
  readonly cidrs?: readonly string[];
}

export interface SystemNetworkPoliciesProps extends CommonProps {
  /** Pod labels of the controller. */
  readonly controllerSelector: Readonly<Record<string, string>>;
  /** Pod labels of the agent-controller. */
  readonly agentControllerSelector: Readonly<Record<string, string>>;
  /**
   * Pod labels of the in-cluster MariaDB.
   * @default - no in-cluster database
   */
  readonly databaseSelector?: Readonly<Record<string, string>>;
  /**
   * Pod labels of the backup Jobs.
   * @default - no backups
   */
  readonly backupSelector?: Readonly<Record<string, string>>;
  /**
   * An external database the controller and backups reach.
   * @default - none
   */
  readonly externalDatabase?: EgressTarget;
  /**
   * The Kubernetes API server (policies match the endpoint addresses after the Service's DNAT).
   * @default - any address on 443 and 6443
   */
  readonly apiServer?: EgressTarget;
  /**
   * OpenStack endpoints (Keystone, Neutron, Nova, Contrabass) the controller calls.
   * @default - any address on 443, 5000, 8774 and 9696
   */
  readonly openstack?: readonly EgressTarget[];
  /**
   * More egress for the controller (Viola, remote workload clusters' API servers).
   * @default - none
   */
  readonly extraControllerEgress?: readonly EgressTarget[];
  /** Cluster DNS. @default - kube-dns pods in kube-system, UDP and TCP 53 */
  readonly dns?: DnsProps;
  /**
   * Namespaces (by label) allowed to reach the metrics/health and inventory ports.
   * @default - every namespace
   */
  readonly metricsFromNamespaceLabels?: Readonly<Record<string, string>>;
}

const ANYWHERE = ['0.0.0.0/0', '::/0'];

export class SystemNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: SystemNetworkPoliciesProps) {
    super(scope, id);
    const who = 'SystemNetworkPolicies';
    const common = resolveCommon(who, props);
    const labels = {
      ...appLabels({ name: 'multinic-network-policy', instance: common.instance }),
      ...common.labels,
    };
    const policy = (name: string, spec: NetworkPolicySpec) =>
      new KubeNetworkPolicy(this, name, {
        metadata: metadata({
          name: `${common.instance}-${name}`,
          namespace: common.namespace,
          labels,
          annotations: common.annotations,
        }),
        spec,
      });

    const checkTarget = (prop: string, target: EgressTarget): EgressTarget => {
      if (target.cidrs.length === 0) fail(who, `${prop}.cidrs`, [], 'at least one CIDR');
      if (target.ports.length === 0) fail(who, `${prop}.ports`, [], 'at least one port');
      target.cidrs.forEach((cidr, index) => checkCidr(who, `${prop}.cidrs[${index}]`, cidr));
      target.ports.forEach((port, index) => checkInt(who, `${prop}.ports[${index}]`, port, 1, 65535));
      return target;
    };
    const egressTo = (target: EgressTarget) => ({
      to: target.cidrs.map((cidr): NetworkPolicyPeer => ({ ipBlock: { cidr } })),
      ports: target.ports.map((port): NetworkPolicyPort => ({
        protocol: 'TCP',
        port: IntOrString.fromNumber(port),
      })),
    });
    const dnsNamespace = checkDnsLabel(who, 'dns.namespace', props.dns?.namespace ?? 'kube-system');
    const dnsPorts: NetworkPolicyPort[] = [
      { protocol: 'UDP', port: IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: IntOrString.fromNumber(53) },
    ];
    const dnsEgress = {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dnsNamespace } },
          podSelector: { matchLabels: { ...(props.dns?.podLabels ?? { 'k8s-app': 'kube-dns' }) } },
        },
        ...(props.dns?.cidrs ?? []).map((cidr, index): NetworkPolicyPeer => ({
          ipBlock: { cidr: checkCidr(who, `dns.cidrs[${index}]`, cidr) },
        })),
      ],
      ports: dnsPorts,
    };
    const apiServer = egressTo(
      checkTarget('apiServer', props.apiServer ?? { cidrs: ANYWHERE, ports: [443, 6443] }),
    );
    const openstack = (props.openstack ?? [{ cidrs: ANYWHERE, ports: [443, 5000, 8774, 9696] }]).map(
      (target, index) => egressTo(checkTarget(`openstack[${index}]`, target)),
    );
    const extra = (props.extraControllerEgress ?? []).map((target, index) =>
      egressTo(checkTarget(`extraControllerEgress[${index}]`, target)),
    );
    const metricsPeer: NetworkPolicyPeer = {
      namespaceSelector: { matchLabels: { ...(props.metricsFromNamespaceLabels ?? {}) } },
    };
    const tcp = (port: number): NetworkPolicyPort => ({
      protocol: 'TCP',
      port: IntOrString.fromNumber(port),
    });

    const databaseEgress = [];
    if (props.databaseSelector !== undefined) {
      databaseEgress.push({
        to: [{ podSelector: { matchLabels: { ...props.databaseSelector } } }],
        ports: [tcp(MYSQL_PORT)],
      });
    }
    if (props.externalDatabase !== undefined)
      databaseEgress.push(egressTo(checkTarget('externalDatabase', props.externalDatabase)));

    policy('default-deny', {
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/instance': common.instance,
          'app.kubernetes.io/part-of': 'multinic',
        },
      },
      policyTypes: ['Ingress', 'Egress'],
    });

    policy('controller', {
      podSelector: { matchLabels: { ...props.controllerSelector } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [metricsPeer], ports: [tcp(HEALTH_PORT), tcp(INVENTORY_PORT)] }],
      egress: [dnsEgress, apiServer, ...databaseEgress, ...openstack, ...extra],
    });

    policy('agent-controller', {
      podSelector: { matchLabels: { ...props.agentControllerSelector } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [metricsPeer], ports: [tcp(HEALTH_PORT)] }],
      egress: [dnsEgress, apiServer],
    });

    if (props.databaseSelector !== undefined) {
      const clients: NetworkPolicyPeer[] = [
        { podSelector: { matchLabels: { ...props.controllerSelector } } },
      ];
      if (props.backupSelector !== undefined)
        clients.push({ podSelector: { matchLabels: { ...props.backupSelector } } });
      policy('mariadb', {
        podSelector: { matchLabels: { ...props.databaseSelector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: clients, ports: [tcp(MYSQL_PORT)] }],
        egress: [],
      });
    }

    if (props.backupSelector !== undefined) {
      policy('db-backup', {
        podSelector: { matchLabels: { ...props.backupSelector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [dnsEgress, ...databaseEgress],
      });
    }
  }
}
