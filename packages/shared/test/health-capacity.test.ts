import { describe, expect, it } from '@jest/globals';
import type { KubeClient } from '../src/cloud/kube.js';
import { capacityTierOf, tierOfNode } from '../src/health/capacity.js';
import { readCapacity } from '../src/health/capacity.js';
import type { Check, RegionHealth } from '../src/health/model.js';

/** The tier a region's model servers run on, read from their nodes and the autoscaler's events. */
const deployment = {
  metadata: { name: 'llm', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'llm' } },
    template: { spec: { nodeSelector: { 'cloud.google.com/compute-class': 'h100-2' } } },
  },
};
const node = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
const pod = (name: string, phase: string, nodeName?: string) => ({
  metadata: { name, labels: { app: 'llm' } },
  spec: nodeName ? { nodeName } : {},
  status: { phase },
});
const event = (reason: string, podName: string, message: string, at: string) => ({
  reason,
  message,
  involvedObject: { kind: 'Pod', name: podName },
  lastTimestamp: at,
});

function fakeKube(objects: { pods: any[]; nodes: any[]; events: any[] }): KubeClient {
  return {
    async list(_apiVersion: string, kind: string, _ns?: string, selector?: string) {
      if (kind === 'Pod') return selector === 'app=llm' ? objects.pods : [];
      return kind === 'Event' ? objects.events : [];
    },
    async read(ref: any) {
      return objects.nodes.find((n) => n.metadata.name === ref.metadata.name);
    },
  } as unknown as KubeClient;
}

async function read(objects: Parameters<typeof fakeKube>[0]) {
  const region = { region: 'us-east4', checks: [] as Check[] } as unknown as RegionHealth;
  await readCapacity(deployment, fakeKube(objects), region, (name, ok, detail) =>
    region.checks.push({ name, ok, detail }),
  );
  return region;
}

describe('the tier of a node, from the labels GKE gives it', () => {
  it.each([
    [{ 'cloud.google.com/reservation-name': 'h100-block' }, 'reservation'],
    [{ 'cloud.google.com/gke-provisioning': 'spot', 'cloud.google.com/gke-spot': 'true' }, 'spot'],
    [{ 'cloud.google.com/gke-provisioning': 'flex-start' }, 'flex-start'],
    [{ 'cloud.google.com/gke-provisioning': 'standard' }, 'on-demand'],
  ])('%j is %s', (labels, tier) => expect(tierOfNode(labels)).toBe(tier));
});

describe('capacity in a region whose servers select a ComputeClass', () => {
  it('counts the servers per tier and lists the tiers found unavailable, newest first', async () => {
    const region = await read({
      pods: [pod('llm-0', 'Running', 'n1'), pod('llm-1', 'Running', 'n2')],
      nodes: [
        node('n1', { 'cloud.google.com/gke-provisioning': 'standard' }),
        node('n2', { 'cloud.google.com/gke-provisioning': 'standard' }),
      ],
      events: [
        event(
          'FailedScaleUp',
          'llm-0',
          'failed at priority 0 (reservation h100-block): GCE_STOCKOUT',
          '2026-01-01T00:00:00Z',
        ),
        event(
          'FailedScaleUp',
          'other-0',
          'failed at priority 0 (spot a3-highgpu-2g): GCE_STOCKOUT',
          '2026-01-01T00:00:09Z',
        ),
        event('Scheduled', 'llm-1', 'assigned', '2026-01-01T00:00:05Z'),
        event(
          'FailedScaleUp',
          'llm-1',
          'failed at priority 3 (spot a3-highgpu-2g): GCE_STOCKOUT',
          '2026-01-01T00:00:07Z',
        ),
      ],
    });
    expect(region.capacity).toEqual({
      computeClass: 'h100-2',
      tiers: { 'on-demand': 2 },
      unavailable: [
        {
          tier: 'spot',
          reason: 'FailedScaleUp',
          message: 'failed at priority 3 (spot a3-highgpu-2g): GCE_STOCKOUT',
          at: '2026-01-01T00:00:07Z',
        },
        {
          tier: 'reservation',
          reason: 'FailedScaleUp',
          message: 'failed at priority 0 (reservation h100-block): GCE_STOCKOUT',
          at: '2026-01-01T00:00:00Z',
        },
      ],
    });
    expect(capacityTierOf(region)).toBe('on-demand');
    expect(region.checks).toEqual([
      {
        name: 'capacity',
        ok: true,
        detail: '2 on on-demand (ComputeClass h100-2); unavailable: reservation, spot',
      },
    ]);
  });

  it('fails its check while servers are Pending, with the autoscaler’s reason', async () => {
    const why = "pod didn't trigger scale-up: ComputeClass h100-2 has no capacity in us-east4: tried …";
    const region = await read({
      pods: [pod('llm-0', 'Pending')],
      nodes: [],
      events: [event('NotTriggerScaleUp', 'llm-0', why, '2026-01-01T00:00:00Z')],
    });
    expect(region.capacity?.tiers).toEqual({});
    expect(capacityTierOf(region)).toBe('none (unavailable)');
    expect(region.checks[0]).toMatchObject({ name: 'capacity', ok: false });
    expect(region.checks[0]!.detail).toContain(`1 model server(s) Pending for ComputeClass h100-2: ${why}`);
  });

  it('is unknown, not a failure, where the reader may not see nodes', async () => {
    const forbidden = Object.assign(new Error('nodes "n1" is forbidden'), {
      response: {
        status: 403,
        data: { kind: 'Status', reason: 'Forbidden', message: 'nodes "n1" is forbidden' },
      },
    });
    const kube = fakeKube({ pods: [pod('llm-0', 'Running', 'n1')], nodes: [], events: [] });
    kube.read = async () => {
      throw forbidden;
    };
    const region = { checks: [] as Check[] } as unknown as RegionHealth;
    await readCapacity(deployment, kube, region, (name, ok, detail) =>
      region.checks.push({ name, ok, detail }),
    );
    expect(region.capacity).toBeUndefined();
    expect(region.checks).toEqual([
      {
        name: 'capacity',
        ok: true,
        detail: expect.stringMatching(
          /^unknown \(ComputeClass h100-2\): 403 Forbidden: nodes "n1" is forbidden — /,
        ),
      },
    ]);
  });

  it('is not read for servers on the clusters’ own accelerator pools', async () => {
    const region = { checks: [] as Check[] } as unknown as RegionHealth;
    const plain = { ...deployment, spec: { ...deployment.spec, template: { spec: {} } } };
    await readCapacity(plain, fakeKube({ pods: [], nodes: [], events: [] }), region, () => {
      throw new Error('no check expected');
    });
    expect(region.capacity).toBeUndefined();
  });
});
