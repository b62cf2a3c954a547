import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { FaultPlan } from '../src/faults.js';
import { startHarness, until, type Harness } from './google-helpers.js';

const P = 'my-project';
const HUB = `/v1/projects/${P}/locations/global`;
const REGION = `/compute/v1/projects/${P}/regions/us-east4`;
const membership = {
  endpoint: {
    gkeCluster: {
      resourceLink: `//container.googleapis.com/projects/${P}/locations/us-east4-a/clusters/gke-east`,
    },
  },
};
const subnet = {
  name: 'proxy',
  network: `projects/${P}/global/networks/default`,
  ipCidrRange: '10.5.0.0/23',
  purpose: 'GLOBAL_MANAGED_PROXY',
  role: 'ACTIVE',
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.apis.close();
  h = undefined;
});
async function start(plan: FaultPlan) {
  h = await startHarness(plan);
  return h;
}

describe('faults seen by a REST client', () => {
  it('injects 429 rateLimitExceeded, then lets the retry through', async () => {
    const h = await start({
      rules: [{ api: 'gkehub', method: 'memberships.create', errorRate: 1, status: 429, times: 1 }],
    });
    const first = await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership);
    expect(first.status).toBe(429);
    expect(first.data.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      errors: [{ reason: 'rateLimitExceeded' }],
    });
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`)).status).toBe(404);
    const retry = await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership);
    expect(retry.status).toBe(200);
    expect(h.faults.log).toEqual([{ api: 'gkehub', method: 'memberships.create', fault: 'error 429' }]);
  });

  it('delays a call by the injected latency (in simulated seconds)', async () => {
    const h = await start({
      rules: [{ api: 'cloudresourcemanager', method: 'projects.get', latencySeconds: 100, times: 1 }],
    });
    const started = Date.now();
    expect((await h.call('cloudresourcemanager', 'GET', `/v3/projects/${P}`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450); // 100 s at 5 ms per simulated second
  });

  it('loses a membership create response: the membership exists, and a retry with the requestId gets the first operation', async () => {
    const h = await start({
      rules: [{ api: 'gkehub', method: 'memberships.create', lostResponseRate: 1, times: 1 }],
    });
    const requestId = randomUUID();
    const path = `${HUB}/memberships?membershipId=gke-east&requestId=${requestId}`;
    const lost = await h.call('gkehub', 'POST', path, membership);
    expect(lost.status).toBe(503);
    expect(lost.data.error.errors[0].reason).toBe('backendError');
    const read = await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`);
    expect(read.status).toBe(200);
    const retry = await h.call('gkehub', 'POST', path, membership);
    expect(retry.status).toBe(200);
    expect(retry.data.metadata.target).toBe(`projects/${P}/locations/global/memberships/gke-east`);
    expect(h.faults.log).toEqual([{ api: 'gkehub', method: 'memberships.create', fault: 'lost response' }]);
  });

  it('loses a subnet insert response: the subnet appears anyway', async () => {
    const h = await start({
      rules: [{ api: 'compute', method: 'subnetworks.insert', lostResponseRate: 1, times: 1 }],
    });
    const lost = await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet);
    expect(lost.status).toBe(503);
    const read = await until(
      () => h.call('compute', 'GET', `${REGION}/subnetworks/proxy`),
      (r) => r.status === 200,
    );
    expect(read.data).toMatchObject({ name: 'proxy', purpose: 'GLOBAL_MANAGED_PROXY', role: 'ACTIVE' });
    expect((await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet)).status).toBe(409);
  });

  it('ends a membership operation with the injected error and creates nothing', async () => {
    const h = await start({
      rules: [
        {
          api: 'gkehub',
          method: 'memberships.create',
          operationError: { code: 'GCE_STOCKOUT', message: 'The zone does not have enough resources.' },
          times: 1,
        },
      ],
    });
    const op = await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership);
    expect(op.status).toBe(200);
    const done = await until(
      () => h.call('gkehub', 'GET', `/v1/${op.data.name}`),
      (r) => r.data.done,
    );
    expect(done.data.response).toBeUndefined();
    expect(done.data.error).toMatchObject({
      code: 13,
      message: 'GCE_STOCKOUT: The zone does not have enough resources.',
    });
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`)).status).toBe(404);
    expect(
      (await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership)).status,
    ).toBe(200);
  });

  it('ends a subnet insert operation with the injected error and creates nothing', async () => {
    const h = await start({
      rules: [
        {
          api: 'compute',
          method: 'subnetworks.insert',
          operationError: { code: 'QUOTA_EXCEEDED', message: "Quota 'SUBNETWORKS' exceeded." },
        },
      ],
    });
    const op = await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet);
    const done = await h.call('compute', 'POST', `${REGION}/operations/${op.data.name}/wait`);
    expect(done.data).toMatchObject({
      status: 'DONE',
      error: { errors: [{ code: 'QUOTA_EXCEEDED', message: "Quota 'SUBNETWORKS' exceeded." }] },
    });
    expect((await h.call('compute', 'GET', `${REGION}/subnetworks/proxy`)).status).toBe(404);
  });

  it('ends a service enable operation with a canonical error code', async () => {
    const h = await start({
      rules: [
        {
          api: 'serviceusage',
          method: 'services.batchEnable',
          operationError: { code: 'FAILED_PRECONDITION', message: 'Billing must be enabled.' },
        },
      ],
    });
    const op = await h.call('serviceusage', 'POST', `/v1/projects/${P}/services:batchEnable`, {
      serviceIds: ['container.googleapis.com'],
    });
    const done = await until(
      () => h.call('serviceusage', 'GET', `/v1/${op.data.name}`),
      (r) => r.data.done,
    );
    expect(done.data.error).toEqual({ code: 9, message: 'Billing must be enabled.' });
    expect(
      (await h.call('serviceusage', 'GET', `/v1/projects/${P}/services/container.googleapis.com`)).data.state,
    ).toBe('DISABLED');
  });
});
