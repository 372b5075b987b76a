// Golden files of the real services (./real/*.json, written by capture.ts) and how the
// simulator's answers are compared with them: same status, same headers that matter, same
// structure (keys, value types, list lengths), same links and error texts; never ids, times
// or URLs of the machine they were captured on.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GenerateFixtureOptions } from '../../../../src/openstack/simulator/fixture.js';

/** The world both the real instance and the simulator hold (the tool's default fixture). */
export const GOLDEN_FIXTURE: GenerateFixtureOptions = { vms: 3, portsPerVm: 3 };

export type GoldenService = 'identity' | 'network' | 'compute';

export interface Golden {
  request: {
    service: GoldenService;
    method: string;
    /** Relative to the service root, in fixture ids. */
    path: string;
    body?: unknown;
    /** Default: a valid token of the fixture's user. */
    auth?: 'none' | 'invalid';
  };
  status: number;
  /** content-type, location, www-authenticate; service roots written {identity}, {network}, {compute} (and {image}, {placement} in the catalog). */
  headers: Record<string, string>;
  /** JSON, in fixture ids, service roots as above. */
  body: unknown;
}

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'real');

export function loadGoldens(): Map<string, Golden> {
  const goldens = new Map<string, Golden>();
  if (!existsSync(GOLDEN_DIR)) return goldens;
  for (const file of readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).sort()) {
    goldens.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as Golden);
  }
  return goldens;
}

/**
 * The structure of a JSON value: objects as their sorted keys with the structure of each
 * value, arrays as their length and the structure of their elements (all elements, merged),
 * scalars as their type. `null` is its own type: a field that is null in one and a string in
 * the other differs.
 */
export function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const elements = value.map(shape);
    const unique = [...new Map(elements.map((e) => [JSON.stringify(e), e])).values()];
    return { length: value.length, of: unique.length === 1 ? unique[0] : unique };
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((key) => [key, shape((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

/** A link's relation, path and parameter names in order (values are ids that differ). */
export function linkShape(link: { rel?: unknown; href?: unknown }): { rel: unknown; path: string; keys: string[] } {
  const url = new URL(String(link.href).replace(/^\{(\w+)\}/, 'http://$1'));
  return { rel: link.rel, path: `${url.host}${url.pathname}`, keys: [...url.searchParams.keys()] };
}
