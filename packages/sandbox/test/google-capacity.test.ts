import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { v1 } from '@google-cloud/container';
import { Clock } from '../src/clock.js';
import { Faults, isMutatingCall } from '../src/faults.js';
import { startGke, setOfferedVersions, type GkeServers } from '../src/gke/index.js';
import {
  addReservation,
  setAcceleratorTypes,
  setProjectQuota,
  setRegionQuota,
  nodePoolUsage,
  withholdPermissions,
} from '../src/google/index.js';
import { startHarness, type Harness } from './google-helpers.js';

/** What preflight reads, as Compute and GKE answer it, each settable for a test. */
const P = 'my-project';
const LINK = 'https://www.googleapis.com/compute/v1/';
const compute = (path: string) => `/compute/v1/projects/${P}${path}`;

let h: Harness;
const capacity = () => h.apis.states.compute.capacity!;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.apis.close());

describe('Compute capacity reads', () => {
  it('regions.get lists the regional quotas with metric, limit and usage, and the zones as links', async () => {
    setRegionQuota(capacity(), P, 'us-east4', 'PREEMPTIBLE_NVIDIA_H100_GPUS', { limit: 8, usage: 6 });
    const { status, data } = await h.call('compute', 'GET', compute('/regions/us-east4'));
    expect(status).toBe(200);
    expect(data).toMatchObject({ kind: 'compute#region', name: 'us-east4', status: 'UP' });
    expect(data.zones).toContain(`${LINK}projects/${P}/zones/us-east4-a`);
    expect(data.quotas).toContainEqual({ metric: 'PREEMPTIBLE_NVIDIA_H100_GPUS', limit: 8, usage: 6 });
    expect(data.quotas).toContainEqual({ metric: 'NVIDIA_H100_GPUS', limit: 64, usage: 0 });
    const other = await h.call('compute', 'GET', compute('/regions/europe-west3'));
    expect(other.data.quotas).toContainEqual({ metric: 'PREEMPTIBLE_NVIDIA_H100_GPUS', limit: 64, usage: 0 });
  });

  it('regions.get of a region that does not exist is a 404', async () => {
    expect((await h.call('compute', 'GET', compute('/regions/mars-north1'))).status).toBe(404);
  });

  it('projects.get lists the global quotas, GPUS_ALL_REGIONS among them', async () => {
    setProjectQuota(capacity(), P, 'GPUS_ALL_REGIONS', { limit: 4, usage: 1 });
    const { data } = await h.call('compute', 'GET', compute(''));
    expect(data).toMatchObject({ kind: 'compute#project', name: P });
    expect(data.quotas).toContainEqual({ metric: 'GPUS_ALL_REGIONS', limit: 4, usage: 1 });
  });

  it('acceleratorTypes.list answers per zone, and a zone can be made to offer less', async () => {
    const before = await h.call('compute', 'GET', compute('/zones/us-east4-b/acceleratorTypes'));
    expect(before.data.items.map((i: any) => i.name)).toContain('nvidia-h100-80gb');
    expect(before.data.items[0]).toMatchObject({
      kind: 'compute#acceleratorType',
      zone: `${LINK}projects/${P}/zones/us-east4-b`,
    });
    setAcceleratorTypes(capacity(), 'us-east4-b', ['nvidia-l4']);
    const after = await h.call('compute', 'GET', compute('/zones/us-east4-b/acceleratorTypes'));
    expect(after.data.items.map((i: any) => i.name)).toEqual(['nvidia-l4']);
    setAcceleratorTypes(capacity(), 'us-east4-b', []);
    const none = await h.call('compute', 'GET', compute('/zones/us-east4-b/acceleratorTypes'));
    expect(none.data.items).toBeUndefined();
    expect((await h.call('compute', 'GET', compute('/zones/us-east4-z/acceleratorTypes'))).status).toBe(404);
  });

  it('reservations.get returns a seeded reservation with int64 counts as strings, and 404 for another', async () => {
    addReservation(capacity(), P, {
      name: 'h100-block',
      zone: 'us-east4-a',
      machineType: 'a3-highgpu-2g',
      count: 4,
      inUseCount: 1,
      accelerator: { type: 'nvidia-h100-80gb', count: 2 },
    });
    const { data } = await h.call('compute', 'GET', compute('/zones/us-east4-a/reservations/h100-block'));
    expect(data).toMatchObject({
      kind: 'compute#reservation',
      name: 'h100-block',
      zone: `${LINK}projects/${P}/zones/us-east4-a`,
      specificReservationRequired: true,
      specificReservation: {
        instanceProperties: {
          machineType: 'a3-highgpu-2g',
          guestAccelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: 2 }],
        },
        count: '4',
        inUseCount: '1',
      },
    });
    const elsewhere = await h.call('compute', 'GET', compute('/zones/us-east4-b/reservations/h100-block'));
    expect(elsewhere.status).toBe(404);
    expect(JSON.stringify(elsewhere.data)).toContain('was not found');
  });

  it('counts each capacity read under its method name, none of them mutating', async () => {
    const methods = [...h.faults.calls.keys()].filter((k) => k.startsWith('compute '));
    expect(methods).toEqual(
      expect.arrayContaining([
        'compute regions.get',
        'compute projects.get',
        'compute acceleratorTypes.list',
        'compute reservations.get',
      ]),
    );
    expect(methods.filter(isMutatingCall)).toEqual([]);
  });
});

