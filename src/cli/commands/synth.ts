// `multinic synth [--output dir] [--image ref]`: writes the three charts exactly as
// `npx cdk8s synth` does (charts/main.ts calls `buildApp` too): install, system, samples.
import { parseArgs } from 'node:util';
import { ApiObject, App, Chart } from 'cdk8s';
import { parseMultiNicOperator } from '../../api/multinic-operator.js';
import { allSamples } from '../../api/samples.js';
import { MultiNicCrds } from '../../constructs/crds/multinic-crds.js';
import { MultiNicOperatorInstall } from '../../constructs/operator/operator-install.js';
import { MultiNicSystem } from '../../constructs/system/multinic-system.js';
import { systemPropsFromSpec } from '../../operator/render.js';

export interface BuildAppOptions {
  /**
   * Output directory of `app.synth()`.
   * @default - CDK8S_OUTDIR, else 'dist'
   */
  readonly outdir?: string;
  /**
   * Image of every role.
   * @default 'ghcr.io/multinic/multinic:<package version>'
   */
  readonly image?: string;
}

/**
 * The App of the three charts: `install` (CRDs + operator), `system` (the MultiNicSystem the
 * operator applies for the sample MultiNicOperator, for review/diff and operator-less GitOps)
 * and `samples` (one valid CR of each kind).
 */
export function buildApp(options: BuildAppOptions = {}): App {
  const app = new App(options.outdir === undefined ? {} : { outdir: options.outdir });
  const image = options.image === undefined ? {} : { image: options.image };

  const install = new Chart(app, 'install');
  new MultiNicCrds(install, 'crds');
  new MultiNicOperatorInstall(install, 'operator', image);

  const system = new Chart(app, 'system');
  const sample = parseMultiNicOperator(allSamples()[0]);
  new MultiNicSystem(system, 'system', systemPropsFromSpec(sample, image));

  const samples = new Chart(app, 'samples');
  for (const resource of allSamples()) {
    const { apiVersion, kind, metadata, ...rest } = resource as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
    };
    new ApiObject(samples, `${kind}-${metadata.name}`, { apiVersion, kind, metadata, ...rest });
  }
  return app;
}

const USAGE = 'usage: multinic synth [--output DIR] [--image IMAGE]';

export async function run(args: string[]): Promise<number> {
  let values: { output?: string | undefined; image?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        output: { type: 'string', short: 'o' },
        image: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`multinic synth: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const app = buildApp({
    ...(values.output === undefined ? {} : { outdir: values.output }),
    ...(values.image === undefined ? {} : { image: values.image }),
  });
  app.synth();
  const files = app.charts.map((chart) => `${app.outdir}/${chart.node.id}.k8s.yaml`);
  console.log(`multinic synth: wrote ${files.join(', ')}`);
  return 0;
}
