// The kubeconfig of a workload cluster (`delivery.mode: kubeconfig`) is untrusted input: whoever
// can write an OpenstackConfig and a Secret in its namespace writes it. client-node would honour
// `user.exec` (run a command in the controller), `auth-provider`, `token-file`/`tokenFile` and
// `client-certificate`/`client-key`/`certificate-authority` file paths (read the controller's own
// ServiceAccount token or database password file and send them to any server) and
// `insecure-skip-tls-verify`. So the YAML is parsed here, every field is checked against a short
// list of inline-data fields, and client-node is handed a Cluster and a User built from those
// values only (it never sees a path or a plugin).
//
// API:
//   parseRemoteKubeconfig(text, { allowExec? }): KubeConfig    throws RemoteKubeconfigError naming the field
//
// `allowExec` is the operator-level opt-in (`--insecure-kubeconfig-exec`, env
// INSECURE_KUBECONFIG_EXEC=true on the controller), for clusters whose credentials really are an
// exec plugin; it never re-enables file paths or skipping TLS verification.
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, User } from '@kubernetes/client-node';
import { YAMLParseError, parse } from 'yaml';

/** A kubeconfig that is not accepted; `field` is the JSON path of the offending field. */
export class RemoteKubeconfigError extends Error {
  override readonly name = 'RemoteKubeconfigError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface RemoteKubeconfigOptions {
  /** Accept `user.exec` (operator-level opt-in). @default false */
  allowExec?: boolean;
}

/** Fields refused with the reason the user reads in status. */
const REFUSED_USER: Record<string, string> = {
  exec: 'runs a command inside the controller; allowed only when the controller runs with --insecure-kubeconfig-exec',
  'auth-provider': 'auth-provider plugins are not supported; use an inline token or client certificate',
  'token-file': 'reads a file of the controller; put the token inline (token)',
  tokenFile: 'reads a file of the controller; put the token inline (token)',
  'client-certificate': 'reads a file of the controller; use client-certificate-data',
  'client-key': 'reads a file of the controller; use client-key-data',
  username: 'basic authentication is not supported; use an inline token or client certificate',
  password: 'basic authentication is not supported; use an inline token or client certificate',
};
const ALLOWED_USER = new Set(['token', 'client-certificate-data', 'client-key-data', 'exec', 'extensions']);

const REFUSED_CLUSTER: Record<string, string> = {
  'insecure-skip-tls-verify': 'TLS verification cannot be turned off; give certificate-authority-data',
  'certificate-authority': 'reads a file of the controller; use certificate-authority-data',
  'proxy-url': 'proxies are not supported for workload clusters',
};
const ALLOWED_CLUSTER = new Set([
  'server',
  'certificate-authority-data',
  'tls-server-name',
  'disable-compression',
  'extensions',
]);

const ALLOWED_EXEC = new Set([
  'apiVersion',
  'command',
  'args',
  'env',
  'installHint',
  'provideClusterInfo',
  'interactiveMode',
]);

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function refuse(field: string, why: string): never {
  throw new RemoteKubeconfigError(`${field} is not allowed: ${why}`, field);
}

function string(value: unknown, field: string, required = false): string | undefined {
  if (value === undefined || value === null) {
    if (required) throw new RemoteKubeconfigError(`${field} is required`, field);
    return undefined;
  }
  if (typeof value !== 'string') throw new RemoteKubeconfigError(`${field} must be a string`, field);
  return value;
}

/** `list[i]` entries with a `name` and an object under `key`, by name. */
function named(doc: Json, list: string, key: string): Map<string, { index: number; body: Json }> {
  const out = new Map<string, { index: number; body: Json }>();
  const value = doc[list];
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) throw new RemoteKubeconfigError(`${list} must be a list`, list);
  value.forEach((entry: unknown, index) => {
    const at = `${list}[${index}]`;
    if (!isRecord(entry)) throw new RemoteKubeconfigError(`${at} must be an object`, at);
    const name = string(entry['name'], `${at}.name`, true) as string;
    const body = entry[key] ?? {};
    if (!isRecord(body)) throw new RemoteKubeconfigError(`${at}.${key} must be an object`, `${at}.${key}`);
    out.set(name, { index, body });
  });
  return out;
}

