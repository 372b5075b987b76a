// The simulator answers what the real Keystone 22 / Neutron 21 / Nova 26 answered
// (test/unit/openstack/golden/real/*.json, captured by ../golden/capture.ts from an instance
// holding the same generated fixture): same status, headers that matter, structure of every
// body (keys, value types, list lengths), links, error texts and version documents exactly,
// and the same items for non-paged lists (ids mapped back to the fixture's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixture } from '../../../../src/openstack/simulator/fixture.js';
import { passwordAuthRequest } from '../../../../src/openstack/identity/v3/tokens.js';
import { startOpenStackSim } from '../../../support/openstack-sim.js';
import type { OpenStackSim } from '../../../support/openstack-sim.js';
import { GOLDEN_DIR, GOLDEN_FIXTURE, linkShape, loadGoldens, shape } from '../golden/golden.js';
import type { Golden, GoldenService } from '../golden/golden.js';

type Json = Record<string, unknown>;
const goldens = loadGoldens();

/** Documents that carry nothing of the world, only of the service: equal to the byte. */
const VERBATIM = new Set([
  'keystone-versions',
  'keystone-v3',
  'nova-versions',
  'nova-v21',
  'neutron-versions',
]);

/** The list in a collection body and its `<collection>_links`. */
function collection(
  body: unknown,
): { items: Json[]; links: Array<{ rel?: unknown; href?: unknown }> } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const entries = Object.entries(body as Json);
  const list = entries.find(([key, value]) => Array.isArray(value) && !key.endsWith('_links'));
  if (list === undefined) return undefined;
  const links = entries.find(([key]) => key.endsWith('_links'))?.[1];
  return { items: list[1] as Json[], links: (links ?? []) as Array<{ rel?: unknown; href?: unknown }> };
}

/** The body without its `*_links` (compared on their own). */
function withoutLinks(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body as Json).filter(([key]) => !key.endsWith('_links')));
}

describe('simulator against the real services (golden files)', () => {
  let sim: OpenStackSim;
  let token = '';
  let roots: Record<GoldenService, string>;

  beforeAll(async () => {
    sim = await startOpenStackSim({ fixture: generateFixture(GOLDEN_FIXTURE) });
    roots = { identity: `${sim.url}/identity`, network: `${sim.url}/network`, compute: `${sim.url}/compute` };
    const res = await fetch(`${sim.authUrl}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(passwordAuthRequest(sim.credentials)),
    });
    token = res.headers.get('x-subject-token') ?? '';
  });
  afterAll(() => sim.stop());

  const ask = async (golden: Golden): Promise<{ status: number; headers: Headers; text: string }> => {
    const { service, method, path, body, auth } = golden.request;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth === undefined) headers['x-auth-token'] = token;
    if (auth === 'invalid') headers['x-auth-token'] = 'bogus';
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${roots[service]}${path === '/' ? '' : path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const placeholders = (text: string): string =>
    Object.entries(roots).reduce((out, [service, root]) => out.replaceAll(root, `{${service}}`), text);

  it('has the golden files of the real services', () => {
    expect(
      goldens.size,
      `no golden files in ${GOLDEN_DIR}: run test/unit/openstack/golden/capture.ts`,
    ).toBeGreaterThan(30);
  });

  it.each([...goldens])('%s', async (name, golden) => {
    const res = await ask(golden);
    expect(res.status).toBe(golden.status);
    for (const header of ['content-type', 'location', 'www-authenticate']) {
      const value = res.headers.get(header);
      expect(value === null ? undefined : placeholders(value), header).toBe(golden.headers[header]);
    }
    if (typeof golden.body === 'string') {
      expect(res.text).toBe(golden.body);
      return;
    }
    const body = JSON.parse(placeholders(res.text)) as unknown;
    if (golden.status >= 400 || VERBATIM.has(name)) {
      expect(body).toEqual(golden.body);
      return;
    }
    if (name === 'keystone-token-create') {
      type Token = {
        token: Json & { catalog: Array<Json & { type: string }>; roles: Array<{ name: string }> };
      };
      const real = (golden.body as Token).token;
      const ours = (body as Token).token;
      expect(shape({ ...ours, catalog: undefined })).toEqual(shape({ ...real, catalog: undefined }));
      expect(ours.catalog.map((s) => s.type).sort()).toEqual(real.catalog.map((s) => s.type).sort());
      expect(shape(ours.catalog[0])).toEqual(shape(real.catalog[0]));
      expect(ours.roles.map((r) => r.name)).toEqual(real.roles.map((r) => r.name));
      expect(ours['issued_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
      return;
    }
    expect(shape(withoutLinks(body))).toEqual(shape(withoutLinks(golden.body)));
    const real = collection(golden.body);
    const ours = collection(body);
    if (real === undefined || ours === undefined) return;
    expect(ours.links.map(linkShape)).toEqual(real.links.map(linkShape));
    if (real.links.length === 0) {
      // Not paged: the same items (ids are the fixture's on both sides).
      const ids = (items: Json[]): string[] => items.map((item) => String(item['id'])).sort();
      expect(ids(ours.items)).toEqual(ids(real.items));
    } else {
      // Paged: the pages differ (real ids order them), the links point at their own page.
      for (const page of [ours, real]) {
        for (const link of page.links) {
          const marker = new URL(String(link.href).replace(/^\{\w+\}/, 'http://x')).searchParams.get(
            'marker',
          );
          const edge = link.rel === 'next' ? page.items[page.items.length - 1] : page.items[0];
          expect(marker).toBe(edge?.['id']);
        }
      }
    }
  });
});
