// Keystone v3 password authentication: POST {identity}/v3/auth/tokens, token from the
// X-Subject-Token header, catalog and expiry from the body.
import type { HttpClient } from '../../http.js';
import { AuthenticationError, isStatus, OpenStackResponseError } from '../../errors.js';
import type { KeystoneCredentials } from '../../credentials.js';
import type { CatalogService } from './catalog.js';
import { identityBase } from './catalog.js';

export interface Token {
  /** The X-Subject-Token value. Never log it. */
  id: string;
  /** Epoch milliseconds on the local clock (issuance time + the lifetime Keystone granted). */
  expiresAt: number;
  /** Local clock when the token arrived. */
  issuedAt: number;
  catalog: CatalogService[];
  projectId?: string;
  userId?: string;
}

type DomainRef = { id: string } | { name: string };

function domainRef(id: string | undefined, name: string | undefined): DomainRef | undefined {
  if (id !== undefined && id !== '') return { id };
  if (name !== undefined && name !== '') return { name };
  return undefined;
}

/** The request body of a password authentication scoped to a project (spec example shape). */
export function passwordAuthRequest(credentials: KeystoneCredentials): unknown {
  const userDomain = domainRef(credentials.userDomainId, credentials.userDomainName);
  let user: Record<string, unknown>;
  if (credentials.userId !== undefined && credentials.userId !== '') {
    user = { id: credentials.userId, password: credentials.password };
  } else if (credentials.username !== undefined && credentials.username !== '') {
    user = {
      name: credentials.username,
      domain: userDomain ?? { id: 'default' },
      password: credentials.password,
    };
  } else {
    throw new AuthenticationError('Keystone credentials need a user id or a username');
  }
  let project: Record<string, unknown>;
  if (credentials.projectId !== undefined && credentials.projectId !== '') {
    project = { id: credentials.projectId };
  } else if (credentials.projectName !== undefined && credentials.projectName !== '') {
    const projectDomain = domainRef(credentials.projectDomainId, credentials.projectDomainName) ?? userDomain;
    project = { name: credentials.projectName, domain: projectDomain ?? { id: 'default' } };
  } else {
    throw new AuthenticationError('Keystone credentials need a project id or a project name');
  }
  return { auth: { identity: { methods: ['password'], password: { user } }, scope: { project } } };
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    catalog?: CatalogService[];
    project?: { id?: string };
    user?: { id?: string };
  };
}

export interface IssueTokenOptions {
  signal?: AbortSignal;
  /** Wall clock (epoch ms), used when the response has no `issued_at`. @default Date.now */
  now?: () => number;
}

/** Authenticates; throws `AuthenticationError` on 401 or a missing token, `OpenStackHttpError` otherwise. */
export async function issueToken(
  http: HttpClient,
  credentials: KeystoneCredentials,
  options: IssueTokenOptions = {},
): Promise<Token> {
  const url = `${identityBase(credentials.authUrl)}/auth/tokens`;
  const request = {
    service: 'identity',
    operation: 'tokens.issue',
    method: 'POST' as const,
    url,
    json: passwordAuthRequest(credentials),
    expected: [201],
  };
  let response;
  try {
    response = await http.request(
      options.signal === undefined ? request : { ...request, signal: options.signal },
    );
  } catch (err) {
    if (isStatus(err, 401)) {
      const who = credentials.userId ?? credentials.username ?? '?';
      throw new AuthenticationError(`keystone: authentication of user '${who}' at ${url} failed (401)`, {
        cause: err,
      });
    }
    throw err;
  }
  const id = response.headers['x-subject-token'];
  if (id === undefined || id === '')
    throw new AuthenticationError(`keystone: ${url}: no X-Subject-Token header`);
  const body = (response.body ?? {}) as TokenBody;
  const expiresAt = Date.parse(body.token?.expires_at ?? '');
  if (body.token === undefined || Number.isNaN(expiresAt)) {
    throw new OpenStackResponseError(`keystone: ${url}: token body without a valid expires_at`);
  }
  // Expiry is kept on our clock: now + the lifetime Keystone granted, so a skewed
  // Keystone clock neither expires tokens early nor keeps dead ones.
  const issued = Date.parse(body.token.issued_at ?? '');
  const localNow = (options.now ?? Date.now)();
  const token: Token = {
    id,
    expiresAt: Number.isNaN(issued) ? expiresAt : localNow + (expiresAt - issued),
    issuedAt: localNow,
    catalog: Array.isArray(body.token.catalog) ? body.token.catalog : [],
  };
  if (body.token.project?.id !== undefined) token.projectId = body.token.project.id;
  if (body.token.user?.id !== undefined) token.userId = body.token.user.id;
  return token;
}
