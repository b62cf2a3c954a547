import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from '@jest/globals';
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

describe('the GKE client without credentials', () => {
  const saved = { ...process.env };
  afterEach(() => void (process.env = { ...saved }));

  it('fails each call with the missing credentials, leaving no rejection unhandled', async () => {
    // Application Default Credentials find nothing: no key file, no gcloud config, no metadata server.
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.HOME = process.env.CLOUDSDK_CONFIG = tmpdir();
    process.env.METADATA_SERVER_DETECTION = 'none';
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const cloud = cloudFromEnv({});
      for (const name of ['projects/p/locations/l/clusters/a', 'projects/p/locations/l/clusters/b'])
        await expect(cloud.container().getCluster({ name })).rejects.toThrow(
          /Could not load the default credentials/,
        );
      await cloud.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
