import { describe, expect, it } from '@jest/globals';
import type { CacheService } from '@backstage/backend-plugin-api';
import { AnswerCache } from '../src/service/answers.js';

/** A shared cache that counts its lookups, as coreServices.cache behind several replicas. */
function sharedCache() {
  const entries = new Map<string, unknown>();
  const counts = { get: 0, set: 0 };
  const cache = {
    async get(key: string) {
      counts.get++;
      return entries.get(key);
    },
    async set(key: string, value: unknown) {
      counts.set++;
      entries.set(key, value);
    },
    async delete(key: string) {
      entries.delete(key);
    },
    withOptions: () => cache,
  } as unknown as CacheService;
  return { cache, counts };
}

function counter() {
  let reads = 0;
  const read = async () => ({ read: ++reads });
  return { read, reads: () => reads };
}

describe('AnswerCache', () => {
  it("answers a warm key from this replica's bytes: no shared-cache lookup, no read", async () => {
    let now = 1_000;
    const { cache, counts } = sharedCache();
    const answers = new AnswerCache(cache, 30_000, () => now);
    const { read, reads } = counter();
    const first = await answers.get('health:a', read);
    now += 29_999;
    const second = await answers.get('health:a', read);
    expect(second.etag).toBe(first.etag);
    expect(JSON.parse(second.body.toString())).toEqual({ read: 1 });
    expect([reads(), counts.get, counts.set]).toEqual([1, 1, 1]);
    expect(first.etag).toMatch(/^"[\w-]{27}"$/);
  });

  it('reads again once the TTL has passed since the read', async () => {
    let now = 1_000;
    const { cache } = sharedCache();
    const answers = new AnswerCache(cache, 30_000, () => now);
    const { read, reads } = counter();
    await answers.get('health:a', read);
    now += 30_000;
    const again = await answers.get('health:a', read);
    expect(reads()).toBe(2);
    expect(JSON.parse(again.body.toString())).toEqual({ read: 2 });
  });

  it("serves another replica's read from the shared cache until it expires, a TTL after that read", async () => {
    let now = 1_000;
    const { cache } = sharedCache();
    const { read, reads } = counter();
    const first = await new AnswerCache(cache, 30_000, () => now).get('health:a', read);
    now += 20_000;
    const other = new AnswerCache(cache, 30_000, () => now);
    expect((await other.get('health:a', read)).etag).toBe(first.etag);
    now += 10_000;
    await other.get('health:a', read);
    expect(reads()).toBe(2);
  });

  it('shares one read among concurrent misses of a key', async () => {
    const { cache } = sharedCache();
    const answers = new AnswerCache(cache, 30_000);
    const { read, reads } = counter();
    const all = await Promise.all([1, 2, 3].map(() => answers.get('health:a', read)));
    expect(reads()).toBe(1);
    expect(new Set(all.map((a) => a.etag)).size).toBe(1);
  });

  it('keeps nothing with a TTL of 0', async () => {
    const { cache, counts } = sharedCache();
    const answers = new AnswerCache(cache, 0);
    const { read, reads } = counter();
    await answers.get('health:a', read);
    await answers.get('health:a', read);
    expect([reads(), counts.get, counts.set]).toEqual([2, 0, 0]);
  });
});
