// Where an OpenstackConfig's Keystone credentials come from (docs/architecture.md#data-flow): a Secret
// (`credentials.secretRef`, standard), Contrabass (`openstackProviderID`, vendor)
// or the deprecated inline shape of the earlier operator. Secrets are read through `readSecret` (an adapter) and
// never logged; the result carries a fingerprint so a session (and its token) is reused
// until the source changes. Contrabass is used only on an allow-listed host (its reply decides
// where the decrypted admin password goes), with the configured bearer token and an explicitly
// named encrypt key Secret: no Secret is ever picked up by a default name.
import { parseOpenstackCredentialsSecret } from '../api/openstack-config.js';
import type { OpenstackConfigSpec } from '../api/openstack-config.js';
import { parseDuration } from '../api/common.js';
import { OPENSTACK_CONFIG_REASONS as R } from '../api/openstack-config.js';
import {
  ContrabassCredentialSource,
  HttpClient,
  isHostAllowed,
  staticCredentials,
} from '../openstack/index.js';
import type { CredentialSource, EndpointOverrides, KeystoneCredentials } from '../openstack/index.js';
import { SyncError } from './errors.js';

/** Reads a Secret's decoded data; undefined when it does not exist. */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

export interface ResolvedCredentials {
  kind: 'secret' | 'contrabass' | 'inline';
  source: CredentialSource;
  /** Changes whenever anything the session depends on changes (never contains a secret in clear). */
  fingerprint: string;
  region?: string;
  endpointOverrides: EndpointOverrides;
  /** Deprecated fields in use (Deprecated condition). */
  deprecated: string[];
}

export interface ResolveCredentialsOptions {
  namespace: string;
  spec: OpenstackConfigSpec;
  readSecret: SecretReader;
  /** HTTP client for Contrabass (shared per TLS/timeout setting). */
  contrabassHttp: (options: { timeoutMs: number; insecure: boolean }) => HttpClient;
  /** Hash function for fingerprints. */
  digest: (text: string) => string;
  /** Hosts Contrabass and the Keystone URLs it names may be on (`host`, `host:port`, `*.domain`). @default [] */
  allowedHosts?: readonly string[];
}

