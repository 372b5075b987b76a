// Building blocks shared by the four kinds. Every helper carries its own user-facing message so
// that zod and the generated CRD say the same thing (`must be 68..9000`, `must be a MAC address ...`).

import { cronProblem } from './cron.js';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// CEL rules live next to the zod refinement that implements the same check.

/** One `x-kubernetes-validations` entry of the generated CRD. */
export interface CelRule {
  /** CEL expression evaluated by the API server with `self` = the value of this node. */
  readonly rule: string;
  /** Shown to the user by the API server and by `parseXxx`: say what is allowed. */
  readonly message: string;
  /** JSON path (relative to this node) the API server reports the error at, e.g. `.nodePort`. */
  readonly fieldPath?: string;
}

export const CEL_META_KEY = 'x-kubernetes-validations';

/** The CEL rules attached to a schema with `withRule`/`withCel`. */
export function celRules(schema: z.ZodType): CelRule[] {
  const meta = schema.meta() as Record<string, unknown> | undefined;
  const rules = meta?.[CEL_META_KEY];
  return Array.isArray(rules) ? (rules as CelRule[]) : [];
}

/** Attaches a CEL rule to the CRD schema only (the zod side is expressed by the schema itself). */
export function withCel<S extends z.ZodType>(schema: S, rule: CelRule): S {
  const meta = (schema.meta() as Record<string, unknown> | undefined) ?? {};
  return schema.meta({ ...meta, [CEL_META_KEY]: [...celRules(schema), rule] }) as S;
}

/**
 * A cross-field rule, once: `check` is the zod refinement (runs in `parseXxx`), `cel` the same rule
 * for the API server. Both report `cel.message`; `path` points zod's issue at the offending field.
 */
export function withRule<S extends z.ZodType>(
  schema: S,
  cel: CelRule,
  check: (value: z.output<S>) => boolean,
  path?: readonly PropertyKey[],
): S {
  const refined = schema.refine(check, {
    message: cel.message,
    ...(path ? { path: [...path] } : {}),
    // Only on an otherwise valid value: a cross-field message about a malformed field is noise.
    when: (payload) => payload.issues.length === 0,
  }) as S;
  return withCel(refined, cel);
}

