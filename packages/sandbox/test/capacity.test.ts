import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v1 } from '@google-cloud/container';
import * as grpc from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import { addReservation, SANDBOX_TOKEN, startSandbox, type Sandbox } from '../src/index.js';
import { Clock } from '../src/clock.js';
import { Faults } from '../src/faults.js';
import { createCertificateAuthority, startKubeApiServer } from '../src/kube/index.js';
import { failure, kubeConfig } from './kube-helpers.js';

/**
 * Capacity by tier: a Deployment that selects a ComputeClass gets nodes from the first priority
 * with capacity, in a pool GKE auto-creates, seen through the real clients (ClusterManager over
 * gRPC, the Kubernetes API with @kubernetes/client-node).
 */
const PROJECT = 'capacity-project';
const upstreamDir = resolve(fileURLToPath(new URL('../../..', import.meta.url)), '..', 'shared', 'upstream');
const CLUSTERS = [
  { name: 'gke-east', location: 'us-east4-a', region: 'us-east4' },
  { name: 'gke-central', location: 'us-central1-a', region: 'us-central1' },
];

let sandbox: Sandbox;
let gke: v1.ClusterManagerClient;
const kube = new Map<string, k8s.KubernetesObjectApi>();

const computeClass = (name: string, priorities: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'cloud.google.com/v1',
  kind: 'ComputeClass',
  metadata: { name },
  spec: { priorities, nodePoolAutoCreation: { enabled: true }, whenUnsatisfiable: 'DoNotScaleUp', ...extra },
});
/** Simulated durations far longer than a test takes at 1 ms per simulated second, then skipped with advance(). */
const DAY = 86_400;

const h100 = {
  machineType: 'a3-highgpu-2g',
  gpu: { type: 'nvidia-h100-80gb', count: 2, driverVersion: 'latest' },
};
const LADDER = [
  { ...h100, reservations: { affinity: 'Specific', specific: [{ name: 'h100-block', project: PROJECT }] } },
  { ...h100 },
  { ...h100, flexStart: { enabled: true }, maxRunDurationSeconds: DAY },
  { ...h100, spot: true },
];

const servers = (name: string, className: string, replicas = 2) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    progressDeadlineSeconds: DAY,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        nodeSelector: { 'cloud.google.com/compute-class': className },
        containers: [
          {
            name: 'vllm',
            image: 'vllm/vllm-openai:v0.11.0',
            args: ['--model', 'google/gemma-3-1b-it'],
            resources: { limits: { 'nvidia.com/gpu': '2' } },
          },
        ],
      },
    },
  },
});

const client = (cluster: string) => kube.get(cluster)!;
const nodes = async (cluster: string, className: string) =>
  (
    await client(cluster).list(
      'v1',
      'Node',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      `cloud.google.com/compute-class=${className}`,
    )
  ).items;
const events = async (cluster: string, reason: string) =>
  (await client(cluster).list('v1', 'Event', 'default')).items.filter(
    (e: any) => e.reason === reason,
  ) as any[];
const deployment = async (cluster: string, name: string) =>
  (await client(cluster).read({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
  })) as any;
const pools = async (cluster: { name: string; location: string }) =>
  (
    await gke.getCluster({
      name: `projects/${PROJECT}/locations/${cluster.location}/clusters/${cluster.name}`,
    })
  )[0].nodePools ?? [];
const create = async (cluster: string, object: any) => client(cluster).create(object);
const remove = async (cluster: string, object: any) => client(cluster).delete(object);

beforeAll(async () => {
  sandbox = await startSandbox({
    msPerSecond: 1,
    gkeDurations: { clusterCreate: 20, clusterDelete: 5 },
    upstreamDir: existsSync(upstreamDir) ? upstreamDir : undefined,
  });
  const [host, port] = sandbox.env.CONTAINER_EMULATOR_HOST!.split(':');
  gke = new v1.ClusterManagerClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
  });
  for (const c of CLUSTERS) {
    const [op] = await gke.createCluster({
      parent: `projects/${PROJECT}/locations/${c.location}`,
      cluster: { name: c.name },
    });
    const name = `projects/${PROJECT}/locations/${c.location}/operations/${op.name}`;
    while ((await gke.getOperation({ name }))[0].status !== 'DONE')
      await new Promise((r) => setTimeout(r, 10));
    const access = sandbox.clusters().find((a) => a.name === c.name)!;
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://${access.endpoint}`, caData: access.caCertBase64 }],
      users: [{ name: 'u', token: SANDBOX_TOKEN }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    kube.set(c.name, k8s.KubernetesObjectApi.makeApiClient(kc));
  }
  // The reservation the ladder names, in us-central1-a only: two VMs.
  addReservation(sandbox.google.states.compute.capacity!, PROJECT, {
    name: 'h100-block',
    zone: 'us-central1-a',
    machineType: 'a3-highgpu-2g',
    count: 2,
    accelerator: { type: 'nvidia-h100-80gb', count: 2 },
  });
}, 60_000);

