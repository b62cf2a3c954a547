import { describe, expect, it } from '@jest/globals';
import { classServersReady, selectedComputeClass } from '../src/engine/class-readiness.js';
import { kubeObjectHandler } from '../src/engine/kube-handler.js';
import type { KubeObjectResource } from '../src/render/graph.js';

/** Apply waits for model servers on a ComputeClass until a node arrived, and fails a stalled rollout. */
const servers = (nodeSelector: Record<string, string>): KubeObjectResource =>
  ({
    type: 'kubernetes.object',
    id: 'k8s/gke-east/apps/Deployment/default/llm',
    title: 'Deployment default/llm in gke-east',
    cluster: 'gke-east',
    manifest: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'llm', namespace: 'default' },
      spec: { template: { spec: { nodeSelector } } },
    },
  }) as unknown as KubeObjectResource;
const onClass = servers({ 'cloud.google.com/compute-class': 'h100-2' });
const status = (readyReplicas: number, conditions: unknown[] = []) => ({
  status: { readyReplicas, conditions },
});
const tried =
  '1 replica(s) Pending: ComputeClass h100-2 has no capacity in us-east4: tried priority 0 (spot a3-highgpu-2g): GCE_STOCKOUT';

describe('readiness of model servers on a ComputeClass', () => {
  it('is a ready replica: a class gets nodes only once its pods ask', () => {
    expect(selectedComputeClass(onClass.manifest)).toBe('h100-2');
    expect(kubeObjectHandler.ready(onClass, status(0))).toBe(false);
    expect(kubeObjectHandler.ready(onClass, status(1))).toBe(true);
  });

  it('fails once the rollout made no progress within its deadline, with the Deployment’s reason', () => {
    const stalled = status(0, [
      { type: 'Available', status: 'False', message: tried },
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'ReplicaSet "llm" has timed out progressing.',
      },
    ]);
    expect(() => classServersReady('Deployment default/llm in gke-east', 'h100-2', stalled)).toThrow(
      `Deployment default/llm in gke-east: no model server became ready on ComputeClass h100-2: ${tried}; ReplicaSet "llm" has timed out progressing.`,
    );
  });

  it('fails at once when its pods cannot be created, with the reason', () => {
    const refused = status(0, [
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'admission webhook denied' },
    ]);
    expect(() => kubeObjectHandler.ready(onClass, refused)).toThrow(
      'Deployment default/llm in gke-east: its pods cannot be created (FailedCreate): admission webhook denied',
    );
  });

  it('leaves servers on the clusters’ own pools as they were: ready once they exist', () => {
    const onPools = servers({ 'cloud.google.com/gke-accelerator': 'nvidia-l4' });
    expect(selectedComputeClass(onPools.manifest)).toBeUndefined();
    expect(kubeObjectHandler.ready(onPools, status(0))).toBe(true);
  });
});
