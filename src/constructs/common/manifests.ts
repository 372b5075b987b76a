// Plain-object output of constructs, for the operator (which applies them at runtime) and
// tests: no YAML and no files, just `Chart.toJson()` in construct order.
import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';

/** A Kubernetes object as plain JSON. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** The manifests of one chart, in construct order (which is deterministic). */
export function chartManifests(chart: Chart): KubeManifest[] {
  return chart.toJson() as KubeManifest[];
}

/** The manifests of every chart of `app`, chart after chart. */
export function appManifests(app: App): KubeManifest[] {
  return app.charts.flatMap((chart) => chartManifests(chart));
}

/**
 * Builds `build(chart)` in a throw-away in-memory App and returns its manifests: the fast
 * runtime path (no synth to disk, no YAML).
 */
export function manifestsOf(build: (scope: Construct) => void, namespace?: string): KubeManifest[] {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'render', namespace === undefined ? {} : { namespace });
  build(chart);
  return chartManifests(chart);
}
