import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { protos, v1 } from '@google-cloud/container';
import * as grpc from '@grpc/grpc-js';
import { Clock } from '../src/clock.js';
import { Faults } from '../src/faults.js';
import { startGke, type GkeServers } from '../src/gke/index.js';

const Component = protos.google.container.v1.MonitoringComponentConfig.Component;
const PROJECT = 'sandbox-project';
const ZONE = 'europe-west3-c';
const parent = `projects/${PROJECT}/locations/${ZONE}`;

const faults = new Faults({ seed: 7 });
const started: { project: string; location: string; name: string; region: string }[] = [];
let gke: GkeServers;
let client: v1.ClusterManagerClient;

beforeAll(async () => {
  gke = await startGke({
    clock: new Clock(1), // one simulated second is 1 ms
    faults,
    durations: {
      // Long enough (0.4 s) that a busy machine still reads the cluster while it is PROVISIONING.
      clusterCreate: 400,
      nodePoolCreate: 30,
      nodePoolUpdate: 10,
      clusterDelete: 20,
      clusterUpdate: 20,
      nodePoolDelete: 10,
    },
    maxConcurrentOperations: 3,
    controlPlanes: {
      start: async (c) => {
        started.push(c);
        return { endpoint: '127.0.0.1', caCertBase64: Buffer.from('CA').toString('base64') };
      },
      stop: async () => {},
    },
  });
  const [host, port] = gke.grpcHost.split(':');
  client = new v1.ClusterManagerClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
  });
});

afterAll(async () => {
  await client.close();
  await gke.close();
});

afterEach(() => faults.setPlan({}));

async function waitDone(name: string) {
  for (let i = 0; i < 500; i++) {
    const [op] = await client.getOperation({ name });
    if (op.status === 'DONE') return op;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`operation ${name} did not finish`);
}

const clusterBody = (name: string) => ({
  name,
  initialClusterVersion: '1.34.1-gke.1127000',
  nodePools: [{ name: 'default-pool', initialNodeCount: 3, config: { machineType: 'c2-standard-16' } }],
  networkConfig: { gatewayApiConfig: { channel: 'CHANNEL_STANDARD' as const } },
  resourceLabels: { 'managed-by': 'spillway' },
});