function checkUser(body: Json, at: string, allowExec: boolean): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null) continue;
    const field = `${at}.${key}`;
    if (key === 'exec') {
      if (!allowExec) refuse(field, REFUSED_USER['exec'] as string);
      if (!isRecord(value)) throw new RemoteKubeconfigError(`${field} must be an object`, field);
      for (const execKey of Object.keys(value))
        if (!ALLOWED_EXEC.has(execKey)) refuse(`${field}.${execKey}`, 'unknown exec field');
      continue;
    }
    const reason = REFUSED_USER[key];
    if (reason !== undefined) refuse(field, reason);
    if (!ALLOWED_USER.has(key))
      refuse(field, 'only token, client-certificate-data and client-key-data are accepted');
    if (key !== 'extensions') string(value, field);
  }
}

function checkCluster(body: Json, at: string): void {
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined || value === null || value === false) continue;
    const field = `${at}.${key}`;
    const reason = REFUSED_CLUSTER[key];
    if (reason !== undefined) refuse(field, reason);
    if (!ALLOWED_CLUSTER.has(key))
      refuse(field, 'only server, certificate-authority-data and tls-server-name are accepted');
  }
  const server = string(body['server'], `${at}.server`, true) as string;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new RemoteKubeconfigError(`${at}.server is not a URL`, `${at}.server`);
  }
  if (url.protocol !== 'https:') refuse(`${at}.server`, 'the workload cluster must be reached over https');
}

/** Parses and checks a workload-cluster kubeconfig; the result holds inline data only. */
export function parseRemoteKubeconfig(text: string, options: RemoteKubeconfigOptions = {}): KubeConfig {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0, prettyErrors: false });
  } catch (err) {
    // The parser's message quotes the offending source line, which may be a token: give the
    // position and the kind of error only.
    if (err instanceof YAMLParseError) {
      const before = text.slice(0, err.pos[0]);
      const line = before.split('\n').length;
      const col = err.pos[0] - before.lastIndexOf('\n');
      throw new RemoteKubeconfigError(`not valid YAML (${err.code} at line ${line}, column ${col})`);
    }
    throw new RemoteKubeconfigError('not valid YAML');
  }
  if (!isRecord(doc)) throw new RemoteKubeconfigError('not a kubeconfig (expected a YAML mapping)');
  const clusters = named(doc, 'clusters', 'cluster');
  const users = named(doc, 'users', 'user');
  const contexts = named(doc, 'contexts', 'context');
  const allowExec = options.allowExec === true;
  for (const { index, body } of users.values()) checkUser(body, `users[${index}].user`, allowExec);
  for (const { index, body } of clusters.values()) checkCluster(body, `clusters[${index}].cluster`);

  const current = string(doc['current-context'], 'current-context');
  const contextName = current ?? (contexts.size === 1 ? [...contexts.keys()][0] : undefined);
  if (contextName === undefined || contextName === '')
    throw new RemoteKubeconfigError('current-context is required', 'current-context');
  const context = contexts.get(contextName);
  if (context === undefined)
    throw new RemoteKubeconfigError(`current-context '${contextName}' is not in contexts`, 'current-context');
  const at = `contexts[${context.index}].context`;
  const clusterName = string(context.body['cluster'], `${at}.cluster`, true) as string;
  const userName = string(context.body['user'], `${at}.user`, true) as string;
  const cluster = clusters.get(clusterName)?.body;
  if (cluster === undefined)
    throw new RemoteKubeconfigError(`cluster '${clusterName}' is not in clusters`, `${at}.cluster`);
  const user = users.get(userName)?.body;
  if (user === undefined) throw new RemoteKubeconfigError(`user '${userName}' is not in users`, `${at}.user`);

  const caData = cluster['certificate-authority-data'] as string | undefined;
  const tlsServerName = cluster['tls-server-name'] as string | undefined;
  const safeCluster: Cluster = {
    name: clusterName,
    server: (cluster['server'] as string).replace(/\/+$/, ''),
    skipTLSVerify: false,
    ...(caData !== undefined ? { caData } : {}),
    ...(tlsServerName !== undefined ? { tlsServerName } : {}),
  };
  const token = user['token'] as string | undefined;
  const certData = user['client-certificate-data'] as string | undefined;
  const keyData = user['client-key-data'] as string | undefined;
  const safeUser: User = {
    name: userName,
    ...(token !== undefined ? { token } : {}),
    ...(certData !== undefined ? { certData } : {}),
    ...(keyData !== undefined ? { keyData } : {}),
    ...(allowExec && isRecord(user['exec']) ? { exec: user['exec'] } : {}),
  };
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(safeCluster, safeUser);
  return kc;
}
