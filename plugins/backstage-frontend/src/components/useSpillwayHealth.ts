import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import { spillwayApiRef } from '../api.js';
import type { SpillwayHealthResponse } from '@spillway/backstage-plugin-spillway-common';

export interface SpillwayHealthState {
  /** The last answer; kept while a refresh runs, so the card never flashes back to loading. */
  value?: SpillwayHealthResponse;
  /** The last request's failure (cleared by the next success). */
  error?: Error;
  /** Nothing has been answered yet. */
  loading: boolean;
  /** A request is running while an earlier answer is shown. */
  refreshing: boolean;
  refresh: () => void;
}

/** Reads the entity's health now, every `refreshIntervalMs` (0: never by itself), and on refresh(). */
export function useSpillwayHealth(entity: CompoundEntityRef, refreshIntervalMs: number): SpillwayHealthState {
  const api = useApi(spillwayApiRef);
  const [value, setValue] = useState<SpillwayHealthResponse>();
  const [error, setError] = useState<Error>();
  const [running, setRunning] = useState(true);
  const current = useRef<AbortController | undefined>(undefined);
  const { namespace, kind, name } = entity;

  const refresh = useCallback(() => {
    current.current?.abort(); // the newest request wins
    const controller = new AbortController();
    current.current = controller;
    setRunning(true);
    api.getHealth({ namespace, kind, name }, { signal: controller.signal }).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setValue(answer);
        setError(undefined);
        setRunning(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure : new Error(String(failure)));
        setRunning(false);
      },
    );
  }, [api, namespace, kind, name]);

  useEffect(() => {
    refresh();
    const timer = refreshIntervalMs > 0 ? setInterval(refresh, refreshIntervalMs) : undefined;
    return () => {
      clearInterval(timer);
      current.current?.abort();
    };
  }, [refresh, refreshIntervalMs]);

  const answered = value !== undefined || error !== undefined;
  return { value, error, loading: !answered, refreshing: running && answered, refresh };
}