describe('ClusterManager over gRPC, with @google-cloud/container', () => {
  it('creates a cluster as a long-running operation that ends with a running cluster and its endpoint', async () => {
    const [op] = await client.createCluster({ parent, cluster: clusterBody('gke-west') });
    expect(op.operationType).toBe('CREATE_CLUSTER');
    expect(op.status).toBe('RUNNING');
    const [provisioning] = await client.getCluster({ name: `${parent}/clusters/gke-west` });
    expect(provisioning.status).toBe('PROVISIONING');
    const done = await waitDone(`${parent}/operations/${op.name}`);
    expect(done.error).toBeNull();
    const [cluster] = await client.getCluster({ name: `${parent}/clusters/gke-west` });
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.endpoint).toBe('127.0.0.1');
    expect(cluster.masterAuth?.clusterCaCertificate).toBe(Buffer.from('CA').toString('base64'));
    expect(cluster.networkConfig?.gatewayApiConfig?.channel).toBe('CHANNEL_STANDARD');
    expect(cluster.resourceLabels).toEqual({ 'managed-by': 'spillway' });
    expect(started).toContainEqual({
      project: PROJECT,
      location: ZONE,
      name: 'gke-west',
      region: 'europe-west3',
    });
  });

  it('refuses a duplicate with ALREADY_EXISTS', async () => {
    await expect(client.createCluster({ parent, cluster: clusterBody('gke-west') })).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
    });
  });

  it('runs one mutating operation per cluster: a second gets FAILED_PRECONDITION', async () => {
    const pool = {
      name: 'h100',
      initialNodeCount: 1,
      autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 3 },
    };
    const [op] = await client.createNodePool({ parent: `${parent}/clusters/gke-west`, nodePool: pool });
    await expect(
      client.createNodePool({ parent: `${parent}/clusters/gke-west`, nodePool: { ...pool, name: 'other' } }),
    ).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringContaining('incompatible operation'),
    });
    await waitDone(`${parent}/operations/${op.name}`);
    const [created] = await client.getNodePool({ name: `${parent}/clusters/gke-west/nodePools/h100` });
    expect(created.status).toBe('RUNNING');
  });

  it('updates node pool autoscaling and size', async () => {
    const name = `${parent}/clusters/gke-west/nodePools/h100`;
    const [op] = await client.setNodePoolAutoscaling({
      name,
      autoscaling: { enabled: true, minNodeCount: 2, maxNodeCount: 9 },
    });
    await waitDone(`${parent}/operations/${op.name}`);
    const [pool] = await client.getNodePool({ name });
    expect(pool.autoscaling).toMatchObject({ enabled: true, minNodeCount: 2, maxNodeCount: 9 });
  });

  it('caps concurrent operations per project with RESOURCE_EXHAUSTED', async () => {
    const ops = [];
    for (const name of ['c1', 'c2', 'c3'])
      ops.push((await client.createCluster({ parent, cluster: clusterBody(name) }))[0]);
    await expect(client.createCluster({ parent, cluster: clusterBody('c4') })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
    });
    for (const op of ops) await waitDone(`${parent}/operations/${op.name}`);
  });

  it('injects errors from the fault plan: a 503 the client retries, a 429 it surfaces', async () => {
    const before = faults.log.length;
    faults.setPlan({
      rules: [{ api: 'container', method: 'GetCluster', errorRate: 1, status: 503, times: 1 }],
    });
    const [cluster] = await client.getCluster({ name: `${parent}/clusters/gke-west` });
    expect(cluster.name).toBe('gke-west');
    expect(faults.log.slice(before)).toEqual([
      { api: 'container', method: 'GetCluster', fault: 'error 503' },
    ]);
    faults.setPlan({ rules: [{ api: 'container', method: 'ListClusters', errorRate: 1, status: 429 }] });
    await expect(client.listClusters({ parent })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
    });
  });

  it('loses a response: the create fails for the client and lands on the server', async () => {
    faults.setPlan({ rules: [{ api: 'container', method: 'CreateCluster', lostResponseRate: 1, times: 1 }] });
    await expect(client.createCluster({ parent, cluster: clusterBody('lost') })).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    const [cluster] = await client.getCluster({ name: `${parent}/clusters/lost` });
    expect(cluster.status).toBe('PROVISIONING');
    const [{ operations }] = await client.listOperations({ parent });
    const op = operations!.find((o) => o.targetLink?.endsWith('/clusters/lost'))!;
    await waitDone(`${parent}/operations/${op.name}`);
  });

  it('ends an operation in the error the plan names (GCE_STOCKOUT)', async () => {
    faults.setPlan({
      rules: [
        {
          api: 'container',
          method: 'CreateNodePool',
          operationError: { code: 'GCE_STOCKOUT', message: 'no H100 in europe-west3-c' },
        },
      ],
    });
    const [op] = await client.createNodePool({
      parent: `${parent}/clusters/gke-west`,
      nodePool: { name: 'stockout', initialNodeCount: 1 },
    });
    const done = await waitDone(`${parent}/operations/${op.name}`);
    expect(done.statusMessage).toContain('GCE_STOCKOUT');
    expect(done.error?.message).toContain('GCE_STOCKOUT');
    const [pool] = await client.getNodePool({ name: `${parent}/clusters/gke-west/nodePools/stockout` });
    expect(pool.status).toBe('ERROR');
  });

  it('updates a cluster one desired* field per call: RECONCILING during UPDATE_CLUSTER, the change shown once done', async () => {
    const name = `${parent}/clusters/gke-west`;
    const [op] = await client.updateCluster({
      name,
      update: { desiredPodAutoscaling: { hpaProfile: 'PERFORMANCE' } },
    });
    expect(op).toMatchObject({ operationType: 'UPDATE_CLUSTER', status: 'RUNNING' });
    expect(op.targetLink).toMatch(/\/clusters\/gke-west$/);
    const [reconciling] = await client.getCluster({ name });
    expect(reconciling.status).toBe('RECONCILING');
    expect(reconciling.podAutoscaling?.hpaProfile).toBeFalsy();
    await expect(
      client.updateCluster({ name, update: { desiredGatewayApiConfig: { channel: 'CHANNEL_DISABLED' } } }),
    ).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: expect.stringContaining('incompatible operation'),
    });
    expect((await waitDone(`${parent}/operations/${op.name}`)).error).toBeNull();
    const [updated] = await client.getCluster({ name });
    expect(updated.status).toBe('RUNNING');
    expect(updated.podAutoscaling?.hpaProfile).toBe('PERFORMANCE');

    const updates: protos.google.container.v1.IClusterUpdate[] = [
      {
        desiredMonitoringConfig: {
          managedPrometheusConfig: { enabled: true },
          // The client's typings take the enum's numbers; the server reads them as names.
          componentConfig: { enableComponents: [Component.SYSTEM_COMPONENTS, Component.DCGM] },
        },
      },
      { desiredWorkloadIdentityConfig: { workloadPool: `${PROJECT}.svc.id.goog` } },
      { desiredGatewayApiConfig: { channel: 'CHANNEL_DISABLED' } },
    ];
    for (const update of updates) {
      const [next] = await client.updateCluster({ name, update });
      await waitDone(`${parent}/operations/${next.name}`);
    }
    const [cluster] = await client.getCluster({ name });
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.monitoringConfig?.managedPrometheusConfig?.enabled).toBe(true);
    expect(cluster.monitoringConfig?.componentConfig?.enableComponents).toEqual([
      'SYSTEM_COMPONENTS',
      'DCGM',
    ]);
    expect(cluster.workloadIdentityConfig?.workloadPool).toBe(`${PROJECT}.svc.id.goog`);
    expect(cluster.networkConfig?.gatewayApiConfig?.channel).toBe('CHANNEL_DISABLED');
    expect(cluster.podAutoscaling?.hpaProfile).toBe('PERFORMANCE');
  });

  it('refuses an update with no desired* field, or with two, with INVALID_ARGUMENT; an unmodelled one with UNIMPLEMENTED', async () => {
    const name = `${parent}/clusters/gke-west`;
    await expect(client.updateCluster({ name, update: {} })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'Must specify a field to update.',
    });
    await expect(
      client.updateCluster({
        name,
        update: {
          desiredGatewayApiConfig: { channel: 'CHANNEL_STANDARD' },
          desiredPodAutoscaling: { hpaProfile: 'NONE' },
        },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(
        /^Only one update can be applied at a time.*desiredGatewayApiConfig, desiredPodAutoscaling/,
      ),
    });
    await expect(
      client.updateCluster({ name, update: { desiredNodeVersion: '1.34.2-gke.1000000' } }),
    ).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    const [cluster] = await client.getCluster({ name });
    expect(cluster.status).toBe('RUNNING');
  });

  it("updates a node pool's autoscaling through UpdateCluster (desiredNodePoolId + desiredNodePoolAutoscaling)", async () => {
    const name = `${parent}/clusters/gke-west`;
    const [op] = await client.updateCluster({
      name,
      update: {
        desiredNodePoolId: 'h100',
        desiredNodePoolAutoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 4 },
      },
    });
    await waitDone(`${parent}/operations/${op.name}`);
    const [pool] = await client.getNodePool({ name: `${name}/nodePools/h100` });
    expect(pool.autoscaling).toMatchObject({ enabled: true, minNodeCount: 1, maxNodeCount: 4 });
  });

  it('ends an update in the injected operation error, leaving the cluster as it was', async () => {
    faults.setPlan({
      rules: [
        {
          api: 'container',
          method: 'UpdateCluster',
          operationError: { code: 'INTERNAL', message: 'update failed (injected)' },
          times: 1,
        },
      ],
    });
    const name = `${parent}/clusters/gke-west`;
    const [op] = await client.updateCluster({
      name,
      update: { desiredPodAutoscaling: { hpaProfile: 'NONE' } },
    });
    const done = await waitDone(`${parent}/operations/${op.name}`);
    expect(done.error?.message).toContain('update failed (injected)');
    const [cluster] = await client.getCluster({ name });
    expect(cluster.status).toBe('RUNNING');
    expect(cluster.podAutoscaling?.hpaProfile).toBe('PERFORMANCE');
  });

  it('serves getServerConfig with the minimum version', async () => {
    const [config] = await client.getServerConfig({ name: parent });
    expect(config.validMasterVersions).toContain('1.34.1-gke.1127000');
  });
});

