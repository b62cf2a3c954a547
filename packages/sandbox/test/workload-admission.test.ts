/**
 * Workloads on the full sandbox under the capacity-class guardrail: a Deployment whose pods would
 * use a class outside its namespaces is refused when applied; one in a namespace the class lists
 * runs, its pods carrying the toleration GKE adds; and the workload controller meets admission as
 * a ReplicaSet does when the class stops listing a namespace (no new pods, no nodes, the reason).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v1 } from '@google-cloud/container';
import * as grpc from '@grpc/grpc-js';
import * as k8s from '@kubernetes/client-node';
import { guardrailObjects, GUARDRAIL_POLICY } from '@spillway/shared';
import { SANDBOX_TOKEN, startSandbox, type Sandbox } from '../src/index.js';

const PROJECT = 'admission-project';
const CLUSTER = { name: 'gke-east', location: 'us-east4-a' };
const CLASS = 'h100-2';
const KEY = 'cloud.google.com/compute-class';
const upstreamDir = resolve(fileURLToPath(new URL('../../..', import.meta.url)), '..', 'shared', 'upstream');

let sandbox: Sandbox;
let gke: v1.ClusterManagerClient;
let kube: k8s.KubernetesObjectApi;

const servers = (namespace: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'llm', namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'llm' } },
    template: {
      metadata: { labels: { app: 'llm' } },
      spec: {
        nodeSelector: { [KEY]: CLASS },
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

const read = async (kind: string, namespace: string, name: string) =>
  (await kube.read({
    apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1',
    kind,
    metadata: { name, namespace },
  })) as any;
const listIn = async (kind: string, namespace?: string) =>
  (await kube.list('v1', kind, namespace)).items as any[];

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
  const [op] = await gke.createCluster({
    parent: `projects/${PROJECT}/locations/${CLUSTER.location}`,
    cluster: { name: CLUSTER.name },
  });
  const name = `projects/${PROJECT}/locations/${CLUSTER.location}/operations/${op.name}`;
  while ((await gke.getOperation({ name }))[0].status !== 'DONE') await new Promise((r) => setTimeout(r, 10));
  const access = sandbox.clusters().find((a) => a.name === CLUSTER.name)!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://${access.endpoint}`, caData: access.caCertBase64 }],
    users: [{ name: 'u', token: SANDBOX_TOKEN }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  kube = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const ns of ['team-a', 'intruder'])
    await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await kube.create({
    apiVersion: 'cloud.google.com/v1',
    kind: 'ComputeClass',
    metadata: { name: CLASS },
    spec: {
      priorities: [
        {
          machineType: 'a3-highgpu-2g',
          gpu: { type: 'nvidia-h100-80gb', count: 2, driverVersion: 'latest' },
        },
      ],
      nodePoolAutoCreation: { enabled: true },
      whenUnsatisfiable: 'DoNotScaleUp',
    },
  } as k8s.KubernetesObject);
  for (const m of guardrailObjects([{ name: CLASS, namespaces: ['team-a'] }], {}))
    await kube.create(m as k8s.KubernetesObject);
}, 60_000);

afterAll(async () => {
  await gke?.close();
  await sandbox?.close();
});

describe('workloads under the guardrail', () => {
  it('refuses a Deployment whose pods would use the class in a namespace the class does not list', async () => {
    await expect(kube.create(servers('intruder') as k8s.KubernetesObject)).rejects.toMatchObject({
      code: 422,
    });
    await expect(kube.create(servers('intruder') as k8s.KubernetesObject)).rejects.toThrow(
      `ValidatingAdmissionPolicy '${GUARDRAIL_POLICY}-workloads' with binding '${GUARDRAIL_POLICY}-workloads' denied request: pods in namespace intruder may not use compute class ${CLASS}`,
    );
  }, 60_000);

  it('runs the same Deployment in a namespace the class lists, its pods tolerating the class', async () => {
    await kube.create(servers('team-a') as k8s.KubernetesObject);
    await sandbox.controllers.reconcile();
    expect((await read('Deployment', 'team-a', 'llm')).status.readyReplicas).toBe(1);
    const pod = await read('Pod', 'team-a', 'llm-0');
    expect(pod.spec.tolerations).toEqual([
      { key: KEY, operator: 'Equal', value: CLASS, effect: 'NoSchedule' },
    ]);
    expect(await listIn('Node')).toHaveLength(1);
  }, 60_000);

  it('keeps the running pods of a Deployment whose namespace the class stops listing, creates no more, and says why', async () => {
    const params = guardrailObjects([{ name: CLASS, namespaces: ['team-b'] }], {})[0]!;
    await kube.replace(params as k8s.KubernetesObject);
    await sandbox.controllers.reconcile();
    const status = (await read('Deployment', 'team-a', 'llm')).status;
    expect(status.readyReplicas).toBe(1);
    const failed = status.conditions.find((c: any) => c.type === 'ReplicaFailure');
    expect(failed).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failed.message).toContain(
      `ValidatingAdmissionPolicy '${GUARDRAIL_POLICY}' with binding '${GUARDRAIL_POLICY}' denied request: pods in namespace team-a may not use compute class ${CLASS}`,
    );
    expect((await listIn('Pod', 'team-a')).map((p) => p.metadata.name)).toEqual(['llm-0']);
    expect(await listIn('Node')).toHaveLength(1);
  }, 60_000);

  it('leaves a Job whose pod admission refuses pending, and the sandbox running', async () => {
    const name = 'refuse-job-pods';
    const admissionApi = 'admissionregistration.k8s.io/v1';
    await kube.create({
      apiVersion: admissionApi,
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
          ],
        },
        validations: [
          { expression: '!(has(object.metadata.labels) && "job-name" in object.metadata.labels)' },
        ],
      },
    } as k8s.KubernetesObject);
    await kube.create({
      apiVersion: admissionApi,
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: { policyName: name, validationActions: ['Deny'] },
    } as k8s.KubernetesObject);
    await kube.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'probe', namespace: 'team-a' },
      spec: {
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'curl',
                image: 'curlimages/curl',
                env: [{ name: 'TARGET_URL', value: 'http://127.0.0.1:9' }],
              },
            ],
          },
        },
      },
    } as k8s.KubernetesObject);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await sandbox.controllers.reconcile();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect((await listIn('Pod', 'team-a')).filter((p) => p.metadata.labels?.['job-name'])).toEqual([]);
    expect(
      (
        (await kube.read({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'probe', namespace: 'team-a' },
        })) as any
      ).status?.succeeded,
    ).toBeUndefined();
  }, 60_000);
});
