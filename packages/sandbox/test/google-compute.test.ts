import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addSubnetwork } from '../src/google/index.js';
import { startHarness, type Harness } from './google-helpers.js';

const P = 'my-project';
const LINK = 'https://www.googleapis.com/compute/v1/';
const region = (r: string) => `/compute/v1/projects/${P}/regions/${r}`;
const proxySubnet = (name: string, cidr: string, extra: Record<string, unknown> = {}) => ({
  name,
  network: `projects/${P}/global/networks/default`,
  ipCidrRange: cidr,
  purpose: 'GLOBAL_MANAGED_PROXY',
  role: 'ACTIVE',
  description: 'proxy-only subnet for the cross-region gateway',
  ...extra,
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.apis.close());

async function insertAndWait(r: string, body: unknown) {
  const op = await h.call('compute', 'POST', `${region(r)}/subnetworks`, body);
  expect(op.status).toBe(200);
  const waited = await h.call('compute', 'POST', `${region(r)}/operations/${op.data.name}/wait`);
  return { op, waited };
}

describe('Compute networks', () => {
  it('has an auto-mode default network with a subnet per region outside 10.0.0.0/8 test ranges', async () => {
    const net = await h.call('compute', 'GET', `/compute/v1/projects/${P}/global/networks/default`);
    expect(net.data).toMatchObject({
      kind: 'compute#network',
      name: 'default',
      autoCreateSubnetworks: true,
      selfLink: `${LINK}projects/${P}/global/networks/default`,
    });
    expect(net.data.subnetworks).toContain(`${LINK}projects/${P}/regions/us-east4/subnetworks/default`);
    const sub = await h.call('compute', 'GET', `${region('us-east4')}/subnetworks/default`);
    expect(sub.data).toMatchObject({
      ipCidrRange: '10.150.0.0/20',
      purpose: 'PRIVATE',
      gatewayAddress: '10.150.0.1',
    });
    expect((await h.call('compute', 'GET', `/compute/v1/projects/${P}/global/networks/nope`)).status).toBe(
      404,
    );
  });
});

describe('Compute proxy-only subnetworks', () => {
  it('inserts, waits for the operation and reads the subnet', async () => {
    const { op, waited } = await insertAndWait(
      'europe-west3',
      proxySubnet('spillway-proxy-europe-west3', '10.0.0.0/23'),
    );
    expect(op.data).toMatchObject({
      kind: 'compute#operation',
      id: expect.stringMatching(/^\d+$/),
      name: expect.stringMatching(/^operation-\d+-/),
      operationType: 'insert',
      targetLink: `${LINK}projects/${P}/regions/europe-west3/subnetworks/spillway-proxy-europe-west3`,
      status: 'PENDING',
      selfLink: `${LINK}projects/${P}/regions/europe-west3/operations/${op.data.name}`,
      region: `${LINK}projects/${P}/regions/europe-west3`,
    });
    expect(waited.data.status).toBe('DONE');
    expect(waited.data.error).toBeUndefined();
    const got = await h.call(
      'compute',
      'GET',
      `${region('europe-west3')}/subnetworks/spillway-proxy-europe-west3`,
    );
    expect(got.data).toMatchObject({
      kind: 'compute#subnetwork',
      network: `${LINK}projects/${P}/global/networks/default`,
      ipCidrRange: '10.0.0.0/23',
      purpose: 'GLOBAL_MANAGED_PROXY',
      role: 'ACTIVE',
      state: 'READY',
    });
    const polled = await h.call('compute', 'GET', `${region('europe-west3')}/operations/${op.data.name}`);
    expect(polled.data.status).toBe('DONE');
  });

  it('lists with a purpose filter, and by name', async () => {
    const listed = await h.call(
      'compute',
      'GET',
      `${region('europe-west3')}/subnetworks?filter=${encodeURIComponent('purpose = "GLOBAL_MANAGED_PROXY"')}`,
    );
    expect(listed.data.items.map((s: any) => s.name)).toEqual(['spillway-proxy-europe-west3']);
    const byName = await h.call(
      'compute',
      'GET',
      `${region('europe-west3')}/subnetworks?filter=${encodeURIComponent('(name = "default") (purpose = "PRIVATE")')}`,
    );
    expect(byName.data.items.map((s: any) => s.name)).toEqual(['default']);
    const none = await h.call(
      'compute',
      'GET',
      `${region('us-east4')}/subnetworks?filter=${encodeURIComponent('purpose = "GLOBAL_MANAGED_PROXY"')}`,
    );
    expect(none.data.items).toBeUndefined();
    expect(
      (
        await h.call(
          'compute',
          'GET',
          `${region('us-east4')}/subnetworks?filter=${encodeURIComponent('purpose =')}`,
        )
      ).status,
    ).toBe(400);
  });

  it('requires a role for a proxy-only subnet', async () => {
    const res = await h.call(
      'compute',
      'POST',
      `${region('us-east4')}/subnetworks`,
      proxySubnet('no-role', '10.5.0.0/23', { role: undefined }),
    );
    expect(res.status).toBe(400);
    expect(res.data.error.message).toBe(
      "Invalid value for field 'resource.role': 'UNSPECIFIED_ROLE'. Subnetwork role must be specified when purpose set to GLOBAL_MANAGED_PROXY.",
    );
    expect(res.data.error.errors[0].reason).toBe('invalid');
  });

  it('rejects logConfig on a proxy-only subnet', async () => {
    const res = await h.call(
      'compute',
      'POST',
      `${region('us-east4')}/subnetworks`,
      proxySubnet('with-logs', '10.5.0.0/23', { logConfig: { enable: false } }),
    );
    expect(res.status).toBe(400);
    expect(res.data.error.message).toContain("Invalid value for field 'resource.logConfig'");
    expect(res.data.error.message).toContain(
      'Invalid field set in subnetwork with purpose GLOBAL_MANAGED_PROXY.',
    );
  });

  it('allows one ACTIVE GLOBAL_MANAGED_PROXY subnet per region and network', async () => {
    const second = await h.call(
      'compute',
      'POST',
      `${region('europe-west3')}/subnetworks`,
      proxySubnet('second-proxy', '10.9.0.0/23'),
    );
    expect(second.status).toBe(400);
    expect(second.data.error.message).toContain('already exists in region europe-west3');
    const sameName = await h.call(
      'compute',
      'POST',
      `${region('europe-west3')}/subnetworks`,
      proxySubnet('spillway-proxy-europe-west3', '10.9.0.0/23'),
    );
    expect(sameName.status).toBe(409);
    expect(sameName.data.error.errors[0].reason).toBe('alreadyExists');
    const backup = await insertAndWait(
      'europe-west3',
      proxySubnet('backup-proxy', '10.9.0.0/23', { role: 'BACKUP' }),
    );
    expect(backup.waited.data.status).toBe('DONE');
  });

  it('rejects ranges that overlap another subnet of the network, or the auto-mode block', async () => {
    const overlap = await h.call(
      'compute',
      'POST',
      `${region('us-east4')}/subnetworks`,
      proxySubnet('overlap', '10.0.1.0/24'),
    );
    expect(overlap.status).toBe(400);
    expect(overlap.data.error.message).toContain(
      "conflicts with existing subnetwork 'spillway-proxy-europe-west3' in region 'europe-west3'",
    );
    const auto = await h.call(
      'compute',
      'POST',
      `${region('us-east4')}/subnetworks`,
      proxySubnet('auto', '10.150.0.0/23'),
    );
    expect(auto.status).toBe(400);
    expect(auto.data.error.message).toContain('10.128.0.0/9');
  });

  it('shows a pre-seeded proxy subnet (for adoption) and deletes subnets through an operation', async () => {
    addSubnetwork(h.apis.states.compute, P, 'us-east4', {
      name: 'existing-proxy',
      ipCidrRange: '10.5.0.0/23',
      purpose: 'GLOBAL_MANAGED_PROXY',
      role: 'ACTIVE',
    });
    const listed = await h.call(
      'compute',
      'GET',
      `${region('us-east4')}/subnetworks?filter=${encodeURIComponent('purpose = "GLOBAL_MANAGED_PROXY"')}`,
    );
    expect(listed.data.items.map((s: any) => s.name)).toEqual(['existing-proxy']);

    const op = await h.call('compute', 'DELETE', `${region('europe-west3')}/subnetworks/backup-proxy`);
    expect(op.data.operationType).toBe('delete');
    const waited = await h.call(
      'compute',
      'POST',
      `${region('europe-west3')}/operations/${op.data.name}/wait`,
    );
    expect(waited.data.status).toBe('DONE');
    expect(
      (await h.call('compute', 'GET', `${region('europe-west3')}/subnetworks/backup-proxy`)).status,
    ).toBe(404);
    expect((await h.call('compute', 'DELETE', `${region('europe-west3')}/subnetworks/default`)).status).toBe(
      400,
    );
  });

  it('aggregates subnetworks per region as gcloud lists them', async () => {
    const res = await h.call(
      'compute',
      'GET',
      `/compute/v1/projects/${P}/aggregated/subnetworks?includeAllScopes=True&maxResults=500&returnPartialSuccess=True`,
    );
    expect(res.data.kind).toBe('compute#subnetworkAggregatedList');
    expect(res.data.items['regions/europe-west3'].subnetworks.map((s: any) => s.name).sort()).toEqual([
      'default',
      'spillway-proxy-europe-west3',
    ]);
  });
});

describe('Compute operations wait', () => {
  it('returns a still-running operation after two simulated minutes', async () => {
    const slow = await startHarness({}, { compute: { durations: { subnetwork: 1000 } } });
    try {
      const op = await slow.call('compute', 'POST', `${region('us-west1')}/subnetworks`, {
        name: 'slow',
        network: 'global/networks/default',
        ipCidrRange: '10.7.0.0/24',
      });
      const started = Date.now();
      const waited = await slow.call(
        'compute',
        'POST',
        `${region('us-west1')}/operations/${op.data.name}/wait`,
      );
      expect(waited.data.status).toBe('RUNNING');
      expect(Date.now() - started).toBeGreaterThanOrEqual(550); // 120 s at 5 ms per simulated second
      expect((await slow.call('compute', 'GET', `${region('us-west1')}/subnetworks/slow`)).status).toBe(404);
    } finally {
      await slow.apis.close();
    }
  });
});
