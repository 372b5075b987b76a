// One Prometheus registry per process. Every subsystem registers its metrics here (through
// `counter`, `gauge`, `histogram`), so /metrics shows everything and tests can reset it.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';

export const registry = new Registry();

let defaultMetricsEnabled = false;
/** Adds the process metrics (RSS, CPU, event-loop lag); called once by long-running roles. */
export function enableProcessMetrics(): void {
  if (defaultMetricsEnabled) return;
  defaultMetricsEnabled = true;
  collectDefaultMetrics({ register: registry });
}

// Metrics are created at module load by many modules; asking twice for one name returns the
// first instance instead of throwing, which keeps hot-reloading test workers working.
function existing<T>(name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

export function counter<L extends string = string>(
  config: Omit<CounterConfiguration<L>, 'registers'>,
): Counter<L> {
  return existing<Counter<L>>(config.name) ?? new Counter<L>({ ...config, registers: [registry] });
}

export function gauge<L extends string = string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return existing<Gauge<L>>(config.name) ?? new Gauge<L>({ ...config, registers: [registry] });
}

export function histogram<L extends string = string>(
  config: Omit<HistogramConfiguration<L>, 'registers'>,
): Histogram<L> {
  return existing<Histogram<L>>(config.name) ?? new Histogram<L>({ ...config, registers: [registry] });
}

/** Latency buckets (seconds) for calls to other services: 1 ms .. 30 s. */
export const CALL_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
