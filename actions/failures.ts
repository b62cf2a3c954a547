import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE24, runAction } from './test-support.js';

/**
 * How an action fails, run as the runner runs it: the committed bundle alone in a folder (no
 * node_modules anywhere above it), `node index.js` with INPUT_* variables and nothing else, under
 * Node 20 and under Node 24 (`runs.using: node24`). Each failure is one `::error::` naming the
 * cause, exit 1: no stack trace, no unhandled rejection, no deprecation warning.
 */
const repo = fileURLToPath(new URL('..', import.meta.url));
const example = join(repo, 'examples/food-review.yaml');

const APIS = ['CONTAINER', 'GKEHUB', 'COMPUTE', 'CLOUDRESOURCEMANAGER', 'SERVICEUSAGE', 'MONITORING'];

export function describeFailures(name: 'provision' | 'verify', inputs: Record<string, string>) {
  const runtimes: [string, string][] = [
    ['Node 20', process.execPath],
    ['Node 24', NODE24],
  ];
  let bundle: string;
  let home: string;
  let hanging: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const alone = mkdtempSync(join(tmpdir(), `action-${name}-`));
    bundle = join(alone, 'index.js');
    copyFileSync(join(repo, 'actions', name, 'dist/index.js'), bundle);
    // No key file, no gcloud configuration: Application Default Credentials find nothing here.
    home = mkdtempSync(join(tmpdir(), 'home-'));
    // Accepts connections and never answers: every API hangs.
    hanging = createServer((socket) => void sockets.push(socket.on('error', () => undefined)));
    await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done));
    port = (hanging.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => hanging?.close(done));
  });

  const run = (node: string, env: NodeJS.ProcessEnv) =>
    runAction(bundle, { spec: example, ...inputs }, { HOME: home, CLOUDSDK_CONFIG: home, ...env }, node);

  function expectOneCleanError(result: Awaited<ReturnType<typeof run>>, cause: RegExp) {
    const errors = result.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toEqual([expect.stringMatching(cause)]);
    expect(result.code).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/unhandled|triggerUncaughtException|Node\.js v\d/i);
    expect(result.stderr).not.toMatch(/DeprecationWarning/);
  }

  describe(`actions/${name} fails once, cleanly`, () => {
    for (const [runtime, node] of runtimes) {
      it(`without Google credentials, naming them (${runtime})`, async () => {
        const result = await run(node, {});
        expectOneCleanError(
          result,
          new RegExp(
            `^::error::spillway ${name} failed with: .*no Google Cloud credentials: Could not load the default credentials — run \`gcloud auth application-default login\`, or google-github-actions/auth`,
          ),
        );
      }, 60_000);

      it(`when every API hangs, at the read deadline, naming what it could not read (${runtime})`, async () => {
        const started = Date.now();
        const result = await run(
          node,
          Object.fromEntries(APIS.map((api) => [`${api}_EMULATOR_HOST`, `127.0.0.1:${port}`])),
        );
        expectOneCleanError(
          result,
          new RegExp(
            `^::error::spillway ${name} failed with: cannot list the GKE clusters of project my-project: ETIMEDOUT: no answer within 10 s$`,
          ),
        );
        expect(Date.now() - started).toBeLessThan(30_000);
      }, 60_000);
    }
  });
}