describe('GKE getServerConfig per location', () => {
  let gke: GkeServers;
  let client: v1.ClusterManagerClient;
  beforeAll(async () => {
    gke = await startGke({
      clock: new Clock(1),
      faults: new Faults(),
      controlPlanes: {
        start: async () => ({ endpoint: '127.0.0.1', caCertBase64: '' }),
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

  it('answers what a location offers; one location can offer other versions than the rest', async () => {
    setOfferedVersions(gke.model.state, 'us-east4-a', ['1.35.0-gke.100']);
    const [east] = await client.getServerConfig({ name: `projects/${P}/locations/us-east4-a` });
    expect(east.validMasterVersions).toEqual(['1.35.0-gke.100']);
    expect(east.channels?.find((c) => c.channel === 'RAPID')?.validVersions).toEqual(['1.35.0-gke.100']);
    const [west] = await client.getServerConfig({ name: `projects/${P}/locations/europe-west3-c` });
    expect(west.validMasterVersions).toContain('1.34.1-gke.1127000');
  });
});

describe('Resource Manager testIamPermissions', () => {
  it('answers the permissions held, none of the withheld, and no field when none is held', async () => {
    const path = `/v1/projects/${P}:testIamPermissions`;
    const asked = { permissions: ['container.clusters.create', 'compute.subnetworks.create'] };
    expect((await h.call('cloudresourcemanager', 'POST', path, asked)).data).toEqual(asked);
    withholdPermissions(h.apis.states.cloudresourcemanager, P, ['container.clusters.create']);
    expect((await h.call('cloudresourcemanager', 'POST', path, asked)).data).toEqual({
      permissions: ['compute.subnetworks.create'],
    });
    const none = await h.call('cloudresourcemanager', 'POST', path, {
      permissions: ['container.clusters.create'],
    });
    expect(none.data).toEqual({});
    expect(isMutatingCall('cloudresourcemanager projects.testIamPermissions')).toBe(false);
  });
});

describe('usage from the node pools GKE runs', () => {
  it('adds each pool’s nodes × GPUs to the metric it draws on, in its region and in GPUS_ALL_REGIONS', async () => {
    const gkeState = {
      clusters: {
        'my-project/us-east4-a/gke-east': {
          selfLink: `https://container.googleapis.com/v1/projects/${P}/locations/us-east4-a/clusters/gke-east`,
          location: 'us-east4-a',
          nodePools: [
            {
              name: 'h100',
              status: 'RUNNING',
              locations: ['us-east4-a'],
              initialNodeCount: 3,
              config: {
                spot: true,
                accelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: 2 }],
              },
            },
            { name: 'default-pool', status: 'RUNNING', initialNodeCount: 3, config: {} },
          ],
        },
      },
    };
    const usage = nodePoolUsage(() => gkeState);
    expect(usage(P, 'us-east4')).toEqual({ PREEMPTIBLE_NVIDIA_H100_GPUS: 6 });
    expect(usage(P, 'europe-west3')).toEqual({});
    expect(usage('other-project', 'us-east4')).toEqual({});
    const harness = await startHarness({}, { compute: { usage } });
    try {
      const region = await harness.call('compute', 'GET', compute('/regions/us-east4'));
      expect(region.data.quotas).toContainEqual({
        metric: 'PREEMPTIBLE_NVIDIA_H100_GPUS',
        limit: 64,
        usage: 6,
      });
      const project = await harness.call('compute', 'GET', compute(''));
      expect(project.data.quotas).toContainEqual({ metric: 'GPUS_ALL_REGIONS', limit: 256, usage: 6 });
    } finally {
      await harness.apis.close();
    }
  });
});
