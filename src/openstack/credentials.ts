// Where Keystone credentials come from. The controller reads a Secret (`credentials.secretRef`)
// or asks Contrabass (the vendor's credential service); both implement `CredentialSource`, and the session asks it
// only when it needs to authenticate, never per request.

/** Keystone v3 password credentials: user by id or by name + domain, project scope by id or name + domain. */
export interface KeystoneCredentials {
  /** Keystone base URL, with or without `/v3`. */
  authUrl: string;
  userId?: string;
  username?: string;
  /** Domain of `username`. @default - domain id `default` */
  userDomainId?: string;
  userDomainName?: string;
  password: string;
  projectId?: string;
  projectName?: string;
  /** Domain of `projectName`. @default - the user's domain */
  projectDomainId?: string;
  projectDomainName?: string;
}

export interface CredentialSource {
  /** For logs and errors, e.g. `secret multinic-system/openstack` or `contrabass provider <id>`. */
  readonly description: string;
  load(signal?: AbortSignal): Promise<KeystoneCredentials>;
}

export function staticCredentials(
  credentials: KeystoneCredentials,
  description = 'static credentials',
): CredentialSource {
  return { description, load: () => Promise.resolve(credentials) };
}

export function isCredentialSource(value: KeystoneCredentials | CredentialSource): value is CredentialSource {
  return typeof (value as Partial<CredentialSource>).load === 'function';
}