/** Marks a map of unknown shape (labels, node selectors stay typed; this is for free-form data). */
export function preserveUnknown<S extends z.ZodType>(schema: S): S {
  const meta = (schema.meta() as Record<string, unknown> | undefined) ?? {};
  return schema.meta({ ...meta, 'x-kubernetes-preserve-unknown-fields': true }) as S;
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** The type error of a scalar: `is required` when absent, else `must be <what>`. */
export function typeError(what: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`);
}

/** An integer in `min..max` (inclusive); the message says the range. */
export function intRange(min: number, max: number) {
  const error = `must be ${min}..${max}`;
  return z
    .int({ error: typeError('an integer') })
    .min(min, { error })
    .max(max, { error });
}

/** A non-negative integer (counts, generations). */
export function count() {
  return z.int({ error: typeError('an integer') }).min(0, { error: 'must be >= 0' });
}

/** TCP/UDP port 1..65535. */
export const port = () => intRange(1, 65535);
/** A Service nodePort in the default range 30000..32767. */
export const nodePort = () => intRange(30000, 32767);
/** Interface MTU, 68..9000. */
export const mtu = () => intRange(68, 9000);

/** A string matching `pattern` whose error message says what is allowed. */
export function patterned(pattern: RegExp, allowed: string, maxLength: number) {
  return z
    .string({ error: typeError('a string') })
    .regex(pattern, { error: allowed, abort: true })
    .max(maxLength, { error: `${allowed} (at most ${maxLength} characters)` });
}

/** A non-empty string of at most `maxLength` characters. */
export function text(maxLength = 253) {
  return z
    .string({ error: typeError('a string') })
    .min(1, { error: 'must not be empty' })
    .max(maxLength);
}

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name (DNS-1123 subdomain, at most 253 characters). */
export const k8sName = () =>
  patterned(DNS_SUBDOMAIN, "must be a DNS-1123 subdomain: lowercase a-z, 0-9, '-' and '.'", 253);

/** A DNS-1123 label (namespaces, Service names): at most 63 characters. */
export const dnsLabel = () =>
  patterned(DNS_LABEL, "must be a DNS-1123 label: lowercase a-z, 0-9 and '-'", 63);

/** A key in a Secret's data. */
export const secretKey = () =>
  patterned(/^[-._a-zA-Z0-9]+$/, "must be a Secret data key: letters, digits, '-', '_' and '.'", 253);

/** A MAC address in spec input: either case is accepted (Neutron and Viola send either), stored lower-case. */
export const MAC_ANY_CASE = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;
/** A MAC address as the controllers write it (status): lower-case only. */
export const MAC_LOWER = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** A MAC address from a spec; the parsed value is lower-cased (the agent compares lower-case). */
export const macAddress = () =>
  patterned(MAC_ANY_CASE, 'must be a MAC address like fa:16:3e:4a:10:01', 17).transform((mac) =>
    mac.toLowerCase(),
  );

/** A MAC address written by a controller: lower-case only. */
export const lowerMacAddress = () =>
  patterned(MAC_LOWER, 'must be a lower-case MAC address like fa:16:3e:4a:10:01', 17);

const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4 = new RegExp(`^(${IPV4_OCTET}\\.){3}${IPV4_OCTET}$`);
export const IPV4_CIDR = new RegExp(`^(${IPV4_OCTET}\\.){3}${IPV4_OCTET}/(3[0-2]|[12]?[0-9])$`);

/** An IPv4 address (the Viola contract and the node files are IPv4). */
export const ipv4 = () => patterned(IPV4, 'must be an IPv4 address like 192.168.50.11', 15);
/** An IPv4 CIDR, network form (`192.168.50.0/24`) or address form (`192.168.50.11/24`). */
export const ipv4Cidr = () => patterned(IPV4_CIDR, 'must be an IPv4 CIDR like 192.168.50.0/24', 18);

/** True when `address` lies inside `cidr` (both IPv4; the host bits of `cidr` are ignored). */
export function cidrContains(cidr: string, address: string): boolean {
  const [network, prefixText] = cidr.split('/');
  if (network === undefined || prefixText === undefined) return false;
  const prefix = Number(prefixText);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const a = ipv4ToNumber(address);
  const n = ipv4ToNumber(network);
  if (a === undefined || n === undefined) return false;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

function ipv4ToNumber(address: string): number | undefined {
  if (!IPV4.test(address)) return undefined;
  return address.split('.').reduce((acc, octet) => ((acc << 8) >>> 0) + Number(octet), 0);
}

/** A UUID in either case (Nova server ids, Node SystemUUIDs). */
export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const uuid = () => patterned(UUID, 'must be a UUID like 1f3a5c7e-2b4d-4e6f-8a0c-9d1e2f3a4b51', 36);

/** A Kubernetes resource quantity such as `500m`, `256Mi`, `10Gi`. */
export const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
export const quantity = () => patterned(QUANTITY, 'must be a quantity like 500m, 256Mi or 10Gi', 32);

/** A Go duration (`30s`, `2m`, `1h30m`, `0`), as the earlier systems wrote them. */
export const DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)$/;
const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds in a Go duration string; throws on anything `DURATION` rejects. */
export function parseDuration(value: string): number {
  if (!DURATION.test(value)) throw new Error(`'${value}' is not a duration like 30s, 2m or 1h30m`);
  let total = 0;
  for (const match of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g)) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? 's'] ?? 0);
  }
  return total;
}

/** `'1m30s'` for 90 000 ms: the shortest Go duration text (whole milliseconds). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}

/**
 * A Go duration within `min..max` (both Go durations, inclusive). The range is checked by zod and
 * by CEL (`duration()`), so the API server rejects `pollFastInterval: 0s` with the same message.
 */
export function duration(range: { min?: string; max?: string } = {}) {
  const { min, max } = range;
  const allowed =
    min !== undefined && max !== undefined
      ? `must be a duration ${min}..${max}`
      : min !== undefined
        ? `must be a duration of at least ${min}`
        : max !== undefined
          ? `must be a duration of at most ${max}`
          : 'must be a duration like 30s, 2m or 1h30m';
  let schema = patterned(DURATION, `${allowed} (Go syntax: 30s, 2m, 1h30m)`, 64);
  if (min !== undefined) {
    const minMs = parseDuration(min);
    schema = schema.refine((v) => !DURATION.test(v) || parseDuration(v) >= minMs, { error: allowed });
  }
  if (max !== undefined) {
    const maxMs = parseDuration(max);
    schema = schema.refine((v) => !DURATION.test(v) || parseDuration(v) <= maxMs, { error: allowed });
  }
  const cel = [
    ...(min !== undefined ? [`duration(self) >= duration('${min}')`] : []),
    ...(max !== undefined ? [`duration(self) <= duration('${max}')`] : []),
  ];
  return cel.length === 0 ? schema : withCel(schema, { rule: cel.join(' && '), message: allowed });
}

/** A cron schedule (5 fields, or a macro such as `@daily`), as a CronJob accepts it. */
export const CRON =
  /^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|([0-9*/,?A-Za-z-]+ +){4}[0-9*/,?A-Za-z-]+)$/;
/**
 * The impossible schedules the API server can recognise by pattern: a single day of month that
 * no named month has (30 or 31 in February, 31 in April, June, September, November) with any
 * day of week. The zod check (`cronProblem`) refuses these and every other never-firing schedule.
 */
export const CRON_NEVER_FIRES_CEL =
  "!self.matches('^[^ ]+ +[^ ]+ +(30|31) +(0?2|[Ff][Ee][Bb]) +[*?]$') && " +
  "!self.matches('^[^ ]+ +[^ ]+ +31 +(0?4|0?6|0?9|11|[Aa][Pp][Rr]|[Jj][Uu][Nn]|[Ss][Ee][Pp]|[Nn][Oo][Vv]) +[*?]$')";

/** Refuses a cron schedule that never fires (zod, and the recognisable cases in CEL). */
export function fireableCron<S extends z.ZodType<string>>(schema: S): S {
  const refined = schema.superRefine((value, ctx) => {
    const problem = value === '' ? undefined : cronProblem(value);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', message: `cron schedule ${problem}`, input: value });
  }) as unknown as S;
  return withCel(refined, {
    rule: CRON_NEVER_FIRES_CEL,
    message: 'cron schedule never fires: no month it names has that day',
  });
}

/** A cron schedule that can fire (a schedule that never fires is refused). */
export const cron = () =>
  fireableCron(patterned(CRON, "must be a cron schedule like '0 2 * * *' or '@daily'", 128));

/** A container image reference: `[registry[:port]/]path[:tag][@sha256:digest]`. */
export const IMAGE_REF =
  /^([a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]+)?\/)?[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
export const imageRef = () =>
  patterned(IMAGE_REF, 'must be an image reference like registry.example.com/multinic:0.1.0', 512);

/** An http(s) URL. */
export const HTTP_URL = /^https?:\/\/[^\s/?#]+([/?#][^\s]*)?$/;
export const httpUrl = () => patterned(HTTP_URL, 'must be an http:// or https:// URL', 2048);

/** A host name or IPv4 address. */
export const HOST = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
export const host = () => patterned(HOST, 'must be a host name or IPv4 address', 253);

/** An absolute HTTP path. */
export const httpPath = () => patterned(/^\/[^\s]*$/, "must be an absolute path starting with '/'", 1024);

/** An IANA time zone name (`UTC`, `Europe/Berlin`). */
export const timeZone = () =>
  patterned(
    /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/,
    'must be an IANA time zone like UTC or Europe/Berlin',
    64,
  );

/** RFC 3339 timestamp, as Kubernetes writes them (`2026-01-12T03:13:01Z`). */
export const dateTime = () =>
  z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time like 2026-01-12T03:13:01Z' });

/** SHA-256 hex. */
export const sha256Hex = () => patterned(/^[0-9a-f]{64}$/, 'must be a lower-case SHA-256 hex digest', 64);

// ---------------------------------------------------------------------------------------------
// Kubernetes shapes

/** `{name}` of a Secret in the same namespace. */
export const secretRefSchema = z.strictObject({
  name: k8sName().describe('Name of a Secret in the same namespace.'),
});
export type SecretRef = z.output<typeof secretRefSchema>;

/** `{name, key}` of one value in a Secret in the same namespace. */
export const secretKeyRefSchema = z.strictObject({
  name: k8sName().describe('Name of a Secret in the same namespace.'),
  key: secretKey().describe('Key in the Secret.'),
});
export type SecretKeyRef = z.output<typeof secretKeyRefSchema>;

/** CPU/memory for a container; one value is used as both request and limit (as the earlier operator did). */
export const resourcesSchema = z.strictObject({
  cpu: quantity().optional().describe('CPU request and limit, e.g. 500m.'),
  memory: quantity().optional().describe('Memory request and limit, e.g. 256Mi.'),
});
export type Resources = z.output<typeof resourcesSchema>;

export const tolerationSchema = z.strictObject({
  key: text(316).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.int().optional(),
});
export type Toleration = z.output<typeof tolerationSchema>;

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label map (node selectors). */
export const labelMapSchema = z.record(
  patterned(LABEL_KEY, 'must be a label key like kubernetes.io/os', 316),
  patterned(LABEL_VALUE, "must be a label value: letters, digits, '-', '_', '.'", 63),
);

// ---------------------------------------------------------------------------------------------
// Conditions (metav1.Condition), a list-map keyed by `type`.

export const CONDITION_STATUS = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUS)[number];

/** CamelCase reason such as `AllComponentsReady` (Kubernetes convention: reasons are CamelCase). */
export const REASON = /^[A-Z][A-Za-z0-9]*$/;

export const conditionSchema = z.strictObject({
  type: patterned(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
    'must be a condition type like Ready',
    316,
  ),
  status: z.enum(CONDITION_STATUS),
  reason: patterned(REASON, 'must be a CamelCase reason like AllComponentsReady', 1024),
  message: z.string().max(32768).optional(),
  lastTransitionTime: dateTime().optional(),
  observedGeneration: count().optional(),
});
export type Condition = z.output<typeof conditionSchema>;

/** `status.conditions`: unique by `type`, merged by `type` on server-side apply. */
export const conditionsSchema = z
  .array(conditionSchema)
  .max(32)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] });

/**
 * Object metadata as far as MultiNic reads it; anything else the API server sends is kept.
 * The CRD leaves metadata to the API server (`type: object` only).
 */
export const objectMetaSchema = z.looseObject({
  name: k8sName().optional(),
  generateName: z.string().optional(),
  namespace: dnsLabel().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.union([z.string(), z.date()]).optional(),
  deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(z.looseObject({})).optional(),
});
export type ObjectMeta = z.output<typeof objectMetaSchema>;

/** A whole resource: `apiVersion`, `kind`, `metadata`, `spec`, optional `status`. */
export function resourceSchema<Spec extends z.ZodType, Status extends z.ZodType>(
  apiVersion: string,
  kind: string,
  spec: Spec,
  status: Status,
) {
  return z.object({
    apiVersion: z.literal(apiVersion, { error: `must be ${apiVersion}` }),
    kind: z.literal(kind, { error: `must be ${kind}` }),
    metadata: objectMetaSchema.prefault({}),
    spec,
    status: status.optional(),
  });
}
