// MariaDB for the controller (docs/operations.md#backup-and-restore): a one-replica StatefulSet with a PVC
// template, headless + client Services, a PodDisruptionBudget, and probes that carry no
// password (the image's `healthcheck.sh` uses the healthcheck user it creates in the data dir).
//
// Credentials: the Secret `<instance>-db-credentials` (keys in DB_SECRET_KEYS) is mounted as
// files and handed to the image through `MARIADB_*_PASSWORD_FILE`, so no password is ever in a
// manifest, an env value or an argv. The construct renders that Secret only when it is given
// the values (`credentials`); otherwise it expects the Secret to exist: the operator creates it
// once with random passwords when absent (never overwriting it), and GitOps users create it
// themselves (README). `databaseSecretManifest` builds it in the expected shape.
import { ApiObject } from 'cdk8s';
import {
  IntOrString,
  KubePodDisruptionBudget,
  KubeService,
  KubeStatefulSet,
  Quantity,
  type Probe,
} from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import { DATABASE_SECRET_KEYS } from '../../api/multinic-operator.js';
import { appLabels, selectorLabels } from '../common/labels.js';
import { metadata } from '../common/rbac.js';
import { restrictedPodSecurityContext } from '../common/security.js';
import {
  checkDnsLabel,
  checkImage,
  checkInt,
  checkNonEmpty,
  checkOneOf,
  checkQuantity,
  fail,
} from '../common/validate.js';
import {
  MYSQL_PORT,
  resolveCommon,
  resourcesOf,
  type CommonProps,
  type ContainerResources,
} from '../common/workload.js';

/** Keys of the database credentials Secret (the operator generates `root-password` and `password`). */
export const DB_SECRET_KEYS = DATABASE_SECRET_KEYS;

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];

/** Where the credentials Secret is mounted in the MariaDB container. */
const CREDENTIALS_DIR = '/etc/mariadb-credentials';
/** UID/GID of the `mysql` user in the official MariaDB image. */
const MYSQL_UID = 999;

export interface MariaDbServiceProps {
  /** @default 'ClusterIP' */
  readonly type?: ServiceType;
  /** Service port (the container always listens on 3306). @default 3306 */
  readonly port?: number;
  /** Node port, only with type NodePort. @default - allocated by Kubernetes */
  readonly nodePort?: number;
}

export interface MariaDbProps extends CommonProps {
  /**
   * MariaDB image (10.11 or newer: it ships `healthcheck.sh` and supports `*_FILE` env vars).
   * @default 'mariadb:10.11'
   */
  readonly image?: string;
  /**
   * Size of the data volume.
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the data volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * CPU/memory of the MariaDB container.
   * @default - requests 100m/256Mi, limits 1/512Mi
   */
  readonly resources?: ContainerResources;
  /**
   * Schema created at first start.
   * @default 'multinic'
   */
  readonly database?: string;
  /**
   * Application user created at first start.
   * @default 'multinic'
   */
  readonly user?: string;
  /**
   * Name of the credentials Secret (keys `root-password`, `password`).
   * @default '<instance>-db-credentials'
   */
  readonly credentialsSecretName?: string;
  /**
   * Password values: when given, the construct renders the Secret (tests, external secret
   * tooling that templates manifests). Never put real passwords in a committed chart.
   * @default - no Secret rendered: it must exist (the operator creates it when absent)
   */
  readonly credentials?: { readonly rootPassword: string; readonly password: string };
  /**
   * The client Service.
   * @default - ClusterIP on port 3306
   */
  readonly service?: MariaDbServiceProps;
  /**
   * Keep the data volume when the StatefulSet is deleted or scaled down.
   * @default true
   */
  readonly retainData?: boolean;
}

