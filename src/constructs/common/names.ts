// Kubernetes names and label values are length-limited; names we derive from user input
// (node names, CR names) are shortened deterministically with a hash suffix instead of failing.
import { createHash } from 'node:crypto';

/** Maximum length of a label value, a DNS-1123 label, and a Job name (copied into the `job-name` label). */
export const MAX_LABEL_LENGTH = 63;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function shortHash(value: string, length = 8): string {
  return createHash('sha256').update(value).digest('hex').slice(0, length);
}

/**
 * Joins `parts` with '-' into a DNS-1123 label of at most `max` characters. When the joined
 * name is too long it is cut and suffixed with `-<8 hex of sha256(full name)>`, so two long
 * names that share a prefix still differ and the same input always yields the same name.
 */
export function boundedName(parts: readonly string[], max = MAX_LABEL_LENGTH): string {
  const full = parts
    .filter((part) => part.length > 0)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  if (full.length <= max) return full;
  const suffix = shortHash(full);
  const head = full.slice(0, max - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}

/**
 * A label value for a name that may be longer than 63 characters (node names are DNS
 * subdomains of up to 253): the name itself when it fits, else a bounded, hashed form.
 */
export function labelValue(value: string): string {
  if (value.length <= MAX_LABEL_LENGTH) return value;
  return boundedName([value.replace(/\./g, '-')]);
}

export function isDnsLabel(value: string): boolean {
  return value.length <= MAX_LABEL_LENGTH && DNS_LABEL.test(value);
}

export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value);
}
