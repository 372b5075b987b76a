// Version documents of the simulated services, with the exact shapes and values the real
// services (Keystone 22, Neutron 21, Nova 26, Glance 25) serve. Clients read them before anything else:
// keystoneauth's `password` plugin GETs the auth URL and needs the 300 multiple-choice document
// at Keystone's root (a 404 there is fatal) or the 200 version document at `/v3`; openstacksdk
// also GETs the catalog's compute and network endpoints to pick a version and microversion.
// Every link is built from the service root the caller passes (no trailing slash).

/** Keystone's only API version and its last change, as Keystone 22 reports them. */
const KEYSTONE_V3 = { id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z' } as const;

function keystoneVersion(root: string): Record<string, unknown> {
  return {
    ...KEYSTONE_V3,
    links: [{ rel: 'self', href: `${root}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** `GET {keystone}/`: status 300 with this body and `Location: {keystone}/v3/`. */
export function keystoneVersions(root: string): Record<string, unknown> {
  return { versions: { values: [keystoneVersion(root)] } };
}

/** `GET {keystone}/v3`: status 200. */
export function keystoneV3(root: string): Record<string, unknown> {
  return { version: keystoneVersion(root) };
}

/** `GET {neutron}/`: status 200 (Neutron lists its one version without a multiple-choice status). */
export function neutronVersions(root: string): Record<string, unknown> {
  return { versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${root}/v2.0/` }] }] };
}

/** `GET {neutron}/v2.0/`: the core resources with their collection links. */
export function neutronV2(root: string): Record<string, unknown> {
  const resource = (name: string, collection: string): Record<string, unknown> => ({
    name,
    collection,
    links: [{ rel: 'self', href: `${root}/v2.0/${collection}` }],
  });
  return {
    resources: [
      resource('network', 'networks'),
      resource('subnet', 'subnets'),
      resource('subnetpool', 'subnetpools'),
      resource('port', 'ports'),
    ],
  };
}

/**
 * Nova 26's microversion range. The simulator answers every request in the 2.1 shapes and
 * ignores `OpenStack-API-Version`; the range is what real Nova advertises so that clients take
 * the same negotiation path against both.
 */
const NOVA_V21 = {
  id: 'v2.1',
  status: 'CURRENT',
  version: '2.93',
  min_version: '2.1',
  updated: '2013-07-23T11:33:21Z',
} as const;
const NOVA_V20 = {
  id: 'v2.0',
  status: 'SUPPORTED',
  version: '',
  min_version: '',
  updated: '2011-01-21T11:33:21Z',
} as const;
const DOCS = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' } as const;

/** `GET {nova}/`: status 200, both API versions. */
export function novaVersions(root: string): Record<string, unknown> {
  return {
    versions: [
      { ...NOVA_V20, links: [{ rel: 'self', href: `${root}/v2/` }] },
      { ...NOVA_V21, links: [{ rel: 'self', href: `${root}/v2.1/` }] },
    ],
  };
}

/** `GET {nova}/v2.1`: status 200. */
export function novaV21(root: string): Record<string, unknown> {
  return {
    version: {
      ...NOVA_V21,
      links: [{ rel: 'self', href: `${root}/v2.1/` }, DOCS],
      'media-types': [
        { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
      ],
    },
  };
}

/**
 * `GET {glance}/`: status 300. Glance 25 with a store configured (`enabled_backends`) and no
 * image cache lists 2.15 as current and every older 2.x as supported, all at `/v2/`.
 */
export function glanceVersions(root: string): Record<string, unknown> {
  const ids = [
    '2.15',
    '2.13',
    '2.12',
    '2.11',
    '2.10',
    '2.9',
    '2.8',
    '2.7',
    '2.6',
    '2.5',
    '2.4',
    '2.3',
    '2.2',
    '2.1',
    '2.0',
  ];
  return {
    versions: ids.map((id, i) => ({
      id: `v${id}`,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href: `${root}/v2/` }],
    })),
  };
}
