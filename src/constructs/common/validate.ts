// Prop validation shared by the constructs: every error names the prop, the value received
// and what is allowed, e.g. `MariaDb: 'replicas' must be 1..1, got 3`.
import { isDnsLabel, isDnsSubdomain } from './names.js';

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** A prop the construct refuses: the input is wrong, so retrying the same input cannot help. */
export class ConstructValidationError extends Error {
  override readonly name = 'ConstructValidationError';
}

export function fail(construct: string, prop: string, value: unknown, allowed: string): never {
  throw new ConstructValidationError(`${construct}: '${prop}' must be ${allowed}, got ${show(value)}`);
}

export function checkInt(construct: string, prop: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    fail(construct, prop, value, `an integer ${min}..${max}`);
  return value;
}

export function checkDnsLabel(construct: string, prop: string, value: string): string {
  if (!isDnsLabel(value)) {
    fail(
      construct,
      prop,
      value,
      'a DNS-1123 label (lower-case alphanumerics and "-", at most 63 characters)',
    );
  }
  return value;
}

export function checkDnsSubdomain(construct: string, prop: string, value: string): string {
  if (!isDnsSubdomain(value)) {
    fail(
      construct,
      prop,
      value,
      'a DNS-1123 subdomain (lower-case alphanumerics, "-" and ".", at most 253 characters)',
    );
  }
  return value;
}

export function checkOneOf<T extends string>(
  construct: string,
  prop: string,
  value: string,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly string[]).includes(value))
    fail(construct, prop, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

export function checkNonEmpty(construct: string, prop: string, value: string): string {
  if (value.trim().length === 0) fail(construct, prop, value, 'a non-empty string');
  return value;
}

// Kubernetes quantity: plain or decimal number with an optional binary/decimal suffix.
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

export function checkQuantity(construct: string, prop: string, value: string): string {
  if (!QUANTITY.test(value))
    fail(construct, prop, value, "a Kubernetes quantity such as '500m', '1', '256Mi' or '10Gi'");
  return value;
}

// An image reference with either a tag or a digest (bare names would silently mean `latest`).
const IMAGE = /^[a-z0-9]+([._\-/:][a-z0-9]+)*(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$/i;

export function checkImage(construct: string, prop: string, value: string): string {
  if (!IMAGE.test(value))
    fail(construct, prop, value, "an image reference with a tag or digest, e.g. 'registry/name:1.2.3'");
  return value;
}

// Five-field cron expression (minute hour day-of-month month day-of-week) or an @-macro.
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export function checkCron(construct: string, prop: string, value: string): string {
  const fields = value.trim().split(/\s+/);
  const ok =
    CRON_MACROS.includes(value.trim()) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
  if (!ok)
    fail(
      construct,
      prop,
      value,
      "a 5-field cron schedule such as '0 3 * * *' or an @-macro such as '@daily'",
    );
  return value;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IPV6_CIDR = /^[0-9a-f:]+\/(\d{1,3})$/i;

export function checkCidr(construct: string, prop: string, value: string): string {
  const v4 = IPV4_CIDR.exec(value);
  const ok = v4
    ? v4.slice(1, 5).every((octet) => Number(octet) <= 255) && Number(v4[5]) <= 32
    : IPV6_CIDR.test(value) && value.includes(':') && Number(value.split('/')[1]) <= 128;
  if (!ok) fail(construct, prop, value, "a CIDR such as '10.0.0.0/8' or 'fd00::/8'");
  return value;
}