const reservation = () =>
  sandbox.google.states.compute.capacity!.reservations[PROJECT]!['us-central1-a/h100-block']!;

afterAll(async () => {
  await gke?.close();
  await sandbox?.close();
});

afterEach(() => sandbox.faults.setPlan({}));

describe('a ComputeClass in the sandbox', () => {
  it('is served in every cluster, and a bad priority is refused', async () => {
    const accepted = await create(
      'gke-east',
      computeClass('checked', LADDER, { activeMigration: { optimizeRulePriority: true } }),
    );
    expect(accepted.metadata?.uid).toBeDefined();
    const bad = computeClass('bad', [{ ...h100, reservations: { affinity: 'Sometimes' } }]);
    await expect(create('gke-central', bad)).rejects.toMatchObject({ code: 422 });
    await expect(create('gke-central', bad)).rejects.toThrow(/affinity/);
    await remove('gke-east', accepted);
  });
});

describe('a ComputeClass on an API server without the upstream schemas', () => {
  it('is checked against the fields the sandbox reads, and the others are kept', async () => {
    const server = await startKubeApiServer({
      cluster: 'bare',
      region: 'us-east4',
      ca: createCertificateAuthority(),
      faults: new Faults(),
      clock: new Clock(1),
    });
    try {
      const api = k8s.KubernetesObjectApi.makeApiClient(kubeConfig(server));
      const bad = computeClass('bad', [{ ...h100, reservations: { affinity: 'Sometimes' } }]);
      const { code, status } = await failure(api.create(bad));
      expect(code).toBe(422);
      expect(status.details.causes.map((c: any) => c.field)).toEqual([
        'spec.priorities[0].reservations.affinity',
      ]);
      const kept = await api.create(
        computeClass('kept', LADDER, { activeMigration: { optimizeRulePriority: true } }),
      );
      expect((kept as any).spec.activeMigration).toEqual({ optimizeRulePriority: true });
    } finally {
      await server.close();
    }
  });
});

const tierOf = (node: any) => {
  const labels = node.metadata.labels;
  if (labels['cloud.google.com/reservation-name'])
    return `reservation ${labels['cloud.google.com/reservation-name']}`;
  return labels['cloud.google.com/gke-provisioning'];
};

