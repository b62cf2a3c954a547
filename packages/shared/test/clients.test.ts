import { describe, expect, it } from '@jest/globals';
import { cloudFromEnv } from '../src/cloud/clients.js';

describe('Google clients', () => {
  it('leave every retry to the engine: no ClusterManager method retries beneath it', async () => {
    for (const env of [{ CONTAINER_EMULATOR_HOST: '127.0.0.1:1' }, {}]) {
      const client = cloudFromEnv(env).container() as any;
      const methods = Object.entries(client._defaults as Record<string, any>);
      expect(methods.length).toBeGreaterThan(20);
      const retrying = methods.filter(([, settings]) => (settings.retry?.retryCodes ?? []).length > 0);
      expect(retrying.map(([name]) => name)).toEqual([]);
    }
  });
});