describe('quota faults over gRPC, as GKE gives them', () => {
  const cluster = `${parent}/clusters/gke-west`;
  const h100Pool = (name: string, nodes: number) => ({
    name,
    initialNodeCount: nodes,
    config: {
      machineType: 'a3-highgpu-8g',
      accelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: '8' }],
    },
  });

  it('refuses a node pool over the regional GPU quota at once with PERMISSION_DENIED, and takes one that fits', async () => {
    faults.setPlan({
      rules: [
        {
          api: 'container',
          method: 'CreateNodePool',
          quota: { metric: 'NVIDIA_H100_GPUS', region: 'europe-west3', limit: 8, usage: 0 },
        },
      ],
    });
    await expect(
      client.createNodePool({ parent: cluster, nodePool: h100Pool('h100-16', 2) }),
    ).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details:
        "Insufficient regional quota to satisfy request: resource \"NVIDIA_H100_GPUS\": request requires '16.0' and is short '8.0'. " +
        "project has a quota of '8.0' with '8.0' available. " +
        `View and manage quotas at https://console.cloud.google.com/iam-admin/quotas?usage=USED&project=${PROJECT}.`,
    });
    await expect(client.getNodePool({ name: `${cluster}/nodePools/h100-16` })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
    const [op] = await client.createNodePool({ parent: cluster, nodePool: h100Pool('h100-8', 1) });
    await waitDone(`${parent}/operations/${op.name}`);
    const [cpu] = await client.createNodePool({
      parent: cluster,
      nodePool: { name: 'cpu', initialNodeCount: 3 },
    });
    await waitDone(`${parent}/operations/${cpu.name}`);
    expect(faults.log.filter((f) => f.fault.startsWith('quota'))).toEqual([
      { api: 'container', method: 'CreateNodePool', fault: 'quota NVIDIA_H100_GPUS' },
    ]);
  });

  it('with when: operation, ends the create in GCE_QUOTA_EXCEEDED (code 8) and the pool in ERROR', async () => {
    faults.setPlan({
      rules: [
        {
          api: 'container',
          method: 'CreateNodePool',
          quota: { metric: 'NVIDIA_H100_GPUS', limit: 8, usage: 8, when: 'operation' },
        },
      ],
    });
    const [op] = await client.createNodePool({ parent: cluster, nodePool: h100Pool('h100-late', 1) });
    const done = await waitDone(`${parent}/operations/${op.name}`);
    expect(done.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(done.error?.message).toMatch(
      /^GCE_QUOTA_EXCEEDED: Instance 'gke-gke-west-h100-late-[0-9a-f]{8}-[0-9a-f]{4}' creation failed: Quota 'NVIDIA_H100_GPUS' exceeded\. {2}Limit: 8\.0 in region europe-west3\.$/,
    );
    expect(done.clusterConditions?.[0]).toMatchObject({
      code: 'GCE_QUOTA_EXCEEDED',
      canonicalCode: 'RESOURCE_EXHAUSTED',
    });
    const [pool] = await client.getNodePool({ name: `${cluster}/nodePools/h100-late` });
    expect(pool.status).toBe('ERROR');
  });

  it('answers a per-minute rate quota with RESOURCE_EXHAUSTED and an ErrorInfo RATE_LIMIT_EXCEEDED the client decodes', async () => {
    faults.setPlan({ rules: [{ api: 'container', method: 'CreateNodePool', rateLimit: {}, times: 1 }] });
    const error: any = await client
      .createNodePool({ parent: cluster, nodePool: { name: 'limited', initialNodeCount: 1 } })
      .catch((e: unknown) => e);
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(
      /^Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'container\.googleapis\.com' for consumer 'project_number:\d+'\.$/,
    );
    expect(error.reason).toBe('RATE_LIMIT_EXCEEDED');
    expect(error.domain).toBe('googleapis.com');
    expect(error.errorInfoMetadata).toMatchObject({
      service: 'container.googleapis.com',
      quota_limit: 'WriteRequestsPerMinutePerProject',
      quota_metric: 'container.googleapis.com/write_requests',
    });
  });

  it('answers the concurrent-operations quota with RESOURCE_EXHAUSTED "Too many operations"', async () => {
    faults.setPlan({
      rules: [{ api: 'container', method: 'CreateNodePool', concurrentOperations: { limit: 5 }, times: 1 }],
    });
    await expect(
      client.createNodePool({ parent: cluster, nodePool: { name: 'busy', initialNodeCount: 1 } }),
    ).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details:
        'Too many operations: cluster "gke-west" hits the concurrent operations quota 5, please try again later.',
    });
  });
});

