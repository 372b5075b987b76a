// Validation errors written for the user: every problem on its own line as
// `spec.database.service.port: must be 1..65535, got 70000` (path, what is allowed, value).

import { z } from 'zod';

/** One problem found in a value. */
export interface ApiIssue {
  /** JSON path in the object, e.g. `spec.interfaces[0].mtu` (`(root)` for the object itself). */
  readonly path: string;
  /** What is wrong and what is allowed, ending with `, got <value>` when a value was given. */
  readonly message: string;
}

/** Thrown by every `parseXxx` function; `issues` has one entry per problem, `message` lists them all. */
export class ApiValidationError extends Error {
  override readonly name = 'ApiValidationError';

  constructor(
    /** What was parsed, e.g. `MultiNicOperator multinic-system/biz-network`. */
    readonly subject: string,
    readonly issues: readonly ApiIssue[],
  ) {
    super(`invalid ${subject}:\n${issues.map((issue) => `  - ${issue.path}: ${issue.message}`).join('\n')}`);
  }
}

/** Formats a path the way kubectl and the API server print it: `spec.interfaces[0].mtu`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A short, single-line rendering of the offending value. */
export function formatValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  record: 'an object (map)',
};

/** Passwords are never accepted in a spec (they belong in Secrets); say where they go instead. */
const SECRET_FIELD = /pass(word)?$|secret$|token$|encryptkey$/i;

function unknownKeysMessage(keys: readonly string[]): string {
  const secret = keys.filter((key) => SECRET_FIELD.test(key));
  if (secret.length > 0) {
    return (
      `${secret.map((k) => `"${k}"`).join(', ')} ${secret.length > 1 ? 'are' : 'is'} not accepted: secrets never appear in a spec; ` +
      'put the value in a Secret and name it in the nearest secretRef'
    );
  }
  return `unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
}

/** Default wording for issues whose schema did not set its own message. */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set')
        return `must have at least ${min} item${min === 1 ? '' : 's'}`;
      if (issue.origin === 'string')
        return min === 1 ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${issue.inclusive === false ? '>' : '>='} ${min}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${max} items`;
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${issue.inclusive === false ? '<' : '<='} ${max}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `must match ${String(issue.pattern)}`
        : `must be a valid ${issue.format}`;
    case 'unrecognized_keys':
      return unknownKeysMessage(issue.keys);
    default:
      return undefined;
  }
}

function toApiIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[]): ApiIssue {
  const path = formatPath([...prefix, ...issue.path]);
  const input: unknown = issue.input;
  const last = issue.path[issue.path.length - 1];
  if (typeof last === 'string' && SECRET_FIELD.test(last)) return { path, message: issue.message }; // never echo a secret
  const primitive = input === null || (typeof input !== 'object' && input !== undefined);
  const showValue =
    issue.code !== 'unrecognized_keys' &&
    (issue.code === 'custom' ? primitive : input !== undefined) &&
    !issue.message.includes(', got ');
  return { path, message: showValue ? `${issue.message}, got ${formatValue(input)}` : issue.message };
}

/** The issues of a failed parse, each with path, what is allowed and the value received. */
export function toApiIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ApiIssue[] {
  const seen = new Set<string>();
  const issues: ApiIssue[] = [];
  for (const issue of error.issues.map((i) => toApiIssue(i, prefix))) {
    const key = `${issue.path}\0${issue.message}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  }
  return issues;
}

export interface ParseOptions {
  /** Names the value in the error message, e.g. `MultiNicOperator multinic-system/a`. */
  readonly subject?: string;
  /** Prepended to every issue path, e.g. `['spec']` when parsing a spec on its own. */
  readonly pathPrefix?: readonly PropertyKey[];
}

/** Parses with the schema's defaults applied; throws `ApiValidationError` listing every problem. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: ParseOptions = {},
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true, error: defaultMessage });
  if (result.success) return result.data;
  throw new ApiValidationError(options.subject ?? 'value', toApiIssues(result.error, options.pathPrefix));
}

/** The same checks without throwing: `[]` when the value is valid. */
export function validateWith(
  schema: z.ZodType,
  value: unknown,
  pathPrefix: readonly PropertyKey[] = [],
): ApiIssue[] {
  const result = schema.safeParse(value, { reportInput: true, error: defaultMessage });
  return result.success ? [] : toApiIssues(result.error, pathPrefix);
}

/** `MultiNicOperator multinic-system/biz-network` for error messages (best effort on invalid input). */
export function describeObject(kind: string, value: unknown): string {
  if (typeof value !== 'object' || value === null) return kind;
  const metadata = (value as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : undefined;
  if (name === undefined) return kind;
  return `${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
}
