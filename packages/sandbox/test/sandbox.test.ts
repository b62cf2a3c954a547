import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { v1 } from '@google-cloud/container';
import * as grpc from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import { OAuth2Client } from 'google-auth-library';
import { checkSpec, renderDesiredState, type KubeObjectResource } from '@spillway/shared';
import { readFileSync } from 'node:fs';
import { BACKEND_REGION_HEADER, runLoad, SANDBOX_TOKEN, startSandbox, type Sandbox } from '../src/index.js';

/**
 * The golden path by hand against the sandbox, with the real clients only: the example's clusters
 * and node pools over gRPC, fleet, feature and subnets over REST, and every rendered Kubernetes
 * object by server-side apply at the endpoint GKE returned. Then the sandbox must be alive: pools
 * exported and imported, model servers ready, the Gateway programmed and answering per region.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const upstreamDir = resolve(repo, '..', 'shared', 'upstream');
const spec = (() => {
  const result = checkSpec([
    { file: 'food-review.yaml', text: readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8') },
  ]);
  if (!result.ok) throw new Error('example invalid');
  return result.spec;
})();
const state = renderDesiredState(spec);
const project = spec.platforms[0]!.projectId;

let sandbox: Sandbox;
let gke: v1.ClusterManagerClient;
const rest = new OAuth2Client();
rest.setCredentials({ access_token: 'sandbox', expiry_date: Date.now() + 3_600_000 });

async function until<T>(
  what: string,
  get: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await get();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 500)}`);
}

const call = async (host: string, method: string, path: string, data?: unknown) =>
  (await rest.request<any>({ url: `http://${host}${path}`, method: method as 'GET', data })).data;

function kubeClient(cluster: { endpoint: string; caCertBase64: string }) {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://${cluster.endpoint}`, caData: cluster.caCertBase64 }],
    users: [{ name: 'u', token: SANDBOX_TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return k8s.KubernetesObjectApi.makeApiClient(kc);
}

beforeAll(async () => {
  sandbox = await startSandbox({
    msPerSecond: 1,
    // Small KV caches and slow requests (60 ms wall each, under the policy's 100 s timeout), so a few
    // concurrent requests load a replica.
    modelServers: { capacity: 4, secondsPerRequest: 60 },
    upstreamDir: existsSync(upstreamDir) ? upstreamDir : undefined,
  });
  const [host, port] = sandbox.env.CONTAINER_EMULATOR_HOST!.split(':');
  gke = new v1.ClusterManagerClient({
    apiEndpoint: host,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
  });

  const gcp = state.resources;
  const wait = (name: string, location: string) =>
    until(
      `operation ${name}`,
      async () =>
        (await gke.getOperation({ name: `projects/${project}/locations/${location}/operations/${name}` }))[0],
      (op) => op.status === 'DONE',
    );
  await Promise.all(
    gcp
      .filter((r) => r.type === 'container.cluster')
      .map(async (r: any) => {
        const [op] = await gke.createCluster({
          parent: `projects/${project}/locations/${r.location}`,
          cluster: r.body,
        });
        await wait(op.name!, r.location);
      }),
  );
  await Promise.all(
    gcp
      .filter((r) => r.type === 'container.nodePool')
      .map(async (r: any) => {
        const [op] = await gke.createNodePool({
          parent: `projects/${project}/locations/${r.location}/clusters/${r.cluster}`,
          nodePool: r.body,
        });
        await wait(op.name!, r.location);
      }),
  );
  const hub = sandbox.env.GKEHUB_EMULATOR_HOST!;
  for (const r of gcp.filter((r) => r.type === 'gkehub.membership') as any[]) {
    const op = await call(
      hub,
      'POST',
      `/v1/projects/${project}/locations/global/memberships?membershipId=${r.membershipId}`,
      r.body,
    );
    await until(
      'membership',
      () => call(hub, 'GET', `/v1/${op.name}`),
      (o) => o.done,
    );
  }
  for (const r of gcp.filter((r) => r.type === 'gkehub.feature') as any[]) {
    const op = await call(
      hub,
      'POST',
      `/v1/projects/${project}/locations/global/features?featureId=${r.featureId}`,
      r.body,
    );
    await until(
      'feature',
      () => call(hub, 'GET', `/v1/${op.name}`),
      (o) => o.done,
    );
  }
  const compute = sandbox.env.COMPUTE_EMULATOR_HOST!;
  for (const r of gcp.filter((r) => r.type === 'compute.subnetwork') as any[]) {
    const op = await call(
      compute,
      'POST',
      `/compute/v1/projects/${project}/regions/${r.region}/subnetworks`,
      r.body,
    );
    await call(
      compute,
      'POST',
      `/compute/v1/projects/${project}/regions/${r.region}/operations/${op.name}/wait`,
    );
  }

  // Every Kubernetes object, by server-side apply, at the endpoint and CA the GKE API returned.
  const kube = state.resources.filter((r): r is KubeObjectResource => r.type === 'kubernetes.object');
  for (const bundle of ['crds', 'platform', 'service-food-review', 'gateway-food-review']) {
    for (const r of kube.filter((k) => k.bundle === bundle)) {
      const [cluster] = await gke.getCluster({
        name: `projects/${project}/locations/${spec.platforms[0]!.clusters.find((c) => c.name === r.cluster)!.location}/clusters/${r.cluster}`,
      });
      const client = kubeClient({
        endpoint: cluster.endpoint!,
        caCertBase64: cluster.masterAuth!.clusterCaCertificate!,
      });
      const manifest = r.secretSource
        ? { ...r.manifest, stringData: { [r.secretSource.key]: 'hf_sandbox_token' } }
        : r.manifest;
      if (r.manifest.kind === 'InferenceObjective') {
        await until(
          'CRD established',
          () =>
            client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition').then((l) => l.items.length),
          (n) => n > 0,
        );
      }
      await client.patch(
        structuredClone(manifest) as k8s.KubernetesObject,
        undefined,
        undefined,
        'spillway',
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
    }
  }
}, 60_000);

afterAll(async () => {
  await gke?.close();
  await sandbox?.close();
});

const server = (name: string) => [...sandbox.kube.values()].find((s) => s.cluster === name)!;

describe('the sandbox with the example applied by hand', () => {
  it('makes the model servers ready where the node pools have room for their GPUs', async () => {
    for (const name of ['gke-west', 'gke-east']) {
      const deployment = await until(
        `model servers in ${name}`,
        () => server(name).store.get('apps/v1', 'Deployment', 'default', 'vllm-llama3-8b-instruct'),
        (d) => d?.status?.readyReplicas === 1,
      );
      expect(deployment!.status.availableReplicas).toBe(1);
    }
  });

  it('imports the exported pool into the config cluster, listing both clusters', async () => {
    const imported = await until(
      'GCPInferencePoolImport',
      () =>
        server('gke-west').store.get(
          'networking.gke.io/v1',
          'GCPInferencePoolImport',
          'default',
          'vllm-llama3-8b-instruct',
        ),
      (i) => i?.status?.exportingClusters?.length === 2,
    );
    expect(imported!.status.exportingClusters.map((c: any) => c.region).sort()).toEqual([
      'europe-west3',
      'us-east4',
    ]);
    expect(server('gke-east').store.list('networking.gke.io/v1', 'GCPInferencePoolImport')).toEqual([]);
  });

  it('programs the Gateway with one address per region, and each answers a completion from the preferred region', async () => {
    const gateway = await until(
      'Gateway programmed',
      () =>
        server('gke-west').store.get(
          'gateway.networking.k8s.io/v1',
          'Gateway',
          'default',
          'cross-region-gateway',
        ),
      (g) => g?.status?.conditions?.some((c: any) => c.type === 'Programmed' && c.status === 'True'),
    );
    const addresses: { type: string; value: string }[] = gateway!.status.addresses;
    expect(addresses.map((a) => a.type).sort()).toEqual([
      'networking.gke.io/ephemeral-ipv4-address/europe-west3',
      'networking.gke.io/ephemeral-ipv4-address/us-east4',
    ]);
    for (const address of addresses) {
      // Programmed means configured; the backends still have to pass their health checks.
      const response = await until(
        `a completion through ${address.type}`,
        () =>
          fetch(`http://${address.value}/v1/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-gateway-inference-objective': 'food-review' },
            body: JSON.stringify({
              model: 'meta-llama/Llama-3.1-8B-Instruct',
              prompt: 'What is the best pizza in the world?',
              max_tokens: 10,
            }),
          }),
        (r) => r.status === 200,
      );
      expect(response.headers.get(BACKEND_REGION_HEADER)).toBe('us-east4');
      expect(((await response.json()) as any).object).toBe('text_completion');
    }
  });

  it('runs the HPA on the KV-cache metric through the custom-metrics adapter', async () => {
    const hpa = await until(
      'HPA active',
      () =>
        server('gke-east').store.get(
          'autoscaling/v2',
          'HorizontalPodAutoscaler',
          'default',
          'vllm-llama3-8b-instruct',
        ),
      (h) => h?.status?.conditions?.some((c: any) => c.type === 'ScalingActive' && c.status === 'True'),
    );
    expect(hpa!.status.currentMetrics[0].pods.metric.name).toBe(
      'prometheus.googleapis.com|vllm:kv_cache_usage_perc|gauge',
    );
  });

  it('serves the KV-cache metric of every replica through the Prometheus query API', async () => {
    const host = sandbox.env.MONITORING_EMULATOR_HOST!;
    const result = await call(
      host,
      'GET',
      `/v1/projects/${project}/location/global/prometheus/api/v1/query?query=${encodeURIComponent('avg by (cluster) (vllm:kv_cache_usage_perc)')}`,
    );
    expect(result.data.result.map((r: any) => r.metric.cluster).sort()).toEqual(['gke-east', 'gke-west']);
  });

  const gatewayAddress = (region: string) =>
    server('gke-west')
      .store.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'cross-region-gateway')!
      .status.addresses.find((a: any) => a.type.endsWith(`/${region}`)).value as string;
  const completion = {
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    prompt: 'What is the best pizza in the world?',
    max_tokens: 10,
  };

  it('scales the preferred region out under load, and spills over while it does', async () => {
    const replicas = () =>
      server('gke-east').store.get('apps/v1', 'Deployment', 'default', 'vllm-llama3-8b-instruct')!;
    expect(replicas().spec.replicas ?? 1).toBe(1);
    const load = runLoad({
      url: `http://${gatewayAddress('us-east4')}/v1/completions`,
      concurrency: 8,
      requests: 120,
      timeoutSeconds: 30,
      body: completion,
      countByHeader: BACKEND_REGION_HEADER,
    });
    const hpa = () =>
      server('gke-east').store.get(
        'autoscaling/v2',
        'HorizontalPodAutoscaler',
        'default',
        'vllm-llama3-8b-instruct',
      )!;
    const scaled = await until(
      'HPA scale-out in us-east4',
      replicas,
      (d) => (d.spec.replicas ?? 1) > 1 && d.status?.readyReplicas > 1,
    );
    expect(hpa().status.desiredReplicas).toBeGreaterThan(1);
    const result = await load;
    // While the HPA catches up, a request queued behind a full KV cache may pass the policy's
    // timeout (100 ms here); how many depends on the machine's speed. A collapse is never right.
    expect(result.failed).toBeLessThan(120 / 4);
    expect(scaled.spec.replicas).toBeGreaterThan(1);
    expect(result.byHeader['us-east4']).toBeGreaterThan(0);
    expect(result.byHeader['europe-west3']).toBeGreaterThan(0);
  }, 60_000);

  it('takes a dark region out of the gateway, and back when it returns', async () => {
    sandbox.faults.setPlan({ darkRegions: ['us-east4'] });
    try {
      const answeredBy = async () => {
        const response = await fetch(`http://${gatewayAddress('europe-west3')}/v1/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(completion),
        });
        return response.headers.get(BACKEND_REGION_HEADER);
      };
      await until('traffic leaves the dark region', answeredBy, (region) => region === 'europe-west3');
      const kube = server('gke-east');
      await expect(fetch(`https://${kube.endpoint}/version`)).rejects.toThrow();
      sandbox.faults.setPlan({});
      await until('traffic returns to the preferred region', answeredBy, (region) => region === 'us-east4');
    } finally {
      sandbox.faults.setPlan({});
    }
  }, 60_000);

  const kubectl = '/usr/bin/kubectl';
  const gcloud = '/usr/bin/gcloud';
  (existsSync(kubectl) && existsSync(gcloud) ? it : it.skip)(
    `can be looked at with kubectl and gcloud through the configuration it writes${existsSync(kubectl) && existsSync(gcloud) ? '' : ' (skipped: kubectl or gcloud is not installed)'}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sandbox-config-'));
      const { cloudsdkConfig, kubeconfig } = await sandbox.writeClientConfig(dir);
      const run = (cmd: string, ...args: string[]) =>
        promisify(execFile)(cmd, args, {
          env: {
            ...process.env,
            CLOUDSDK_CONFIG: cloudsdkConfig,
            KUBECONFIG: kubeconfig,
            CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
          },
          timeout: 60_000,
        });
      const pools = await run(
        kubectl,
        '--context',
        `gke_${project}_us-east4-a_gke-east`,
        'get',
        'inferencepools',
        '-A',
        '-o',
        'json',
      );
      expect(JSON.parse(pools.stdout).items.map((i: any) => i.metadata.name)).toEqual([
        'vllm-llama3-8b-instruct',
      ]);
      const clusters = await run(
        gcloud,
        'container',
        'clusters',
        'list',
        `--project=${project}`,
        '--format=json',
      );
      expect(
        JSON.parse(clusters.stdout)
          .map((c: any) => c.name)
          .sort(),
      ).toEqual(['gke-east', 'gke-west']);
      const subnets = await run(
        gcloud,
        'compute',
        'networks',
        'subnets',
        'list',
        `--project=${project}`,
        '--filter=purpose=GLOBAL_MANAGED_PROXY',
        '--format=value(name)',
      );
      expect(subnets.stdout.trim().split('\n').sort()).toEqual([
        'spillway-proxy-europe-west3',
        'spillway-proxy-us-east4',
      ]);
    },
    120_000,
  );
});
