// Collection reads shared by Neutron and Nova: follow the `<collection>_links` "next" link
// until there is none (a full last page yields one more, empty, page — that is how both APIs
// behave), and split long id lists into requests whose URLs stay bounded.
import { OpenStackResponseError } from './errors.js';
import type { OpenStackSession, QueryParams, ServiceType } from './session.js';

interface Link {
  rel?: string;
  href?: string;
}

export interface ListAllRequest {
  service: ServiceType;
  operation: string;
  path: string;
  /** Collection key in the body (`ports`) — links are read from `<collection>_links`. */
  collection: string;
  query?: QueryParams;
  /** Adds `limit=<pageSize>`; without it the server decides (and may still paginate). */
  pageSize?: number;
  signal?: AbortSignal;
  /** Safety stop against a server that loops. @default 10000 */
  maxPages?: number;
}

/** Every item of a paginated collection. Only the query of a next link is used, so a
 * link naming an internal host (a proxy in front of the API) still reaches our endpoint. */
export async function listAll<T>(session: OpenStackSession, req: ListAllRequest): Promise<T[]> {
  const items: T[] = [];
  let query: Array<readonly [string, string]> = [...(req.query ?? [])];
  if (req.pageSize !== undefined) query.push(['limit', String(req.pageSize)]);
  const maxPages = req.maxPages ?? 10_000;
  for (let page = 0; page < maxPages; page++) {
    const response = await session.request(req.service, {
      operation: req.operation,
      path: req.path,
      query,
      ...(req.signal !== undefined ? { signal: req.signal } : {}),
    });
    const body = response.body as Record<string, unknown> | undefined;
    const list = body?.[req.collection];
    if (!Array.isArray(list)) {
      throw new OpenStackResponseError(
        `${req.service}: ${req.path}: response has no '${req.collection}' array`,
      );
    }
    items.push(...(list as T[]));
    const links = body?.[`${req.collection}_links`];
    const next = Array.isArray(links)
      ? (links as Link[]).find((link) => link.rel === 'next')?.href
      : undefined;
    if (next === undefined || list.length === 0) return items;
    query = [...new URL(next, 'http://placeholder').searchParams.entries()];
  }
  throw new OpenStackResponseError(`${req.service}: ${req.path}: more than ${maxPages} pages`);
}

export interface ChunkOptions {
  /** @default 50 */
  maxPerChunk?: number;
  /** Budget for the encoded `key=value&` parameters of one chunk. @default 3000 */
  maxQueryLength?: number;
}

/** Splits `values` into chunks of at most `maxPerChunk` whose encoded `key=value` parameters fit the budget. */
export function chunkForQuery(
  key: string,
  values: readonly string[],
  options: ChunkOptions = {},
): string[][] {
  const maxPerChunk = options.maxPerChunk ?? 50;
  const budget = options.maxQueryLength ?? 3000;
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const cost = encodeURIComponent(key).length + encodeURIComponent(value).length + 2;
    if (current.length > 0 && (current.length >= maxPerChunk || length + cost > budget)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(value);
    length += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/** Values once each, first occurrence order. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export interface ListChunkedRequest extends Omit<ListAllRequest, 'query'> {
  /** Filter parameter the values go into (`id`, `device_id`). */
  key: string;
  values: readonly string[];
  /** Filters sent with every chunk. */
  query?: QueryParams;
  /** @default 50 */
  maxPerChunk?: number;
  /** Chunks in flight at once. @default 4 */
  concurrency?: number;
}

/** `listAll` once per chunk of `values` (URLs stay bounded), concurrency bounded; duplicate
 * values are sent once and an empty `values` list makes no call. Results are concatenated. */
export async function listAllChunked<T>(session: OpenStackSession, req: ListChunkedRequest): Promise<T[]> {
  const { key, values, query = [], maxPerChunk = 50, concurrency = 4, ...list } = req;
  const chunks = chunkForQuery(key, unique(values), { maxPerChunk });
  const pages = await mapBounded(chunks, concurrency, (chunk) =>
    listAll<T>(session, { ...list, query: [...chunk.map((value) => [key, value] as const), ...query] }),
  );
  return pages.flat();
}
