// The four MultiNic CustomResourceDefinitions, generated from the zod schemas in src/api.
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { crdManifests } from '../../api/crds.js';
import { fail } from '../common/validate.js';

export interface MultiNicCrdsProps {
  /**
   * The CRD objects to render (plain `apiextensions.k8s.io/v1` manifests).
   * @default - `crdManifests()` from src/api: MultiNicOperator, OpenstackConfig, MultiNicNodeConfig, MultiNicBizConfig
   */
  readonly crds?: readonly Record<string, unknown>[];
  /**
   * Extra labels on every CRD.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export class MultiNicCrds extends Construct {
  /** The rendered CRD objects, in input order. */
  public readonly crds: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: MultiNicCrdsProps = {}) {
    super(scope, id);
    const manifests = props.crds ?? crdManifests();
    this.crds = manifests.map((manifest, index) => {
      const { apiVersion, kind, metadata, ...rest } = manifest as {
        apiVersion?: unknown;
        kind?: unknown;
        metadata?: { name?: unknown; labels?: Record<string, string> };
      };
      if (apiVersion !== 'apiextensions.k8s.io/v1' || kind !== 'CustomResourceDefinition') {
        fail(
          'MultiNicCrds',
          `crds[${index}]`,
          `${String(apiVersion)}/${String(kind)}`,
          'an apiextensions.k8s.io/v1 CustomResourceDefinition',
        );
      }
      const name = metadata?.name;
      if (typeof name !== 'string' || name.length === 0) {
        fail(
          'MultiNicCrds',
          `crds[${index}].metadata.name`,
          name,
          'a non-empty string such as "multinicoperators.multinic.example.com"',
        );
      }
      return new ApiObject(this, name, {
        apiVersion,
        kind,
        metadata: {
          ...metadata,
          name,
          labels: { ...metadata?.labels, 'app.kubernetes.io/part-of': 'multinic', ...props.labels },
        },
        ...rest,
      });
    });
  }
}
