import type { ResourceType } from '../render/graph.js';
import type { Action } from './types.js';

/** Progress as plain data: every face renders it in its own idiom (terminal, Actions, Backstage). */
export type ResourceState =
  | 'pending'
  | 'reading'
  | 'creating'
  | 'updating'
  | 'replacing'
  | 'deleting'
  | 'waiting'
  | 'retrying'
  | 'done'
  | 'failed'
  | 'blocked'
  | 'skipped';

export interface ProgressEvent {
  id: string;
  type: ResourceType;
  title: string;
  state: ResourceState;
  action?: Action;
  /** A short explanation: why it waits, what failed, what it retries. Never a secret. */
  detail?: string;
  /** Since this resource started (0 while pending). */
  elapsedMs: number;
  at: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

export const FINAL_STATES: ReadonlySet<ResourceState> = new Set(['done', 'failed', 'blocked', 'skipped']);
