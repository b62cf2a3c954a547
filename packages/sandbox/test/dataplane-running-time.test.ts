import { describe, expect, it } from '@jest/globals';
import { Clock } from '../src/clock.js';
import { afterRunning, RunningTime, simulatedTimeout } from '../src/dataplane/running-time.js';

/** The whole process stops for `ms`, as on a machine whose CPU is taken elsewhere. */
function pause(ms: number) {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const fired = (arm: (fire: () => void) => void) =>
  new Promise<number>((resolve) => {
    const t0 = performance.now();
    arm(() => resolve(performance.now() - t0));
  });

describe("running time: the sandbox's timeouts leave out the time the process was paused", () => {
  it('fires after its duration when nothing pauses', async () => {
    expect(await fired((fire) => afterRunning(40, fire))).toBeGreaterThanOrEqual(39);
  });

  it('does not count a pause: 50 ms of running time around a 200 ms pause take 250 ms of wall time', async () => {
    const ms = await fired((fire) => {
      afterRunning(50, fire);
      setTimeout(() => pause(200), 10);
    });
    expect(ms).toBeGreaterThanOrEqual(240);
  });

  it('counts simulated seconds on the sandbox clock; a cancelled timeout never fires', async () => {
    let cancelledFired = false;
    const cancel = simulatedTimeout(new Clock(10), 1, () => (cancelledFired = true));
    cancel();
    expect(await fired((fire) => simulatedTimeout(new Clock(10), 3, fire))).toBeGreaterThanOrEqual(29);
    expect(cancelledFired).toBe(false);
  });

  it('measures elapsed running time until stopped', async () => {
    const running = new RunningTime();
    await new Promise((r) => setTimeout(r, 20));
    pause(100);
    const elapsed = running.elapsedMs();
    expect([elapsed >= 15, elapsed < 80]).toEqual([true, true]);
    running.stop();
    pause(30);
    expect(running.elapsedMs()).toBeLessThan(elapsed + 10);
  });
});
