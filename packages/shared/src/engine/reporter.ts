import type { Resource } from '../render/graph.js';
import type { Clock } from './clock.js';
import type { ProgressEvent, ProgressListener, ResourceState } from './events.js';
import type { Action } from './types.js';

/** Turns what the engine does into progress events, timed by the run's clock. */
export class Reporter {
  private readonly started = new Map<string, number>();
  constructor(
    private readonly clock: Clock,
    private readonly onEvent?: ProgressListener,
  ) {}

  emit(r: Resource, state: ResourceState, extra: { action?: Action; detail?: string } = {}) {
    const now = this.clock.now();
    if (!this.started.has(r.id) && state !== 'pending') this.started.set(r.id, now);
    const start = this.started.get(r.id);
    const event: ProgressEvent = {
      id: r.id,
      type: r.type,
      title: r.title,
      state,
      ...extra,
      elapsedMs: start ? now - start : 0,
      at: new Date(now).toISOString(),
    };
    this.onEvent?.(event);
    return event;
  }

  elapsed(r: Resource) {
    const start = this.started.get(r.id);
    return start ? this.clock.now() - start : 0;
  }
}
