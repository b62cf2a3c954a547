import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The built command (as `npx spillway` runs it) where Google Cloud cannot be used: it fails once,
 * naming the cause, exit 1, with no stack trace and no rejection left unhandled.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(repo, 'packages/cli/bin/spillway.js');
const APIS = ['CONTAINER', 'GKEHUB', 'COMPUTE', 'CLOUDRESOURCEMANAGER', 'SERVICEUSAGE', 'MONITORING'];

let hanging: Server;
let port: number;
const sockets: Socket[] = [];
beforeAll(async () => {
  // Accepts connections and never answers: every API hangs.
  hanging = createServer((socket) => void sockets.push(socket.on('error', () => undefined)));
  await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done));
  port = (hanging.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => hanging.close(done));
});

async function spillway(args: string[], env: NodeJS.ProcessEnv) {
  // No key file, no gcloud configuration: Application Default Credentials find nothing here.
  const home = mkdtempSync(join(tmpdir(), 'home-'));
  const result = await promisify(execFile)(process.execPath, [bin, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: home, CLOUDSDK_CONFIG: home, HF_TOKEN: 'hf_x', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: e.code as number, stdout: String(e.stdout), stderr: String(e.stderr) }),
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toMatch(/^\s+at |unhandled|Node\.js v\d/im);
  return result.stderr.split('\n').filter((line) => line.startsWith('spillway:'));
}

describe('spillway without Google Cloud', () => {
  for (const command of ['plan', 'status']) {
    it(`${command} fails once without credentials, naming them and what to do`, async () => {
      expect(await spillway([command, '-f', 'examples/food-review.yaml'], {})).toEqual([
        expect.stringMatching(
          /^spillway: cannot list the GKE clusters of project my-project: no Google Cloud credentials: Could not load the default credentials — run `gcloud auth application-default login`/,
        ),
      ]);
    }, 60_000);
  }

  it('plan fails once at the read deadline when every API hangs, naming what it could not read', async () => {
    const hosts = Object.fromEntries(APIS.map((api) => [`${api}_EMULATOR_HOST`, `127.0.0.1:${port}`]));
    expect(await spillway(['plan', '-f', 'examples/food-review.yaml'], hosts)).toEqual([
      'spillway: cannot list the GKE clusters of project my-project: ETIMEDOUT: no answer within 10 s',
    ]);
  }, 60_000);
});
