/**
 * Simulated time: durations are given as Google Cloud would take them (seconds) and scaled, so a
 * ten-minute cluster creation can take a second in a test (ARCHITECTURE.md, "The sandbox").
 */
export class Clock {
  /** Simulated seconds added by {@link advance}: how a test lets hours pass at once. */
  private skippedSeconds = 0;

  /** Wall milliseconds per simulated second. 1000 is real time; 1 makes 10 minutes take 0.6 s. */
  constructor(readonly msPerSecond = 1000) {}

  /** Moves simulated time (simulatedSeconds) forward: a flex-start node's run ends without waiting for it. */
  advance(seconds: number) {
    this.skippedSeconds += seconds;
  }

  /** Wall milliseconds for a simulated duration in seconds. */
  wallMs(seconds: number): number {
    return Math.max(0, seconds * this.msPerSecond);
  }

  sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.wallMs(seconds)).unref());
  }

  now(): Date {
    return new Date();
  }

  /**
   * Simulated seconds: wall time at this scale (wall milliseconds since the epoch divided by
   * msPerSecond). Only differences mean something: a stamp taken now is `age` simulated seconds old
   * when `simulatedSeconds() - stamp` reaches `age` (e.g. a request ID remembered for an hour). The
   * reading survives a restart at the same scale, so it can be kept in persisted state.
   */
  simulatedSeconds(): number {
    return Date.now() / Math.max(this.msPerSecond, 1e-6) + this.skippedSeconds;
  }
}
