// Writes counted by the API server itself, from its /metrics (no vitest here: benchmarks use it
// too). apiserver_request_total is labelled by verb, resource and subresource, never by user:
// it counts every client's writes.
import type { KubeHttp } from '../../src/kube/http.js';

/** The verbs apiserver_request_total reports for requests that change state. */
export const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION'] as const;

/** One sample line: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string, metric: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const open = line.indexOf('{');
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    if (open >= 0 && close > open) {
      for (const match of line
        .slice(open + 1, close)
        .matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
        labels[match[1] as string] = match[2] as string;
    }
    const value = Number(
      line
        .slice(close >= 0 ? close + 1 : line.indexOf(' '))
        .trim()
        .split(' ')[0],
    );
    out.push({ name: metric, labels, value });
  }
  return out;
}

async function metricsText(http: KubeHttp): Promise<string> {
  return http.getText('/metrics');
}

/** apiserver_request_total of write verbs, keyed `VERB resource[/subresource]`. */
export async function requestTotals(http: KubeHttp): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const sample of parseMetrics(await metricsText(http), 'apiserver_request_total')) {
    const verb = sample.labels['verb'] ?? '';
    if (!(WRITE_VERBS as readonly string[]).includes(verb)) continue;
    const sub = sample.labels['subresource'];
    const key = `${verb} ${sample.labels['resource'] ?? ''}${sub ? `/${sub}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + sample.value);
  }
  return out;
}

/** `after - before`, only the keys that grew. */
export function grown(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta > 0) out.set(key, delta);
  }
  return out;
}
