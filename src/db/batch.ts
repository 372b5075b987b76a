// Helpers shared by the repositories: chunking for multi-row statements and placeholder lists.

/** Rows per multi-row statement: ~17 parameters each stays far below MariaDB's 65,535 limit. */
export const DEFAULT_CHUNK_SIZE = 500;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` columns. */
export function valuesList(rows: number, columns: number): string {
  const row = `(${new Array<string>(columns).fill('?').join(', ')})`;
  return new Array<string>(rows).fill(row).join(', ');
}

/** `?, ?, ?` */
export function placeholders(count: number): string {
  return new Array<string>(count).fill('?').join(', ');
}

/** Owner of rows: the OpenstackConfig that produced them. */
export interface ConfigRef {
  namespace: string;
  name: string;
}

/** Counts a write reports; `unchanged` rows cost no write at all. */
export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export function emptyCounts(): UpsertCounts {
  return { inserted: 0, updated: 0, unchanged: 0 };
}

/** Rows inserted or updated. */
export function writes(counts: UpsertCounts): number {
  return counts.inserted + counts.updated;
}

export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(String(value));
}

/** Throws when a list has two entries with one key (a caller bug that would make counts lie). */
export function assertUnique<T>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const value = key(item);
    if (seen.has(value)) throw new Error(`duplicate ${what} '${value}' in one batch`);
    seen.add(value);
  }
}

export interface RepositoryOptions {
  /** @default - the wall clock */
  now?: () => Date;
  /** Rows per multi-row statement. @default 500 */
  chunkSize?: number;
}