describe('ClusterManager over REST', () => {
  it('lists clusters on the v1 path', async () => {
    const response = await fetch(`http://${gke.restHost}/v1/${parent}/clusters`);
    const body = (await response.json()) as { clusters: { name: string }[] };
    expect(body.clusters.map((c) => c.name)).toContain('gke-west');
  });

  it('updates a cluster with PUT v1/…/clusters/C, one desired* field per call', async () => {
    const url = `http://${gke.restHost}/v1/${parent}/clusters/gke-west`;
    const put = (update: unknown) =>
      fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ update }),
      });
    const both = await put({
      desiredGatewayApiConfig: { channel: 'CHANNEL_STANDARD' },
      desiredPodAutoscaling: {},
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    const response = await put({ desiredGatewayApiConfig: { channel: 'CHANNEL_STANDARD' } });
    expect(response.status).toBe(200);
    const op = (await response.json()) as { name: string; operationType: string };
    expect(op.operationType).toBe('UPDATE_CLUSTER');
    await waitDone(`${parent}/operations/${op.name}`);
    const cluster = (await (await fetch(url)).json()) as any;
    expect(cluster.networkConfig.gatewayApiConfig.channel).toBe('CHANNEL_STANDARD');
  });

  it('answers a node pool over the GPU quota with 403 PERMISSION_DENIED, as gcloud shows it', async () => {
    faults.setPlan({
      rules: [
        { api: 'container', method: 'CreateNodePool', quota: { metric: 'NVIDIA_H100_GPUS', limit: 8 } },
      ],
    });
    const response = await fetch(`http://${gke.restHost}/v1/${parent}/clusters/gke-west/nodePools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        nodePool: {
          name: 'rest-h100',
          initialNodeCount: 1,
          config: { accelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: '8' }] },
        },
      }),
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: expect.stringMatching(
          /^Insufficient regional quota to satisfy request: resource "NVIDIA_H100_GPUS": request requires '8\.0' and is short '8\.0'\. project has a quota of '8\.0' with '0\.0' available\./,
        ),
        errors: [{ reason: 'forbidden' }],
      },
    });
  });

  it('answers a missing cluster with a Google JSON error', async () => {
    const response = await fetch(`http://${gke.restHost}/v1/${parent}/clusters/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  const gcloud = '/usr/bin/gcloud';
  (existsSync(gcloud) ? it : it.skip)(
    `serves gcloud container clusters list and describe${existsSync(gcloud) ? '' : ' (skipped: gcloud is not installed)'}`,
    async () => {
      const config = mkdtempSync(join(tmpdir(), 'gcloud-'));
      const env = { ...process.env, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' };
      const run = (...args: string[]) => promisify(execFile)(gcloud, args, { env, timeout: 60_000 });
      await run('config', 'set', 'auth/disable_credentials', 'True');
      await run('config', 'set', 'api_endpoint_overrides/container', `http://${gke.restHost}/`);
      const list = await run('container', 'clusters', 'list', `--project=${PROJECT}`, '--format=json');
      expect(JSON.parse(list.stdout).map((c: { name: string }) => c.name)).toContain('gke-west');
      const describe = await run(
        'container',
        'clusters',
        'describe',
        'gke-west',
        `--location=${ZONE}`,
        `--project=${PROJECT}`,
        '--format=json',
      );
      expect(JSON.parse(describe.stdout)).toMatchObject({
        name: 'gke-west',
        status: 'RUNNING',
        endpoint: '127.0.0.1',
      });
    },
    120_000,
  );
});
