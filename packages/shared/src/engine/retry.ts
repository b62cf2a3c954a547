import { describeCallError, isRetryable, toCallError, type CallError } from '../cloud/errors.js';
import type { Timing } from './types.js';

export class DeadlineError extends Error {}

/**
 * Retries `call` while its error is retryable, with exponential backoff and jitter, until the
 * deadline. The only retry loop there is: the client libraries' own retries are off, so every
 * retry is one the engine decides, counts (`onRetry`) and shows. An attempt that gets no answer
 * within `timing.callTimeoutMs` counts as timed out: an API that hangs fails at the deadline
 * instead of holding the run forever.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  timing: Timing,
  deadline: number,
  onRetry?: (error: CallError, attempt: number) => void,
  retryable: (error: CallError) => boolean = isRetryable,
): Promise<T> {
  let backoff = timing.initialBackoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await answered(call(), timing);
    } catch (error) {
      const e = toCallError(error);
      if (!retryable(e) || timing.clock.now() + backoff > deadline) throw error;
      onRetry?.(e, attempt);
      await timing.clock.sleep(backoff * (0.5 + timing.random() / 2));
      backoff = Math.min(timing.maxBackoffMs, backoff * 2);
    }
  }
}

/** The call's answer, or a timeout (a network error, retryable) when none comes within callTimeoutMs. */
async function answered<T>(call: Promise<T>, timing: Timing): Promise<T> {
  const answer = new AbortController();
  const timeout = timing.clock.sleep(timing.callTimeoutMs, answer.signal).then(() => {
    if (answer.signal.aborted) return undefined as never;
    throw Object.assign(new DeadlineError(`no answer within ${Math.round(timing.callTimeoutMs / 1000)} s`), {
      code: 'ETIMEDOUT',
    });
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    answer.abort();
  }
}

/** One-at-a-time sections by key (GKE's one operation per cluster; one IAM writer per project). */
export class Locks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string | undefined, section: () => Promise<T>): Promise<T> {
    if (!key) return section();
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(
      key,
      previous.then(() => mine),
    );
    await previous;
    try {
      return await section();
    } finally {
      release();
    }
  }
}

/**
 * For `.catch()`: the error again, saying what was being done ("cannot list the GKE clusters of
 * project p: ETIMEDOUT: no answer within 10 s"), so a failure far from its cause still names it.
 */
export const failed =
  (what: string) =>
  (error: unknown): never => {
    const e = toCallError(error);
    const why = e.status || e.networkCode || e.reasons.length ? describeCallError(e) : e.message;
    throw new Error(`${what}: ${why}`, { cause: error });
  };