/** Requests and limits when `resources` is not given. */
export const MARIADB_DEFAULT_RESOURCES = {
  requests: { cpu: '100m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
} as const satisfies Required<ContainerResources>;

/** Name of the generated database credentials Secret of the MultiNicSystem `instance`. */
export function defaultCredentialsSecretName(instance: string): string {
  return `${instance}-db-credentials`;
}

export class MariaDb extends Construct {
  public readonly statefulSet: KubeStatefulSet;
  public readonly service: KubeService;
  /** In-cluster DNS name of the client Service. */
  public readonly host: string;
  public readonly port: number;
  public readonly database: string;
  public readonly user: string;
  public readonly credentialsSecretName: string;
  public readonly podSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: MariaDbProps = {}) {
    super(scope, id);
    const who = 'MariaDb';
    const common = resolveCommon(who, props);
    const image = checkImage(who, 'image', props.image ?? 'mariadb:10.11');
    const storageSize = checkQuantity(who, 'storageSize', props.storageSize ?? '10Gi');
    const serviceType = checkOneOf(who, 'service.type', props.service?.type ?? 'ClusterIP', SERVICE_TYPES);
    this.port = checkInt(who, 'service.port', props.service?.port ?? MYSQL_PORT, 1, 65535);
    const nodePort = props.service?.nodePort;
    if (nodePort !== undefined) {
      if (serviceType !== 'NodePort')
        fail(who, 'service.nodePort', nodePort, "unset unless 'service.type' is NodePort");
      checkInt(who, 'service.nodePort', nodePort, 30000, 32767);
    }
    this.database = checkNonEmpty(who, 'database', props.database ?? 'multinic');
    this.user = checkNonEmpty(who, 'user', props.user ?? 'multinic');
    if (this.user === 'root') fail(who, 'user', this.user, "an application user other than 'root'");
    this.credentialsSecretName = checkDnsLabel(
      who,
      'credentialsSecretName',
      props.credentialsSecretName ?? defaultCredentialsSecretName(common.instance),
    );
    if (props.storageClassName !== undefined) checkDnsLabel(who, 'storageClassName', props.storageClassName);

    const name = `${common.instance}-mariadb`;
    const headlessName = `${name}-headless`;
    this.host = `${name}.${common.namespace}.svc`;
    const labelOptions = { name: 'mariadb', instance: common.instance, component: 'database' } as const;
    const labels = { ...appLabels(labelOptions), ...common.labels };
    this.podSelector = selectorLabels(labelOptions);
    const meta = { name, namespace: common.namespace, labels, annotations: common.annotations };

    if (props.credentials !== undefined) {
      checkNonEmpty(who, 'credentials.rootPassword', props.credentials.rootPassword);
      checkNonEmpty(who, 'credentials.password', props.credentials.password);
      const manifest = databaseSecretManifest({
        name: this.credentialsSecretName,
        namespace: common.namespace,
        labels,
        user: this.user,
        database: this.database,
        rootPassword: props.credentials.rootPassword,
        password: props.credentials.password,
      });
      new ApiObject(this, 'secret', manifest);
    }

    const healthcheck = (
      initialDelaySeconds: number,
      periodSeconds: number,
      failureThreshold: number,
    ): Probe => ({
      exec: { command: ['healthcheck.sh', '--connect', '--innodb_initialized'] },
      // 0 is the API server's default and it does not store it (omitempty): rendering it would
      // make every reconcile see drift and re-apply the StatefulSet.
      ...(initialDelaySeconds > 0 ? { initialDelaySeconds } : {}),
      periodSeconds,
      timeoutSeconds: 5,
      failureThreshold,
    });

    new KubeService(this, 'headless', {
      metadata: metadata({ ...meta, name: headlessName }),
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: { ...this.podSelector },
        ports: [
          { name: 'mysql', port: MYSQL_PORT, targetPort: IntOrString.fromString('mysql'), protocol: 'TCP' },
        ],
      },
    });

    this.statefulSet = new KubeStatefulSet(this, 'stateful-set', {
      metadata: metadata(meta),
      spec: {
        serviceName: headlessName,
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: { ...this.podSelector } },
        persistentVolumeClaimRetentionPolicy:
          (props.retainData ?? true)
            ? { whenDeleted: 'Retain', whenScaled: 'Retain' }
            : { whenDeleted: 'Delete', whenScaled: 'Delete' },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(MYSQL_UID, MYSQL_UID),
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'mariadb',
                image,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  {
                    name: 'MARIADB_ROOT_PASSWORD_FILE',
                    value: `${CREDENTIALS_DIR}/${DB_SECRET_KEYS.rootPassword}`,
                  },
                  { name: 'MARIADB_PASSWORD_FILE', value: `${CREDENTIALS_DIR}/${DB_SECRET_KEYS.password}` },
                  { name: 'MARIADB_USER', value: this.user },
                  { name: 'MARIADB_DATABASE', value: this.database },
                  // Runs mariadb-upgrade after an image upgrade and (re)creates the healthcheck user.
                  { name: 'MARIADB_AUTO_UPGRADE', value: '1' },
                ],
                ports: [{ name: 'mysql', containerPort: MYSQL_PORT, protocol: 'TCP' }],
                startupProbe: healthcheck(10, 10, 30),
                livenessProbe: healthcheck(0, 10, 3),
                readinessProbe: healthcheck(0, 5, 3),
                resources: resourcesOf(who, props.resources, MARIADB_DEFAULT_RESOURCES),
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
                terminationMessagePolicy: 'FallbackToLogsOnError',
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/mysql' },
                  { name: 'run', mountPath: '/run/mysqld' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'credentials', mountPath: CREDENTIALS_DIR, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              {
                name: 'credentials',
                secret: {
                  secretName: this.credentialsSecretName,
                  // Group-readable: the files are owned by root with group fsGroup (mysql).
                  defaultMode: 0o440,
                  items: [
                    { key: DB_SECRET_KEYS.rootPassword, path: DB_SECRET_KEYS.rootPassword },
                    { key: DB_SECRET_KEYS.password, path: DB_SECRET_KEYS.password },
                  ],
                },
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: { ...this.podSelector } },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(props.storageClassName === undefined ? {} : { storageClassName: props.storageClassName }),
              resources: { requests: { storage: Quantity.fromString(storageSize) } },
            },
          },
        ],
      },
    });

    this.service = new KubeService(this, 'service', {
      metadata: metadata(meta),
      spec: {
        type: serviceType,
        selector: { ...this.podSelector },
        ports: [
          {
            name: 'mysql',
            port: this.port,
            targetPort: IntOrString.fromString('mysql'),
            protocol: 'TCP',
            ...(nodePort === undefined ? {} : { nodePort }),
          },
        ],
      },
    });

    // One replica: a voluntary eviction (drain) would take the database down, so it waits for
    // an operator decision; an unhealthy pod may still be evicted.
    new KubePodDisruptionBudget(this, 'pdb', {
      metadata: metadata(meta),
      spec: {
        minAvailable: IntOrString.fromNumber(1),
        selector: { matchLabels: { ...this.podSelector } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  }
}

export interface DatabaseSecretOptions {
  readonly name: string;
  readonly namespace: string;
  readonly rootPassword: string;
  readonly password: string;
  /** @default 'multinic' */
  readonly user?: string;
  /** @default 'multinic' */
  readonly database?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** The credentials Secret in the shape MariaDb, the controller and the backup expect. */
export function databaseSecretManifest(options: DatabaseSecretOptions): {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  type: 'Opaque';
  stringData: Record<string, string>;
} {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: options.name, namespace: options.namespace, labels: { ...options.labels } },
    type: 'Opaque',
    stringData: {
      [DB_SECRET_KEYS.database]: options.database ?? 'multinic',
      [DB_SECRET_KEYS.password]: options.password,
      [DB_SECRET_KEYS.rootPassword]: options.rootPassword,
      [DB_SECRET_KEYS.user]: options.user ?? 'multinic',
    },
  };
}
