import { describe, expect, it } from '@jest/globals';
import { loadConfigSchema } from '@backstage/config-loader';

/** The rest of a backend's config, which Backstage's own schemas require. */
const BASE = {
  backend: { baseUrl: 'http://localhost:7007', listen: { port: 7007 } },
  app: { baseUrl: 'http://localhost:3000' },
};

describe('config.d.ts', () => {
  it('shows the frontend only the platform names', async () => {
    const schema = await loadConfigSchema({ dependencies: ['@spillway/backstage-plugin-spillway-node'] });
    const data = {
      ...BASE,
      spillway: {
        platforms: [
          { name: 'inference-prod', projectId: 'my-project', specFile: 'platforms/inference-prod.yaml' },
        ],
        cache: { ttlSeconds: 30 },
        regionTimeoutSeconds: 10,
        tokenEnvironmentVariables: ['HF_TOKEN'],
      },
    };
    const [frontend] = schema.process([{ context: 'app-config.yaml', data }], { visibility: ['frontend'] });
    expect(frontend!.data.spillway).toEqual({ platforms: [{ name: 'inference-prod' }] });
  }, 60_000);

  it('rejects a platform without its project and spec file, naming each', async () => {
    const schema = await loadConfigSchema({ dependencies: ['@spillway/backstage-plugin-spillway-node'] });
    expect(() =>
      schema.process([
        { context: 'app-config.yaml', data: { ...BASE, spillway: { platforms: [{ name: 'x' }] } } },
      ]),
    ).toThrow(
      "Config must have required property 'projectId' { missingProperty=projectId } at /spillway/platforms/0; Config must have required property 'specFile' { missingProperty=specFile } at /spillway/platforms/0",
    );
  }, 60_000);
});
