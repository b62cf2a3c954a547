import { createLogUpdate } from 'log-update';
import type { ProgressEvent, ProgressListener, ResourceState } from '@spillway/shared';

/**
 * Progress of plan, apply and destroy: in a terminal a live task list (one line per resource, its
 * state and elapsed time); elsewhere plain timestamped lines, one per change of state.
 */
const SYMBOL: Record<ResourceState, string> = {
  pending: '·',
  reading: '…',
  creating: '+',
  updating: '~',
  replacing: '±',
  deleting: '-',
  waiting: '…',
  retrying: '↻',
  done: '✔',
  failed: '✖',
  blocked: '⊘',
  skipped: '○',
};

const ACTIVE: ReadonlySet<ResourceState> = new Set([
  'reading',
  'creating',
  'updating',
  'replacing',
  'deleting',
  'waiting',
  'retrying',
]);

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface Progress {
  listener: ProgressListener;
  stop(): void;
}

export function progressFor(stream: NodeJS.WriteStream, write: (text: string) => void): Progress {
  return stream.isTTY ? liveTaskList(stream) : timestampedLines(write);
}

/** One line per change of state, for logs and CI. */
export function timestampedLines(write: (text: string) => void): Progress {
  return {
    listener: (e: ProgressEvent) => {
      if (e.state === 'pending' || e.state === 'reading') return;
      const detail = e.detail ? ` — ${e.detail}` : '';
      write(
        `${e.at} ${e.state.padEnd(9)} ${e.title}${detail}${e.elapsedMs ? ` (${formatDuration(e.elapsedMs)})` : ''}\n`,
      );
    },
    stop: () => undefined,
  };
}

function liveTaskList(stream: NodeJS.WriteStream): Progress {
  const lines = new Map<string, ProgressEvent>();
  const render = createLogUpdate(stream, { showCursor: false });
  const draw = () => {
    const all = [...lines.values()];
    const active = all.filter((e) => ACTIVE.has(e.state));
    const finished = all.filter((e) => e.state === 'done' || e.state === 'skipped').length;
    const failed = all.filter((e) => e.state === 'failed' || e.state === 'blocked');
    const rows = (stream.rows ?? 30) - 4;
    const shown = [...failed, ...active].slice(0, Math.max(5, rows));
    const text = shown.map((e) => {
      const elapsed = e.elapsedMs
        ? formatDuration(e.elapsedMs + (ACTIVE.has(e.state) ? Date.now() - Date.parse(e.at) : 0))
        : '';
      return `${SYMBOL[e.state]} ${e.title.padEnd(60).slice(0, 60)} ${e.state.padEnd(9)} ${elapsed.padStart(6)}${e.detail && e.state !== 'done' ? `  ${e.detail.slice(0, 60)}` : ''}`;
    });
    text.push(
      `${finished}/${all.length} done${failed.length ? `, ${failed.length} failed` : ''}${shown.length < active.length + failed.length ? ` (${active.length + failed.length - shown.length} more in progress)` : ''}`,
    );
    render(text.join('\n'));
  };
  const timer = setInterval(draw, 250);
  return {
    listener: (e) => {
      lines.set(e.id, e);
    },
    stop: () => {
      clearInterval(timer);
      draw();
      render.done();
    },
  };
}
