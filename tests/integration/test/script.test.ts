import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { planSpec, renderDesiredState, renderFiles, type Cloud } from '@spillway/shared';
import { SANDBOX_TOKEN, type Sandbox } from '@spillway/sandbox';
import { CANARY, exampleSpec, sandboxAndCloud, TIMING } from './helpers.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The script `spillway render` writes, run with gcloud and kubectl against a fresh sandbox, reaches
 * the live state `apply` would: afterwards Spillway's plan has nothing to do.
 */
const tools = ['/usr/bin/gcloud', '/usr/bin/kubectl'];
const present = tools.every((t) => existsSync(t));
let sandbox: Sandbox | undefined;
let cloud: Cloud | undefined;
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

(present ? describe : describe.skip)(
  `the rendered gcloud/kubectl script${present ? '' : ' (skipped: gcloud or kubectl is not installed)'}`,
  () => {
    it('reaches the state apply reaches, with the token kept out of its output', async () => {
      let env: NodeJS.ProcessEnv;
      ({ sandbox, cloud, env } = await sandboxAndCloud());
      const dir = mkdtempSync(join(tmpdir(), 'script-'));
      const spec = exampleSpec();
      for (const [path, content] of renderFiles(spec, renderDesiredState(spec))) {
        mkdirSync(dirname(join(dir, 'out', path)), { recursive: true });
        writeFileSync(join(dir, 'out', path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
      }
      const { cloudsdkConfig } = await sandbox.writeClientConfig(join(dir, 'config'));
      // get-credentials writes kubeconfig entries that call GKE's auth plugin; the sandbox's stand-in gives its token.
      mkdirSync(join(dir, 'bin'));
      writeFileSync(
        join(dir, 'bin', 'gke-gcloud-auth-plugin'),
        `#!/bin/sh\necho '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"${SANDBOX_TOKEN}"}}'\n`,
      );
      chmodSync(join(dir, 'bin', 'gke-gcloud-auth-plugin'), 0o755);
      const scriptEnv = {
        ...env,
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        CLOUDSDK_CONFIG: cloudsdkConfig,
        CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
        KUBECONFIG: join(dir, 'kubeconfig'),
      };
      const { stdout, stderr } = await promisify(execFile)('bash', [join(dir, 'out', 'apply.sh')], {
        env: scriptEnv,
        timeout: 240_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(stdout).toContain('==> done');
      expect((stdout + stderr).includes(CANARY)).toBe(false);
      const plan = await planSpec(spec, { cloud, timing: TIMING, env });
      expect(plan.resources.filter((r) => r.action !== 'noop').map((r) => `${r.title}: ${r.reason}`)).toEqual(
        [],
      );
    }, 300_000);
  },
);
