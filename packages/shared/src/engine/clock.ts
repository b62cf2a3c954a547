/**
 * Time enters the engine here and nowhere else (ARCHITECTURE.md): every pause, deadline and
 * elapsed time goes through a Clock, so ordering, retries, deadlines and hangs are tested in
 * milliseconds with a virtual one.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (a background loop that must stop). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/**
 * Time that passes only when everything else waits: once no promise can make progress (the
 * macrotask queue is reached), the earliest sleeper wakes and the clock jumps to its time. For
 * in-memory handlers only: real I/O would be overtaken.
 */
export class VirtualClock implements Clock {
  private time: number;
  private readonly sleepers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  private scheduled = false;
  /** Every sleep asked for, in order (tests assert backoff and poll intervals with it). */
  readonly sleeps: number[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((wake) => {
      if (signal?.aborted) return wake();
      const sleeper = { at: this.time + Math.max(0, ms), seq: this.seq++, wake };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.sleepers.indexOf(sleeper);
          if (i >= 0) this.sleepers.splice(i, 1);
          wake();
        },
        { once: true },
      );
      this.schedule();
    });
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.sleepers.length) return;
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers.shift()!;
      this.time = Math.max(this.time, next.at);
      next.wake();
      if (this.sleepers.length) this.schedule();
    });
  }
}
