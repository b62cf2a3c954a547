import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { cloudFromEnv } from '../src/cloud/clients.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

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

describe('without credentials', () => {
  // In a process of its own, as a face runs the core: jest keeps unhandled rejections from the
  // test's process listeners. The built package (dist), as the faces import it.
  const script = `
    import { cloudFromEnv, loadSpecOrThrow, planSpec, REAL_TIMING } from './dist/index.js';
    process.on('unhandledRejection', (reason) => {
      console.log('unhandled rejection: ' + (reason?.message ?? reason));
      process.exitCode = 3;
    });
    const env = { HF_TOKEN: 'hf_x' };
    const cloud = cloudFromEnv(env);
    // Calls at once, as the engine makes them: google-gax chains each onto the failed stub creation.
    const calls = await Promise.allSettled(
      ['a', 'b', 'c'].map((name) => cloud.container().getCluster({ name: 'projects/p/locations/l/clusters/' + name })),
    );
    for (const call of calls) console.log('call failed: ' + call.reason?.message);
    try {
      await planSpec(await loadSpecOrThrow(['../../examples/food-review.yaml']), { cloud, timing: REAL_TIMING, env });
    } catch (error) {
      console.log('plan failed: ' + error.message);
    } finally {
      await cloud.close();
    }`;

  it('calls at once and a plan each fail once, naming the missing credentials, with no rejection left unhandled', async () => {
    // Application Default Credentials find nothing: no key file, no gcloud config, no metadata server.
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: packageDir,
        env: { PATH: process.env.PATH, HOME: home, CLOUDSDK_CONFIG: home, METADATA_SERVER_DETECTION: 'none' },
      },
    );
    const named =
      /no Google Cloud credentials: Could not load the default credentials — run `gcloud auth application-default login`/;
    expect(stdout.trim().split('\n')).toEqual([
      ...['a', 'b', 'c'].map(() => expect.stringMatching(new RegExp(`^call failed: ${named.source}`))),
      expect.stringMatching(new RegExp(`^plan failed: .*${named.source}`)),
    ]);
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 30_000);
});

describe('a call that gets no answer', () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // Accepts connections and never answers: an API that hangs.
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is abandoned by close(), so a run that gave up can end', async () => {
    const cloud = cloudFromEnv({ GKEHUB_EMULATOR_HOST: `127.0.0.1:${port}` });
    const waiting = cloud.rest('gkehub').request('GET', '/v1/projects/p/locations/global/memberships');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await cloud.close();
    await expect(waiting).rejects.toThrow(
      'GET /v1/projects/p/locations/global/memberships: abandoned, the run is over',
    );
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
