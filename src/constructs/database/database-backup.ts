// Scheduled logical backups of the controller's MariaDB: a CronJob running
// `multinic db backup` (consistent dump, gzip, manifest, retention: src/db/backup.ts) into a
// PersistentVolumeClaim. The password is read from the mounted credentials Secret file.
import { KubeCronJob, KubePersistentVolumeClaim, Quantity } from 'cdk8s-plus-28/lib/imports/k8s.js';
import { Construct } from 'constructs';
import {
  checkConnection,
  databaseEnv,
  databaseMount,
  databaseUrl,
  databaseVolume,
  type DatabaseConnection,
} from './connection.js';
import { appLabels, selectorLabels } from '../common/labels.js';
import { boundedName } from '../common/names.js';
import { metadata } from '../common/rbac.js';
import {
  NODE_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../common/security.js';
import {
  checkCron,
  checkDnsLabel,
  checkDnsSubdomain,
  checkInt,
  checkQuantity,
  fail,
} from '../common/validate.js';
import {
  resolveCommon,
  resolveImage,
  resourcesOf,
  type CommonProps,
  type ContainerResources,
  type ImageProps,
} from '../common/workload.js';

const BACKUP_DIR = '/backups';

export interface DatabaseBackupProps extends CommonProps, ImageProps {
  /** The database to back up (its password Secret is mounted as a file). */
  readonly database: DatabaseConnection;
  /**
   * Cron schedule (5 fields, in `timeZone`).
   * @default '0 3 * * *'
   */
  readonly schedule?: string;
  /**
   * IANA time zone of the schedule.
   * @default - the kube-controller-manager's time zone (usually UTC)
   */
  readonly timeZone?: string;
  /**
   * Number of newest backups kept; older ones are deleted after a successful backup.
   * @default 7
   */
  readonly retention?: number;
  /**
   * Size of the backup volume (ignored with `existingClaim`).
   * @default '10Gi'
   */
  readonly storageSize?: string;
  /**
   * StorageClass of the backup volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Use this existing PVC instead of creating one.
   * @default - a PVC '<instance>-db-backups' is created
   */
  readonly existingClaim?: string;
  /**
   * CPU/memory of the backup container.
   * @default - requests 50m/128Mi, limits 1/512Mi
   */
  readonly resources?: ContainerResources;
}

export class DatabaseBackup extends Construct {
  public readonly cronJob: KubeCronJob;
  public readonly claimName: string;
  public readonly podSelector: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const who = 'DatabaseBackup';
    const common = resolveCommon(who, props);
    const image = resolveImage(who, props);
    const schedule = checkCron(who, 'schedule', props.schedule ?? '0 3 * * *');
    const retention = checkInt(who, 'retention', props.retention ?? 7, 1, 1000);
    const storageSize = checkQuantity(who, 'storageSize', props.storageSize ?? '10Gi');
    if (props.timeZone !== undefined && !/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(props.timeZone)) {
      fail(who, 'timeZone', props.timeZone, "an IANA time zone such as 'UTC' or 'Europe/Berlin'");
    }
    checkConnection(who, props.database);
    // CronJob names are limited to 52 characters (the controller appends an 11-character suffix).
    const name = boundedName([common.instance, 'db-backup'], 52);
    const labelOptions = {
      name: 'multinic-db-backup',
      instance: common.instance,
      component: 'backup',
    } as const;
    const labels = { ...appLabels(labelOptions), ...common.labels };
    this.podSelector = selectorLabels(labelOptions);
    const meta = { name, namespace: common.namespace, labels, annotations: common.annotations };

    if (props.existingClaim !== undefined) {
      this.claimName = checkDnsSubdomain(who, 'existingClaim', props.existingClaim);
    } else {
      this.claimName = `${common.instance}-db-backups`;
      if (props.storageClassName !== undefined)
        checkDnsLabel(who, 'storageClassName', props.storageClassName);
      new KubePersistentVolumeClaim(this, 'claim', {
        metadata: metadata({ ...meta, name: this.claimName }),
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(props.storageClassName === undefined ? {} : { storageClassName: props.storageClassName }),
          resources: { requests: { storage: Quantity.fromString(storageSize) } },
        },
      });
    }

    this.cronJob = new KubeCronJob(this, 'cron-job', {
      metadata: metadata(meta),
      spec: {
        schedule,
        ...(props.timeZone === undefined ? {} : { timeZone: props.timeZone }),
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 3600,
            ttlSecondsAfterFinished: 86_400,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: restrictedPodSecurityContext(NODE_UID, NODE_UID),
                ...(image.imagePullSecrets ? { imagePullSecrets: image.imagePullSecrets } : {}),
                containers: [
                  {
                    name: 'backup',
                    image: image.image,
                    imagePullPolicy: image.imagePullPolicy,
                    // DB_USER first: the URL may refer to it as $(DB_USER).
                    env: databaseEnv(props.database).filter((v) => v.name === 'DB_USER'),
                    args: [
                      'db',
                      'backup',
                      '--url',
                      databaseUrl(props.database),
                      '--dir',
                      BACKUP_DIR,
                      '--retention',
                      String(retention),
                    ],
                    resources: resourcesOf(who, props.resources, {
                      requests: { cpu: '50m', memory: '128Mi' },
                      limits: { cpu: '1', memory: '512Mi' },
                    }),
                    securityContext: restrictedContainerSecurityContext(),
                    terminationMessagePolicy: 'FallbackToLogsOnError',
                    volumeMounts: [
                      { name: 'backups', mountPath: BACKUP_DIR },
                      { name: 'tmp', mountPath: '/tmp' },
                      databaseMount(),
                    ],
                  },
                ],
                volumes: [
                  { name: 'backups', persistentVolumeClaim: { claimName: this.claimName } },
                  { name: 'tmp', emptyDir: {} },
                  databaseVolume(props.database),
                ],
              },
            },
          },
        },
      },
    });
  }
}
