import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contains, renderDesiredState } from '@spillway/shared';
import { exampleSpec } from './helpers.js';

/**
 * What gcloud sends for the seed documents' commands is the reference for Spillway's requests:
 * gcloud runs against a recording server, and every setting it sends must be in Spillway's body.
 */
const gcloud = '/usr/bin/gcloud';
const requests: { method: string; url: string; body: any }[] = [];
let server: Server;
let config: string;

const run = (...args: string[]) =>
  promisify(execFile)(gcloud, [...args, '--quiet'], {
    env: { ...process.env, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
    timeout: 90_000,
  });

beforeAll(async () => {
  if (!existsSync(gcloud)) return;
  server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    requests.push({ method: req.method!, url: req.url!, body: text ? JSON.parse(text) : undefined });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url!.includes('/services/')) res.end(JSON.stringify({ state: 'ENABLED' }));
    else if (req.method === 'POST') res.end(JSON.stringify({ name: 'operation-1', status: 'RUNNING' }));
    else res.end(JSON.stringify({ name: 'gke-west', status: 'RUNNING', nodePools: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  config = mkdtempSync(join(tmpdir(), 'gcloud-'));
  await run('config', 'set', 'auth/disable_credentials', 'True');
  await run('config', 'set', 'api_endpoint_overrides/container', url);
  await run('config', 'set', 'api_endpoint_overrides/serviceusage', url);
}, 60_000);

afterAll(() => {
  server?.close();
});

/** gcloud adds upgradeSettings (maxSurge 1), which is also GKE's default: not a setting of the seeds. */
function withoutGcloudDefaults(body: any) {
  const copy = structuredClone(body);
  delete copy.upgradeSettings;
  for (const pool of copy.nodePools ?? []) delete pool.upgradeSettings;
  return copy;
}

const resources = renderDesiredState(exampleSpec()).resources;

(existsSync(gcloud) ? describe : describe.skip)(
  `Spillway's GKE requests carry the settings of the seed's gcloud commands${existsSync(gcloud) ? '' : ' (skipped: gcloud is not installed)'}`,
  () => {
    it('gcloud container clusters create … (seed 000, first cluster)', async () => {
      await run(
        'container',
        'clusters',
        'create',
        'gke-west',
        '--zone',
        'europe-west3-c',
        '--project=my-project',
        '--gateway-api=standard',
        '--cluster-version=1.34.1-gke.1127000',
        '--machine-type=c2-standard-16',
        '--disk-type=pd-standard',
        '--enable-managed-prometheus',
        '--monitoring=SYSTEM,DCGM',
        '--hpa-profile=performance',
        '--workload-pool=my-project.svc.id.goog',
        '--async',
      );
      const sent = requests.find((r) => r.method === 'POST' && /\/clusters\?/.test(r.url))!;
      expect(sent.url).toContain('/v1/projects/my-project/locations/europe-west3-c/clusters');
      const ours = resources.find((r) => r.type === 'container.cluster' && r.name === 'gke-west') as any;
      const reference = withoutGcloudDefaults(sent.body.cluster);
      expect(Object.keys(reference).sort()).toEqual([
        'initialClusterVersion',
        'monitoringConfig',
        'name',
        'networkConfig',
        'nodePools',
        'podAutoscaling',
        'workloadIdentityConfig',
      ]);
      expect([JSON.stringify(reference), contains(ours.body, reference)]).toEqual([
        JSON.stringify(reference),
        true,
      ]);
    }, 120_000);

    it('gcloud container node-pools create h100 --accelerator … --spot --enable-autoscaling (seed 000)', async () => {
      await run(
        'container',
        'node-pools',
        'create',
        'h100',
        '--accelerator',
        'type=nvidia-h100-80gb,count=2,gpu-driver-version=latest',
        '--project=my-project',
        '--location=europe-west3-c',
        '--node-locations=europe-west3-c',
        '--cluster=gke-west',
        '--machine-type=a3-highgpu-2g',
        '--num-nodes=3',
        '--spot',
        '--min-nodes=1',
        '--max-nodes=10',
        '--enable-autoscaling',
        '--async',
      );
      const sent = requests.find((r) => r.method === 'POST' && /\/nodePools\?/.test(r.url))!;
      const ours = resources.find((r) => r.type === 'container.nodePool' && r.cluster === 'gke-west') as any;
      const reference = withoutGcloudDefaults(sent.body.nodePool);
      expect(reference.config.accelerators).toEqual([
        {
          acceleratorCount: '2',
          acceleratorType: 'nvidia-h100-80gb',
          gpuDriverInstallationConfig: { gpuDriverVersion: 'LATEST' },
        },
      ]);
      expect([JSON.stringify(reference), contains(ours.body, reference)]).toEqual([
        JSON.stringify(reference),
        true,
      ]);
    }, 120_000);
  },
);