describe('nodes for a class', () => {
  it('come from the next tier with capacity where the first is stocked out, in a pool GKE auto-creates', async () => {
    sandbox.faults.setPlan({ stockouts: [{ region: 'us-east4', tier: 'reservation' }] });
    for (const c of CLUSTERS) {
      await create(c.name, computeClass('h100-2', LADDER));
      await create(c.name, servers('llm', 'h100-2'));
    }
    await sandbox.controllers.reconcile();

    // Two GPUs per replica and per node: a node per replica.
    expect((await nodes('gke-east', 'h100-2')).map(tierOf)).toEqual(['standard', 'standard']);
    expect((await nodes('gke-central', 'h100-2')).map(tierOf).sort()).toEqual([
      'reservation h100-block',
      'reservation h100-block',
    ]);
    for (const c of CLUSTERS) expect((await deployment(c.name, 'llm')).status.readyReplicas).toBe(2);
    const [failed] = await events('gke-east', 'FailedScaleUp');
    expect(failed.message).toContain('priority 0 (reservation h100-block): GCE_STOCKOUT');
    expect(await events('gke-central', 'FailedScaleUp')).toEqual([]);
    expect(reservation().inUseCount).toBe(2);

    const pool = (await pools(CLUSTERS[0]!)).find((p) => p.name!.startsWith('nap-'))!;
    expect(pool.name).toMatch(/^nap-[a-z0-9]{8}$/);
    expect(pool.autoscaling?.autoprovisioned).toBe(true);
    expect(pool.config?.labels).toEqual({ 'cloud.google.com/compute-class': 'h100-2' });
    expect(pool.config?.resourceLabels ?? {}).toEqual({});
    const [node] = await nodes('gke-east', 'h100-2');
    expect(node!.metadata!.labels!['cloud.google.com/gke-nodepool']).toBe(pool.name);
    const pod = (await client('gke-east').read({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'llm-0', namespace: 'default' },
    })) as any;
    expect(pod.spec.nodeName).toBe(node!.metadata!.name);
  });

  it('labels Spot and flex-start nodes as GKE does, and ends a flex-start node at its run duration', async () => {
    sandbox.faults.setPlan({
      stockouts: [
        { region: 'us-east4', tier: 'reservation' },
        { region: 'us-east4', tier: 'on-demand' },
      ],
    });
    await create('gke-east', computeClass('flex', LADDER));
    await create('gke-east', servers('flexed', 'flex', 1));
    await sandbox.controllers.reconcile();
    const [first] = await nodes('gke-east', 'flex');
    expect(first!.metadata!.labels).toMatchObject({
      'cloud.google.com/gke-provisioning': 'flex-start',
      'cloud.google.com/gke-flex-start': 'true',
      'cloud.google.com/gke-max-run-duration-seconds': String(DAY),
    });
    const flexPool = (await pools(CLUSTERS[0]!)).find(
      (p) => p.name === first!.metadata!.labels!['cloud.google.com/gke-nodepool'],
    )!;
    expect(flexPool.config).toMatchObject({ flexStart: true, maxRunDuration: { seconds: String(DAY) } });

    sandbox.faults.setPlan({
      stockouts: [
        { region: 'us-east4', tier: 'reservation' },
        { region: 'us-east4', tier: 'on-demand' },
        { region: 'us-east4', tier: 'flex-start' },
      ],
    });
    sandbox.clock.advance(DAY);
    await sandbox.controllers.reconcile();
    const after = await nodes('gke-east', 'flex');
    expect(after.map((n: any) => n.metadata.name)).not.toContain(first!.metadata!.name);
    expect(after.map((n: any) => n.metadata.labels)).toEqual([
      expect.objectContaining({
        'cloud.google.com/gke-provisioning': 'spot',
        'cloud.google.com/gke-spot': 'true',
      }),
    ]);
    expect((await events('gke-east', 'MaxRunDurationReached')).map((e) => e.involvedObject.name)).toEqual([
      first!.metadata!.name,
    ]);
    expect((await deployment('gke-east', 'flexed')).status.readyReplicas).toBe(1);
    await remove('gke-east', servers('flexed', 'flex', 1));
  });

  it('leaves the replicas Pending, naming the tiers tried, when every tier is out', async () => {
    sandbox.faults.setPlan({
      stockouts: ['reservation', 'on-demand', 'flex-start', 'spot'].map((tier) => ({
        region: 'us-central1',
        tier: tier as 'spot',
      })),
    });
    await create('gke-central', servers('starved', 'h100-2', 1));
    await sandbox.controllers.reconcile();

    const status = (await deployment('gke-central', 'starved')).status;
    expect(status.readyReplicas).toBe(0);
    const available = status.conditions.find((c: any) => c.type === 'Available');
    for (const tier of [
      'reservation h100-block',
      'on-demand a3-highgpu-2g',
      'flex-start a3-highgpu-2g',
      'spot a3-highgpu-2g',
    ])
      expect(available.message).toContain(`(${tier}): GCE_STOCKOUT`);
    const pod = (await client('gke-central').read({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'starved-0', namespace: 'default' },
    })) as any;
    expect(pod.status.phase).toBe('Pending');
    const [event] = await events('gke-central', 'NotTriggerScaleUp');
    expect(event.involvedObject.name).toBe('starved-0');
    expect(event.message).toMatch(
      /^pod didn't trigger scale-up: ComputeClass h100-2 has no capacity in us-central1: tried priority 0/,
    );

    const progressing = () =>
      deployment('gke-central', 'starved').then((d) =>
        d.status.conditions.find((c: any) => c.type === 'Progressing'),
      );
    expect(await progressing()).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    sandbox.clock.advance(DAY); // its progressDeadlineSeconds
    await sandbox.controllers.reconcile();
    expect(await progressing()).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });

    sandbox.faults.setPlan({});
    await sandbox.controllers.reconcile();
    expect((await deployment('gke-central', 'starved')).status.readyReplicas).toBe(1);
    // Its two VMs in use, the reservation is skipped: the next tier serves.
    expect((await nodes('gke-central', 'h100-2')).map(tierOf).sort()).toEqual([
      'reservation h100-block',
      'reservation h100-block',
      'standard',
    ]);
    const [full] = await events('gke-central', 'FailedScaleUp');
    expect(full.message).toContain(
      'priority 0 (reservation h100-block): reservation h100-block is fully used (2 of 2 VMs)',
    );
    expect(await progressing()).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    await remove('gke-central', servers('starved', 'h100-2', 1));
  });

  it('deletes an auto-created pool once no pod needs its nodes, as node auto-provisioning does', async () => {
    for (const c of CLUSTERS) await remove(c.name, servers('llm', 'h100-2'));
    await sandbox.controllers.reconcile();
    for (const c of CLUSTERS) {
      expect(await nodes(c.name, 'h100-2')).toEqual([]);
      expect((await pools(c)).filter((p) => p.name!.startsWith('nap-'))).toEqual([]);
    }
    expect(reservation().inUseCount).toBe(0);
  });

  it('keeps trying a priority for its capacityCheckWaitTimeSeconds before the next', async () => {
    sandbox.faults.setPlan({ stockouts: [{ region: 'us-east4', tier: 'flex-start' }] });
    const patient = [
      {
        ...h100,
        flexStart: { enabled: true },
        maxRunDurationSeconds: DAY,
        capacityCheckWaitTimeSeconds: DAY,
      },
      { ...h100, spot: true },
    ];
    await create('gke-east', computeClass('patient', patient));
    await create('gke-east', servers('waiting', 'patient', 1));
    await sandbox.controllers.reconcile();
    const available = (await deployment('gke-east', 'waiting')).status.conditions.find(
      (c: any) => c.type === 'Available',
    );
    expect(available.message).toContain(
      `retries priority 0 (flex-start a3-highgpu-2g) for up to ${DAY} s (capacityCheckWaitTimeSeconds) before the next: GCE_STOCKOUT`,
    );
    expect(await nodes('gke-east', 'patient')).toEqual([]);

    sandbox.clock.advance(DAY);
    await sandbox.controllers.reconcile();
    expect((await nodes('gke-east', 'patient')).map(tierOf)).toEqual(['spot']);
    await remove('gke-east', servers('waiting', 'patient', 1));
  });

  it('moves replicas back up the ladder with activeMigration once a better tier has capacity', async () => {
    sandbox.faults.setPlan({ stockouts: [{ region: 'us-central1', tier: 'reservation' }] });
    await create(
      'gke-central',
      computeClass('migrating', LADDER, { activeMigration: { optimizeRulePriority: true } }),
    );
    await create('gke-central', servers('moved', 'migrating', 1));
    await sandbox.controllers.reconcile();
    expect((await nodes('gke-central', 'migrating')).map(tierOf)).toEqual(['standard']);

    sandbox.faults.setPlan({});
    // One pass adds a reservation node; the next moves the replica to it and the on-demand node goes.
    await sandbox.controllers.reconcile();
    await sandbox.controllers.reconcile();
    const [node] = await nodes('gke-central', 'migrating');
    expect((await nodes('gke-central', 'migrating')).map(tierOf)).toEqual(['reservation h100-block']);
    const pod = (await client('gke-central').read({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'moved-0', namespace: 'default' },
    })) as any;
    expect(pod.spec.nodeName).toBe(node!.metadata!.name);
    expect((await deployment('gke-central', 'moved')).status.readyReplicas).toBe(1);
    expect(reservation().inUseCount).toBe(1);
    await remove('gke-central', servers('moved', 'migrating', 1));
  });

  it('stops at the cluster’s auto-provisioning limit for the accelerator: a class cannot pass its budget', async () => {
    await sandbox.controllers.reconcile(); // what earlier tests left goes
    const name = `projects/${PROJECT}/locations/us-east4-a/clusters/gke-east`;
    const [op] = await gke.updateCluster({
      name,
      update: {
        desiredClusterAutoscaling: {
          enableNodeAutoprovisioning: true,
          resourceLimits: [{ resourceType: 'nvidia-h100-80gb', maximum: 2 }],
        },
      },
    });
    const opName = `projects/${PROJECT}/locations/us-east4-a/operations/${op.name}`;
    while ((await gke.getOperation({ name: opName }))[0].status !== 'DONE')
      await new Promise((r) => setTimeout(r, 10));

    await create('gke-east', computeClass('budget', LADDER));
    await create('gke-east', servers('capped', 'budget', 2));
    await sandbox.controllers.reconcile();
    expect(await nodes('gke-east', 'budget')).toHaveLength(1); // two GPUs: the limit
    const status = (await deployment('gke-east', 'capped')).status;
    expect(status.readyReplicas).toBe(1);
    expect(status.conditions.find((c: any) => c.type === 'Available').message).toContain(
      "the cluster's node auto-provisioning limit of 2 nvidia-h100-80gb is reached (2 counted; ComputeClass budget)",
    );
    await remove('gke-east', servers('capped', 'budget', 2));
  });
});
