// Contrabass provider lookup (the vendor's credential service) and the credential source built on it.
import type { HttpClient } from '../http.js';
import {
  ContrabassError,
  EndpointNotAllowedError,
  OpenStackConnectionError,
  OpenStackHttpError,
} from '../errors.js';
import type { CredentialSource, KeystoneCredentials } from '../credentials.js';
import { isHostAllowed } from '../endpoint-policy.js';
import { decryptContrabassValue } from './decrypt.js';

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}

export interface ContrabassProvider {
  uuid: string;
  name: string;
  /** Keystone base URL. */
  url: string;
  attributes: {
    adminId: string;
    /** Encrypted. */
    adminPw: string;
    domain: string;
    prometheusUrl?: string;
    vIp?: string;
    rabbitMQId?: string;
    rabbitMQPw?: string;
    rabbitMQUrls?: string[];
  };
}

export interface GetProviderOptions {
  /** Sent as `Authorization: Bearer <token>` when set. */
  bearerToken?: string;
  signal?: AbortSignal;
}

/** `GET {endpoint}/v1/contrabass/admin/infra/provider/{id}`; anything but 200 → `ContrabassError`. */
export async function getProvider(
  http: HttpClient,
  endpoint: string,
  providerId: string,
  options: GetProviderOptions = {},
): Promise<ContrabassProvider> {
  const url = `${endpoint.replace(/\/+$/, '')}/v1/contrabass/admin/infra/provider/${encodeURIComponent(providerId)}`;
  let body: unknown;
  try {
    const response = await http.request({
      service: 'contrabass',
      operation: 'provider.get',
      method: 'GET',
      url,
      expected: [200],
      ...(options.bearerToken !== undefined
        ? { headers: { authorization: `Bearer ${options.bearerToken}` } }
        : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    body = response.body;
  } catch (err) {
    if (err instanceof OpenStackHttpError) {
      throw new ContrabassError(`contrabass: unexpected status ${err.actual} for provider ${providerId}`, {
        cause: err,
      });
    }
    if (err instanceof OpenStackConnectionError) {
      throw new ContrabassError(`contrabass: provider ${providerId}: ${err.code}`, { cause: err });
    }
    throw err;
  }
  const data = (body as { data?: Partial<ContrabassProvider> } | undefined)?.data;
  const attributes = data?.attributes;
  if (
    data === undefined ||
    typeof data.url !== 'string' ||
    attributes === undefined ||
    typeof attributes.adminId !== 'string' ||
    typeof attributes.adminPw !== 'string'
  ) {
    throw new ContrabassError(
      `contrabass: provider ${providerId}: response lacks data.url / data.attributes.adminId / adminPw`,
    );
  }
  return data as ContrabassProvider;
}

export interface ContrabassCredentialSourceOptions {
  http: HttpClient;
  endpoint: string;
  providerId: string;
  /** The shared encrypt key (Secret `CONTRABASS_ENCRYPT_KEY`). */
  encryptKey: string;
  /** Keystone project to scope to (`spec.credentials.projectID`). */
  projectId: string;
  /** Sent as `Authorization: Bearer` on every Contrabass call. */
  bearerToken?: string;
  /**
   * Hosts the Keystone URL of a reply may be on (`host`, `host:port`, `*.domain`): the reply is
   * what chooses where the decrypted admin password goes. @default [] (every reply refused)
   */
  allowedAuthHosts?: readonly string[];
}

/** Keystone credentials from a Contrabass provider: url, adminId, decrypted adminPw, domain. */
export class ContrabassCredentialSource implements CredentialSource {
  readonly description: string;
  constructor(private readonly options: ContrabassCredentialSourceOptions) {
    this.description = `contrabass provider ${options.providerId}`;
  }

  async load(signal?: AbortSignal): Promise<KeystoneCredentials> {
    const { http, endpoint, providerId, encryptKey, projectId, bearerToken } = this.options;
    const provider = await getProvider(http, endpoint, providerId, {
      ...(bearerToken !== undefined ? { bearerToken } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    if (!isHostAllowed(provider.url, this.options.allowedAuthHosts ?? [])) {
      throw new EndpointNotAllowedError(
        `contrabass: provider ${providerId} names Keystone ${hostOf(provider.url)}, which is not in the MultiNicOperator's spec.controller.allowedEndpoints; the password was not decrypted or sent`,
      );
    }
    return {
      authUrl: provider.url,
      username: provider.attributes.adminId,
      userDomainName: provider.attributes.domain,
      password: decryptContrabassValue(provider.attributes.adminPw, encryptKey, 'adminPw'),
      projectId,
    };
  }
}