export async function resolveCredentials(options: ResolveCredentialsOptions): Promise<ResolvedCredentials> {
  const { spec, namespace, readSecret, digest } = options;
  const credentials = spec.credentials;
  const overrides: EndpointOverrides = {};
  if (spec.settings.openstackNeutronEndpoint !== undefined)
    overrides.network = spec.settings.openstackNeutronEndpoint;
  if (spec.settings.openstackNovaEndpoint !== undefined)
    overrides.compute = spec.settings.openstackNovaEndpoint;
  const region = spec.settings.openstackEndpointRegion;
  const withRegion = (value: ResolvedCredentials, fromSecret?: string): ResolvedCredentials => {
    const chosen = region ?? fromSecret;
    if (chosen !== undefined && chosen !== '') value.region = chosen;
    return value;
  };

  if (credentials.secretRef !== undefined) {
    const name = credentials.secretRef.name;
    const data = await readSecret(namespace, name).catch((err: unknown) => {
      throw new SyncError(
        R.CredentialsError,
        `credentials Secret ${namespace}/${name}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    });
    if (data === undefined) {
      throw new SyncError(R.CredentialsError, `credentials Secret ${namespace}/${name} not found`);
    }
    let parsed;
    try {
      parsed = parseOpenstackCredentialsSecret(data, `${namespace}/${name}`);
    } catch (err) {
      throw new SyncError(R.CredentialsError, (err as Error).message, { cause: err });
    }
    const keystone: KeystoneCredentials = {
      authUrl: parsed.authURL,
      username: parsed.username,
      userDomainName: parsed.userDomainName,
      password: parsed.password,
    };
    if (credentials.projectID !== undefined) keystone.projectId = credentials.projectID;
    else if (parsed.projectID !== undefined) keystone.projectId = parsed.projectID;
    else if (parsed.projectName !== undefined) {
      keystone.projectName = parsed.projectName;
      keystone.projectDomainName = parsed.projectDomainName;
    }
    return withRegion(
      {
        kind: 'secret',
        source: staticCredentials(keystone, `secret ${namespace}/${name}`),
        fingerprint: digest(JSON.stringify(['secret', keystone, overrides])),
        endpointOverrides: overrides,
        deprecated: [],
      },
      parsed.regionName,
    );
  }

  if (credentials.openstackProviderID !== undefined) {
    const endpoint = spec.settings.contrabassEndpoint;
    if (endpoint === undefined) {
      throw new SyncError(
        R.ConfigError,
        'settings.contrabassEndpoint is required with credentials.openstackProviderID',
      );
    }
    const allowedHosts = options.allowedHosts ?? [];
    if (!isHostAllowed(endpoint, allowedHosts)) {
      throw new SyncError(
        R.EndpointRefused,
        `settings.contrabassEndpoint ${new URL(endpoint).host} is refused: it is not in the MultiNicOperator's spec.controller.allowedEndpoints; nothing was sent to it`,
      );
    }
    const deprecated: string[] = [];
    const key = await encryptKey(namespace, spec, readSecret, deprecated);
    const bearerToken = await secretValue(
      namespace,
      readSecret,
      spec.secrets.contrabassTokenSecretRef,
      'token',
    );
    const http = options.contrabassHttp({
      timeoutMs: parseDuration(spec.settings.contrabassTimeout),
      insecure: spec.settings.contrabassInsecureTLS,
    });
    const projectId = credentials.projectID ?? '';
    return withRegion({
      kind: 'contrabass',
      source: new ContrabassCredentialSource({
        http,
        endpoint,
        providerId: credentials.openstackProviderID,
        encryptKey: key,
        projectId,
        allowedAuthHosts: allowedHosts,
        ...(bearerToken !== undefined ? { bearerToken } : {}),
      }),
      fingerprint: digest(
        JSON.stringify([
          'contrabass',
          endpoint,
          credentials.openstackProviderID,
          projectId,
          key,
          bearerToken ?? '',
          allowedHosts,
          overrides,
        ]),
      ),
      endpointOverrides: overrides,
      deprecated,
    });
  }

  // Deprecated inline shape (docs/migration.md); the schema guarantees the fields are present.
  const keystone: KeystoneCredentials = {
    authUrl: credentials.authURL ?? '',
    username: credentials.username ?? '',
    userDomainName: credentials.domainName ?? 'Default',
    password: credentials.password ?? '',
    projectId: credentials.projectID ?? '',
  };
  if (credentials.networkEndpoint !== undefined) overrides.network ??= credentials.networkEndpoint;
  if (credentials.computeEndpoint !== undefined) overrides.compute ??= credentials.computeEndpoint;
  return withRegion({
    kind: 'inline',
    source: staticCredentials(keystone, 'inline credentials'),
    fingerprint: digest(JSON.stringify(['inline', keystone, overrides])),
    endpointOverrides: overrides,
    deprecated: ['spec.credentials (inline password): move it to a Secret and use credentials.secretRef'],
  });
}

/** Where earlier systems looked for the encrypt key by default (named in the error that replaces the lookup). */
const LEGACY_ENCRYPT_KEY_SECRET = { name: 'contrabass-encrypt-key', key: 'CONTRABASS_ENCRYPT_KEY' } as const;

/** A non-blank value of a Secret key named in the spec; undefined when no ref is given. */
async function secretValue(
  namespace: string,
  readSecret: SecretReader,
  ref: { name: string; key: string } | undefined,
  what: string,
): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  const data = await readSecret(namespace, ref.name);
  if (data === undefined)
    throw new SyncError(R.ConfigError, `${what} Secret ${namespace}/${ref.name} not found`);
  const value = data[ref.key]?.trim() ?? '';
  if (value === '') {
    throw new SyncError(
      R.ConfigError,
      `${what} Secret ${namespace}/${ref.name} has no non-blank key '${ref.key}'`,
    );
  }
  return value;
}

/**
 * The encrypt key: the Secret named in `secrets.contrabassEncryptKeySecretRef`, else the deprecated
 * plain setting. A Secret is never picked up by a default name: whoever can create a Secret in
 * the namespace would otherwise choose the key.
 */
async function encryptKey(
  namespace: string,
  spec: OpenstackConfigSpec,
  readSecret: SecretReader,
  deprecated: string[],
): Promise<string> {
  const fromSecret = await secretValue(
    namespace,
    readSecret,
    spec.secrets.contrabassEncryptKeySecretRef,
    'encrypt key',
  );
  if (fromSecret !== undefined) return fromSecret;
  const plain = spec.settings.contrabassEncryptKey?.trim() ?? '';
  if (plain !== '') {
    deprecated.push(
      'spec.settings.contrabassEncryptKey (plain-text key): use secrets.contrabassEncryptKeySecretRef',
    );
    return plain;
  }
  // Earlier systems found the key in a Secret of this name by default: say what to write instead.
  const legacy = await readSecret(namespace, LEGACY_ENCRYPT_KEY_SECRET.name).catch(() => undefined);
  const hint =
    legacy?.[LEGACY_ENCRYPT_KEY_SECRET.key] !== undefined
      ? `; Secret ${namespace}/${LEGACY_ENCRYPT_KEY_SECRET.name} is no longer used by default, name it: secrets.contrabassEncryptKeySecretRef: {name: ${LEGACY_ENCRYPT_KEY_SECRET.name}, key: ${LEGACY_ENCRYPT_KEY_SECRET.key}}`
      : '';
  throw new SyncError(
    R.ConfigError,
    `no Contrabass encrypt key: set secrets.contrabassEncryptKeySecretRef (a Secret is never picked up by a default name)${hint}`,
  );
}
