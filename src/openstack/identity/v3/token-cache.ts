// Tokens cached per credential (one Keystone issuance serves every client built from the same
// credentials), refreshed before they expire, and re-issued at most once at a time per
// credential however many callers see a 401 together (single flight).
import { createHash } from 'node:crypto';
import type { KeystoneCredentials } from '../../credentials.js';
import type { Token } from './tokens.js';

export interface TokenCacheOptions {
  /** Refresh this long before expiry (capped at half the token's lifetime). @default 300000 */
  refreshMarginMs?: number;
  /** Wall clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Called when a background refresh fails (the current token stays in use). */
  onBackgroundError?: (err: unknown) => void;
}

interface Entry {
  token?: Token;
  inflight?: Promise<Token>;
}

/** A stable key for a credential; the password enters only as part of a SHA-256 digest. */
export function credentialKey(credentials: KeystoneCredentials): string {
  const parts = [
    credentials.authUrl.replace(/\/+$/, ''),
    credentials.userId ?? '',
    credentials.username ?? '',
    credentials.userDomainId ?? '',
    credentials.userDomainName ?? '',
    credentials.projectId ?? '',
    credentials.projectName ?? '',
    credentials.projectDomainId ?? '',
    credentials.projectDomainName ?? '',
    credentials.password,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private readonly onBackgroundError: (err: unknown) => void;

  constructor(options: TokenCacheOptions = {}) {
    this.refreshMarginMs = options.refreshMarginMs ?? 300_000;
    this.now = options.now ?? Date.now;
    this.onBackgroundError = options.onBackgroundError ?? (() => undefined);
  }

  /**
   * A usable token for `key`. Fresh → returned as is. Inside the refresh margin but not about
   * to expire → returned, and one refresh starts in the background. Expired or absent → the
   * caller waits for the (shared) issuance.
   */
  async get(key: string, issue: () => Promise<Token>): Promise<Token> {
    const entry = this.entry(key);
    const token = entry.token;
    if (token !== undefined) {
      const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
      const margin = Math.min(this.refreshMarginMs, lifetime / 2);
      const skew = Math.min(10_000, lifetime / 10);
      const now = this.now();
      if (now < token.expiresAt - margin) return token;
      if (now < token.expiresAt - skew) {
        this.refresh(key, issue).catch(this.onBackgroundError);
        return token;
      }
    }
    return this.refresh(key, issue);
  }

  /** Forgets `tokenId` (after a 401); a newer token of the same key is kept. */
  invalidate(key: string, tokenId: string): void {
    const entry = this.entries.get(key);
    if (entry?.token?.id === tokenId) delete entry.token;
  }

  /** Resolves when no issuance is in flight (background refreshes included). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((entry) => entry.inflight));
  }

  /** Drops every cached token (credential rotation, tests). */
  clear(): void {
    this.entries.clear();
  }

  private refresh(key: string, issue: () => Promise<Token>): Promise<Token> {
    const entry = this.entry(key);
    if (entry.inflight !== undefined) return entry.inflight;
    const inflight = issue()
      .then((token) => {
        entry.token = token;
        return token;
      })
      .finally(() => {
        delete entry.inflight;
      });
    entry.inflight = inflight;
    return inflight;
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = {};
      this.entries.set(key, entry);
    }
    return entry;
  }
}

/** The process-wide cache every session uses unless given another. */
export const defaultTokenCache = new TokenCache();
