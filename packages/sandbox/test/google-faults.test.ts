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

describe('quota faults seen by a REST client, worded as the real APIs word them', () => {
  it("Compute: a hard quota answers 403 QUOTA_EXCEEDED, only in the quota's region", async () => {
    const h = await start({
      rules: [
        {
          api: 'compute',
          method: 'subnetworks.insert',
          quota: { metric: 'SUBNETWORKS', region: 'us-east4', limit: 100, usage: 100 },
        },
      ],
    });
    const refused = await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet);
    expect(refused.status).toBe(403);
    expect(refused.data.error).toMatchObject({
      code: 403,
      message: "Quota 'SUBNETWORKS' exceeded.  Limit: 100.0 in region us-east4.",
      errors: [
        {
          message: "Quota 'SUBNETWORKS' exceeded.  Limit: 100.0 in region us-east4.",
          domain: 'usageLimits',
          reason: 'quotaExceeded',
        },
      ],
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'QUOTA_EXCEEDED',
          domain: 'compute.googleapis.com',
          metadata: { quota_metric: 'SUBNETWORKS', quota_limit_value: '100', quota_location: 'us-east4' },
        },
        { '@type': 'type.googleapis.com/google.rpc.Help' },
      ],
    });
    const elsewhere = await h.call(
      'compute',
      'POST',
      `/compute/v1/projects/${P}/regions/europe-west3/subnetworks`,
      {
        ...subnet,
        ipCidrRange: '10.6.0.0/23',
      },
    );
    expect(elsewhere.status).toBe(200);
    expect(h.faults.log).toEqual([
      { api: 'compute', method: 'subnetworks.insert', fault: 'quota SUBNETWORKS' },
    ]);
  });

  it('Compute: a quota met while the operation runs ends it in QUOTA_EXCEEDED', async () => {
    const h = await start({
      rules: [
        {
          api: 'compute',
          method: 'subnetworks.insert',
          quota: { metric: 'SUBNETWORKS', limit: 100, when: 'operation' },
        },
      ],
    });
    const op = await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet);
    expect(op.status).toBe(200);
    const done = await h.call('compute', 'POST', `${REGION}/operations/${op.data.name}/wait`);
    expect(done.data.error).toEqual({
      errors: [
        {
          code: 'QUOTA_EXCEEDED',
          message: "Quota 'SUBNETWORKS' exceeded.  Limit: 100.0 in region us-east4.",
        },
      ],
    });
  });

  it('GKE Hub: a per-minute rate quota answers 429 RESOURCE_EXHAUSTED with ErrorInfo RATE_LIMIT_EXCEEDED, then lets the retry through', async () => {
    const h = await start({
      rules: [{ api: 'gkehub', method: 'memberships.create', rateLimit: {}, times: 1 }],
    });
    const limited = await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership);
    expect(limited.status).toBe(429);
    const number = (await h.call('cloudresourcemanager', 'GET', `/v3/projects/${P}`)).data.name.split('/')[1];
    expect(limited.data.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      message: `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'gkehub.googleapis.com' for consumer 'project_number:${number}'.`,
      errors: [{ reason: 'rateLimitExceeded' }],
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'googleapis.com',
          metadata: {
            service: 'gkehub.googleapis.com',
            consumer: `projects/${number}`,
            quota_metric: 'gkehub.googleapis.com/write_requests',
            quota_limit: 'WriteRequestsPerMinutePerProject',
          },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [{ url: 'https://cloud.google.com/docs/quotas/help/request_increase' }],
        },
      ],
    });
    const retry = await h.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, membership);
    expect(retry.status).toBe(200);
    expect(h.faults.log).toEqual([{ api: 'gkehub', method: 'memberships.create', fault: 'rate limit' }]);
  });

  it('Compute: the concurrent-operations quota answers 403 rateLimitExceeded with CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', async () => {
    const h = await start({
      rules: [
        { api: 'compute', method: 'subnetworks.insert', concurrentOperations: { limit: 10 }, times: 1 },
      ],
    });
    const refused = await h.call('compute', 'POST', `${REGION}/subnetworks`, subnet);
    expect(refused.status).toBe(403);
    expect(refused.data.error).toMatchObject({
      message: 'Rate Limit Exceeded',
      errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }],
      details: [
        { reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', domain: 'compute.googleapis.com' },
        {
          message: expect.stringMatching(
            /^Quota on concurrent operations exceeded for project \d+ in us-east4\.$/,
          ),
        },
      ],
    });
  });
});
