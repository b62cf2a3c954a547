/**
 * kubectl against the sandbox's API server, as a person would use it after `spillway sandbox up`:
 * a kubeconfig with the CA data and a token, then get, server-side apply, api-resources.
 * Skipped, saying so, where kubectl is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeApiServer } from '../src/kube/index.js';
import { startTestServer, TOKEN } from './kube-helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const present = existsSync(KUBECTL);
const run = promisify(execFile);

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: food-review
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: vllm
  namespace: food-review
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm-llama3-8b
  namespace: food-review
  labels:
    app: vllm-llama3-8b
spec:
  replicas: 3
  selector:
    matchLabels:
      app: vllm-llama3-8b
  template:
    metadata:
      labels:
        app: vllm-llama3-8b
    spec:
      serviceAccountName: vllm
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.0
          ports:
            - containerPort: 8000
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata:
  name: vllm-llama3-8b
  namespace: food-review
spec:
  targetPorts:
    - number: 8000
  selector:
    matchLabels:
      app: vllm-llama3-8b
  endpointPickerRef:
    name: vllm-llama3-8b-epp
    port:
      number: 9002
`;

(present ? describe : describe.skip)(
  `kubectl${present ? '' : ` (SKIPPED: ${KUBECTL} is not installed)`}`,
  () => {
    let server: KubeApiServer;
    let dir: string;

    const kubectl = async (...args: string[]) => {
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        KUBECONFIG: join(dir, 'kubeconfig'),
      };
      const { stdout } = await run(KUBECTL, ['--cache-dir', join(dir, 'cache'), ...args], {
        env,
        timeout: 30_000,
      });
      return stdout;
    };
    const failing = (...args: string[]) =>
      kubectl(...args).then(
        () => {
          throw new Error(`kubectl ${args.join(' ')} succeeded; a failure was expected`);
        },
        (e: { stderr?: string }) => e.stderr ?? '',
      );

    beforeAll(async () => {
      server = await startTestServer();
      dir = mkdtempSync(join(tmpdir(), 'kubectl-'));
      const kubeconfig = `apiVersion: v1
kind: Config
current-context: sandbox
clusters:
  - name: sandbox
    cluster:
      server: https://${server.endpoint}
      certificate-authority-data: ${server.caCertBase64}
contexts:
  - name: sandbox
    context: { cluster: sandbox, user: sandbox }
users:
  - name: sandbox
    user: { token: ${TOKEN} }
`;
      writeFileSync(join(dir, 'kubeconfig'), kubeconfig);
      writeFileSync(join(dir, 'app.yaml'), MANIFEST);
    });

    afterAll(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('gets namespaces', async () => {
      const out = await kubectl('get', 'ns');
      expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
      expect(out).toMatch(/^gmp-system\s+Active\s+\d+s$/m);
      expect(out).toMatch(/^default\s+Active/m);
    }, 30_000);

    it('applies a multi-object file server-side, and again without changes', async () => {
      const out = await kubectl(
        'apply',
        '--server-side',
        '--field-manager=spillway',
        '-f',
        join(dir, 'app.yaml'),
      );
      expect(out.trim().split('\n')).toEqual([
        'namespace/food-review serverside-applied',
        'serviceaccount/vllm serverside-applied',
        'deployment.apps/vllm-llama3-8b serverside-applied',
        'inferencepool.inference.networking.k8s.io/vllm-llama3-8b serverside-applied',
      ]);
      const rv = server.store.get('apps/v1', 'Deployment', 'food-review', 'vllm-llama3-8b')?.metadata
        .resourceVersion;
      await kubectl('apply', '--server-side', '--field-manager=spillway', '-f', join(dir, 'app.yaml'));
      expect(
        server.store.get('apps/v1', 'Deployment', 'food-review', 'vllm-llama3-8b')?.metadata.resourceVersion,
      ).toBe(rv);
    }, 30_000);

    it('gets deployments as JSON', async () => {
      const list = JSON.parse(await kubectl('get', 'deployments', '-n', 'food-review', '-o', 'json'));
      expect(list.items).toHaveLength(1);
      expect(list.items[0]).toMatchObject({
        kind: 'Deployment',
        metadata: { name: 'vllm-llama3-8b', namespace: 'food-review', generation: 1 },
        spec: { replicas: 3 },
      });
    }, 30_000);

    it('gets inference pools in all namespaces', async () => {
      const out = await kubectl('get', 'inferencepools', '-A');
      expect(out).toMatch(/^NAMESPACE\s+NAME\s+AGE$/m);
      expect(out).toMatch(/^food-review\s+vllm-llama3-8b\s+\d+s$/m);
    }, 30_000);

    it('lists the API resources, the GKE-installed ones included', async () => {
      const out = await kubectl('api-resources');
      expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(out).toMatch(
        /^inferencepools\s+infpool\s+inference\.networking\.k8s\.io\/v1\s+true\s+InferencePool$/m,
      );
      expect(out).toMatch(/^gcpbackendpolicies\s+networking\.gke\.io\/v1\s+true\s+GCPBackendPolicy$/m);
    }, 30_000);

    it('reports a conflict with another field manager, and forces it', async () => {
      const patch = join(dir, 'replicas.yaml');
      writeFileSync(
        patch,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm-llama3-8b\n  namespace: food-review\nspec:\n  replicas: 5\n',
      );
      const stderr = await failing('apply', '--server-side', '--field-manager=hpa', '-f', patch);
      expect(stderr).toContain('conflict with "spillway": .spec.replicas');
      await kubectl('apply', '--server-side', '--field-manager=hpa', '--force-conflicts', '-f', patch);
      expect(
        await kubectl(
          'get',
          'deploy',
          'vllm-llama3-8b',
          '-n',
          'food-review',
          '-o',
          'jsonpath={.spec.replicas}',
        ),
      ).toBe('5');
    }, 30_000);
  },
);
