// The agent namespace is Pod Security `privileged` (host network, NET_ADMIN, hostPath), so
// whoever can create a Job or Pod there could otherwise run anything as root on any node — the
// agent-controller's token, for one, may create Jobs there. This ValidatingAdmissionPolicy pins
// every Pod and Job in that namespace to the agent's template (see agent-job.ts):
//   - images from the allowed repositories only (the install's own image by default),
//   - no `command` override and `agent` as the first argument (the image's `multinic` entrypoint),
//   - hostPath volumes only for the OS network-configuration directories and /etc/os-release,
//   - never privileged, no privilege escalation, no capability beyond NET_ADMIN,
//   - no host PID/IPC namespaces.
// Evaluated inside the API server (no webhook to go down); it binds by namespace name, so it
// touches nothing outside the agent namespace.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { HOST_PATHS } from '../agent/agent-job.js';
import { cel, celList } from '../common/cel.js';
import { boundedName } from '../common/names.js';
import { checkDnsLabel, checkNonEmpty, fail } from '../common/validate.js';

export interface AgentNamespacePolicyProps {
  /** The privileged namespace of the agent Jobs. */
  readonly agentNamespace: string;
  /**
   * Image repositories (without tag or digest) the agent may run from, e.g.
   * `ghcr.io/example/multinic`. A MultiNicOperator whose `agent.image` is elsewhere gets Jobs
   * refused with this policy's message.
   */
  readonly imageRepositories: readonly string[];
  /** @default - `multinic-agent-namespace-<agentNamespace>` */
  readonly policyName?: string;
  /** @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Every hostPath the agent Job template may mount. */
export const AGENT_HOST_PATHS: readonly string[] = [
  '/etc/os-release',
  ...new Set(Object.values(HOST_PATHS).flat()),
].sort();

/** Repository of an image reference: the part before `@digest` or the last `:tag`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

export class AgentNamespacePolicy extends Construct {
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: AgentNamespacePolicyProps) {
    super(scope, id);
    const who = 'AgentNamespacePolicy';
    const namespace = checkDnsLabel(who, 'agentNamespace', props.agentNamespace);
    if (props.imageRepositories.length === 0) fail(who, 'imageRepositories', [], 'at least one repository');
    const repositories = [
      ...new Set(props.imageRepositories.map((r, i) => checkNonEmpty(who, `imageRepositories[${i}]`, r))),
    ];
    this.policyName = checkDnsLabel(
      who,
      'policyName',
      props.policyName ?? boundedName(['multinic-agent-namespace', namespace]),
    );
    const labels = { ...props.labels };
    const imageAllowed = repositories
      .map((repo) => `c.image.startsWith(${cel(`${repo}:`)}) || c.image.startsWith(${cel(`${repo}@`)})`)
      .join(' || ');

    new ApiObject(this, 'policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: this.policyName, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
            {
              apiGroups: ['batch'],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['jobs'],
            },
          ],
        },
        variables: [
          {
            name: 'spec',
            expression: "request.resource.resource == 'jobs' ? object.spec.template.spec : object.spec",
          },
          {
            name: 'containers',
            expression:
              'variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : [])',
          },
        ],
        validations: [
          {
            expression: `variables.containers.all(c, ${imageAllowed})`,
            message: `agent namespace ${namespace}: only agent images from ${repositories.join(', ')} may run here`,
          },
          {
            expression:
              "variables.containers.all(c, !has(c.command) && has(c.args) && size(c.args) > 0 && c.args[0] == 'agent')",
            message: `agent namespace ${namespace}: containers must run the image's entrypoint with 'agent' as first argument`,
          },
          {
            expression: `!has(variables.spec.volumes) || variables.spec.volumes.all(v, !has(v.hostPath) || v.hostPath.path in ${celList(AGENT_HOST_PATHS)})`,
            message: `agent namespace ${namespace}: hostPath volumes are limited to ${AGENT_HOST_PATHS.join(', ')}`,
          },
          {
            expression:
              "variables.containers.all(c, !has(c.securityContext) || ((!has(c.securityContext.privileged) || !c.securityContext.privileged) && (!has(c.securityContext.allowPrivilegeEscalation) || !c.securityContext.allowPrivilegeEscalation) && (!has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(cap, cap == 'NET_ADMIN'))))",
            message: `agent namespace ${namespace}: no privileged containers, no privilege escalation, no capability but NET_ADMIN`,
          },
          {
            expression:
              '(!has(variables.spec.hostPID) || !variables.spec.hostPID) && (!has(variables.spec.hostIPC) || !variables.spec.hostIPC)',
            message: `agent namespace ${namespace}: host PID and IPC namespaces are not allowed`,
          },
        ],
      },
    });
    new ApiObject(this, 'binding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: this.policyName, labels },
      spec: {
        policyName: this.policyName,
        validationActions: ['Deny'],
        matchResources: {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
        },
      },
    });
  }
}
