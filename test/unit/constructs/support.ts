// Helpers for the construct tests: render constructs into plain manifests and find objects.
import type { Construct } from 'constructs';
import { manifestsOf, type KubeManifest } from '../../../src/constructs/common/manifests.js';

export function render(build: (scope: Construct) => void): KubeManifest[] {
  return manifestsOf(build);
}

export function find(manifests: KubeManifest[], kind: string, name?: string): KubeManifest {
  const found = manifests.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found === undefined) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`no ${kind}${name === undefined ? '' : `/${name}`} among: ${have}`);
  }
  return found;
}

export function all(manifests: KubeManifest[], kind: string): KubeManifest[] {
  return manifests.filter((m) => m.kind === kind);
}

/** Loose property access for assertions on plain manifests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dig(value: unknown, ...path: (string | number)[]): any {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || current === undefined) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  [key: string]: unknown;
}

export function podSpec(manifest: KubeManifest): Record<string, unknown> {
  if (manifest.kind === 'CronJob') return dig(manifest, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
  return dig(manifest, 'spec', 'template', 'spec');
}

export function containers(manifest: KubeManifest): Container[] {
  return podSpec(manifest).containers as Container[];
}

export function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}
