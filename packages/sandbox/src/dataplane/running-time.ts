/**
 * Timeouts in the sandbox's own time. The data plane's durations are simulated seconds scaled by
 * the clock (1 ms per simulated second in the tests), so a pause of the whole process — a busy
 * machine that does not schedule it, a garbage collection, a burst of work in the same event loop —
 * would age every request by a minute of simulated time at once, and time it out although nothing
 * in the simulation was slow. A pause is not simulated time: a meter notices when the event loop
 * ran late and leaves that time out, so a timeout fires only once its duration has passed while
 * the process was running. A request that is really too slow (a queue behind a full region) still
 * times out; it only takes longer in wall time on a busy machine.
 */
import type { Clock } from '../clock.js';

/** How often the meter looks at the event loop while some timeout is pending (wall ms). */
const TICK_MS = 5;
/** Lateness of a tick up to this is the timers' ordinary jitter, not a pause (wall ms). */
const JITTER_MS = 2;

/** Wall milliseconds the process has not been running, counted while timeouts are pending. */
class PauseMeter {
  private paused = 0;
  private last = 0;
  private users = 0;
  private timer: NodeJS.Timeout | undefined;

  use() {
    if (this.users++ === 0) {
      this.last = performance.now();
      this.timer = setInterval(() => {
        const now = performance.now();
        this.paused += Math.max(0, now - this.last - TICK_MS - JITTER_MS);
        this.last = now;
      }, TICK_MS);
      this.timer.unref();
    }
  }

  release() {
    if (--this.users === 0) {
      // The lateness of the tick that never came, so a later use() starts from the same total.
      this.paused = this.pausedMs();
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Pauses so far, including one that is just ending (its tick has not run yet). */
  pausedMs(): number {
    return (
      this.paused + (this.users > 0 ? Math.max(0, performance.now() - this.last - TICK_MS - JITTER_MS) : 0)
    );
  }
}

const meter = new PauseMeter();

/** Counts wall time while the process runs, from now until stop(); pauses are left out. */
export class RunningTime {
  private readonly wallStart: number;
  private readonly pausedStart: number;
  private stopped: number | undefined;

  constructor() {
    meter.use();
    this.wallStart = performance.now();
    this.pausedStart = meter.pausedMs();
  }

  elapsedMs(): number {
    return this.stopped ?? performance.now() - this.wallStart - (meter.pausedMs() - this.pausedStart);
  }

  /** Stops counting (the meter rests when nothing counts); elapsedMs() keeps its last value. */
  stop() {
    if (this.stopped !== undefined) return;
    this.stopped = this.elapsedMs();
    meter.release();
  }
}

/** A cancellable timeout; cancelling twice, or after it fired, does nothing. */
export type Cancel = () => void;

/**
 * Calls `fire` once `ms` wall milliseconds have passed while the process was running. A timer that
 * comes due across a pause looks again, after the time the pause took from it.
 */
export function afterRunning(ms: number, fire: () => void): Cancel {
  const running = new RunningTime();
  let done = false;
  let timer: NodeJS.Timeout;
  const cancel = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    running.stop();
  };
  const check = () => {
    const left = ms - running.elapsedMs();
    if (left > 0) {
      timer = setTimeout(check, Math.max(1, left));
      return;
    }
    cancel();
    fire();
  };
  timer = setTimeout(check, Math.max(0, ms));
  return cancel;
}

/** `afterRunning` for a duration in simulated seconds, converted with the sandbox's clock. */
export function simulatedTimeout(clock: Clock, seconds: number, fire: () => void): Cancel {
  return afterRunning(clock.wallMs(seconds), fire);
}

/** Resolves once `seconds` of simulated time have passed while the process was running. */
export function simulatedSleep(clock: Clock, seconds: number): Promise<void> {
  return new Promise((resolve) => void simulatedTimeout(clock, seconds, resolve));
}
