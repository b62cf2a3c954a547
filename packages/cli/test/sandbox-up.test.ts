import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v1 } from '@google-cloud/container';
import * as grpc from '@grpc/grpc-js';

const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));

describe('spillway sandbox up', () => {
  it('prints the environment, serves the APIs and keeps client configuration until stopped', async () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'sandbox-up-')), 'state');
    const child = spawn(
      process.execPath,
      [bin, 'sandbox', 'up', '--state-dir', stateDir, '--time-scale', '1', '--no-region-header'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const env = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no environment printed: ${stdout}`)), 20_000);
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('KUBECONFIG=')) {
          clearTimeout(timer);
          resolve(
            Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!])),
          );
        }
      });
    });
    try {
      expect(Object.keys(env).sort()).toEqual([
        'CLOUDRESOURCEMANAGER_EMULATOR_HOST',
        'CLOUDSDK_CONFIG',
        'COMPUTE_EMULATOR_HOST',
        'CONTAINER_EMULATOR_HOST',
        'GKEHUB_EMULATOR_HOST',
        'KUBECONFIG',
        'MONITORING_EMULATOR_HOST',
        'SERVICEUSAGE_EMULATOR_HOST',
      ]);
      const [host, port] = env.CONTAINER_EMULATOR_HOST!.split(':');
      const client = new v1.ClusterManagerClient({
        apiEndpoint: host,
        port: Number(port),
        sslCreds: grpc.credentials.createInsecure(),
      });
      const [list] = await client.listClusters({ parent: 'projects/my-project/locations/-' });
      expect(list.clusters).toEqual([]);
      await client.close();
      const gcloudConfig = readFileSync(
        join(env.CLOUDSDK_CONFIG!, 'configurations', 'config_default'),
        'utf8',
      );
      expect(gcloudConfig).toContain('disable_credentials = True');
      expect(gcloudConfig).toContain(`container = http://`);
      expect(readFileSync(env.KUBECONFIG!, 'utf8')).toContain('kind: Config');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
  }, 60_000);

  it('refuses a fault plan that is not JSON, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-up-'));
    const child = spawn(process.execPath, [
      bin,
      'sandbox',
      'up',
      '--state-dir',
      join(dir, 's'),
      '--faults',
      '/nonexistent.json',
    ]);
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
    expect(stderr).toContain('--faults /nonexistent.json');
  }, 30_000);
});
