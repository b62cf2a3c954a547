import { useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import type { SpillwayPlatformResponse } from '@spillway/backstage-plugin-spillway-common';
import { spillwayApiRef } from '../api.js';

export interface PlatformState {
  platform?: SpillwayPlatformResponse;
  error?: Error;
  loading: boolean;
}

/** A configured platform's regions, read again whenever the name changes (undefined: nothing to read). */
export function usePlatform(name: string | undefined): PlatformState {
  const api = useApi(spillwayApiRef);
  const [state, setState] = useState<PlatformState>({ loading: name !== undefined });

  useEffect(() => {
    if (name === undefined) {
      setState({ loading: false });
      return undefined;
    }
    const controller = new AbortController();
    setState({ loading: true });
    api.getPlatform(name, { signal: controller.signal }).then(
      (platform) => !controller.signal.aborted && setState({ platform, loading: false }),
      (failure: unknown) =>
        !controller.signal.aborted &&
        setState({ error: failure instanceof Error ? failure : new Error(String(failure)), loading: false }),
    );
    return () => controller.abort();
  }, [api, name]);

  return state;
}
