import { createHash } from 'node:crypto';
import type { CacheService } from '@backstage/backend-plugin-api';

/** An answer as it goes on the wire: its JSON bytes, once serialized, and their ETag. */
export interface Answer {
  body: Buffer;
  etag: string;
}

/** What the shared cache keeps per key: plain JSON, so any replica can serve it. */
interface Stored {
  body: string;
  /** When the upstream read finished (ms since epoch): the answer expires a TTL later, everywhere. */
  readAt: number;
}

/**
 * Answers per key, read at most once per TTL. Three layers, cheapest first: this replica's own
 * copy (the bytes ready to send, so a warm request costs no cache lookup, parsing or serializing),
 * the shared cache (`coreServices.cache`, so replicas share a read), and the read itself, which
 * concurrent misses of one key share.
 */
export class AnswerCache {
  private readonly local = new Map<string, Answer & { expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<Answer>>();

  constructor(
    private readonly cache: CacheService,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string, read: () => Promise<object>): Promise<Answer> {
    const local = this.local.get(key);
    if (local && local.expiresAt > this.now()) return local;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = this.readThrough(key, read).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async readThrough(key: string, read: () => Promise<object>): Promise<Answer> {
    let stored = this.ttlMs > 0 ? ((await this.cache.get(key)) as Stored | undefined) : undefined;
    if (!stored || stored.readAt + this.ttlMs <= this.now()) {
      stored = { body: JSON.stringify(await read()), readAt: this.now() };
      if (this.ttlMs > 0) await this.cache.set(key, { ...stored }, { ttl: this.ttlMs });
    }
    const body = Buffer.from(stored.body);
    const answer = { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    if (this.ttlMs > 0) {
      this.forgetExpired();
      this.local.set(key, { ...answer, expiresAt: stored.readAt + this.ttlMs });
    }
    return answer;
  }

  /** Entities nobody looks at any more do not stay in memory past their TTL. */
  private forgetExpired() {
    const now = this.now();
    for (const [key, entry] of this.local) if (entry.expiresAt <= now) this.local.delete(key);
  }
}
