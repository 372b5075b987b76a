// Writes `/status` only when it changed (timestamps alone are not a change), as a minimal
// JSON merge patch so fields other writers own are kept.
//
// API:
//   patchStatus(http, obj, desiredStatus, { fieldManager?, force? }): Promise<{ written: boolean; object }>
//        obj: the observed object (with its current status); desiredStatus: the full status we want.
//        Skips the request when statusChanged(obj.status, desired) is false unless force.
//   mergePatchFor(observed, desired): unknown     minimal RFC 7386 patch (null deletes a key; arrays replaced)
import { mergePatchObject } from './apply.js';
import { statusChanged } from './conditions.js';
import type { KubeHttp } from './http.js';
import { refOf, type KubeObject } from './types.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function mergePatchFor(observed: unknown, desired: unknown): unknown {
  if (!isPlainObject(observed) || !isPlainObject(desired)) return desired;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(observed)) {
    if (!(key in desired) || desired[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(desired)) {
    if (value === undefined) continue;
    const before = observed[key];
    if (isPlainObject(before) && isPlainObject(value)) {
      const nested = mergePatchFor(before, value);
      if (isPlainObject(nested) && Object.keys(nested).length > 0) patch[key] = nested;
    } else if (JSON.stringify(before) !== JSON.stringify(value)) {
      patch[key] = value;
    }
  }
  return patch;
}

export interface PatchStatusOptions {
  fieldManager?: string;
  /** Write even if only timestamps changed. @default false */
  force?: boolean;
}

export async function patchStatus<T extends KubeObject>(
  http: KubeHttp,
  obj: T,
  desired: Record<string, unknown>,
  options: PatchStatusOptions = {},
): Promise<{ written: boolean; object: T }> {
  const observed = (obj['status'] ?? {}) as Record<string, unknown>;
  if (!options.force && !statusChanged(observed, desired)) return { written: false, object: obj };
  const patch = { status: mergePatchFor(observed, desired) };
  const object = await mergePatchObject<T>(http, refOf(obj), patch, {
    subresource: 'status',
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
  });
  return { written: true, object };
}
