/**
 * Request IDs as GKE Hub and Compute keep them: a create sent again with the same requestId
 * within an hour returns the first operation and does nothing, even after the resource it made was
 * deleted (so apply → destroy → apply with one request ID does no work); an hour of simulated time
 * later the ID is forgotten and the same call creates anew.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startHarness, until, sleep, type Harness } from './google-helpers.js';

const P = 'my-project';
const HUB = `/v1/projects/${P}/locations/global`;
const REGION = `/compute/v1/projects/${P}/regions/us-east4`;
const HOUR = 3600;
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

/** 0.5 ms per simulated second: an hour passes in 1.8 s, a 30 s operation takes 15 ms. */
async function start() {
  h = await startHarness({}, {}, 0.5);
  return h;
}

/** Waits until `seconds` of simulated time have passed since `since` (a Clock.simulatedSeconds reading). */
async function passed(h: Harness, since: number, seconds: number) {
  while (h.clock.simulatedSeconds() - since <= seconds) await sleep(20);
}

const hubDone = (h: Harness, name: string) =>
  until(
    () => h.call('gkehub', 'GET', `/v1/${name}`),
    (r) => r.data.done === true,
  );
const computeDone = (h: Harness, name: string) =>
  h.call('compute', 'POST', `${REGION}/operations/${name}/wait`);

describe('request IDs, remembered for an hour of simulated time', () => {
  it('GKE Hub: within the hour a re-sent create returns the old operation, even after a delete; after it, a new create', async () => {
    const h = await start();
    const path = `${HUB}/memberships?membershipId=gke-east&requestId=${randomUUID()}`;
    const first = await h.call('gkehub', 'POST', path, membership);
    const t0 = h.clock.simulatedSeconds();
    expect(first.status).toBe(200);
    await hubDone(h, first.data.name);
    const deleted = await h.call('gkehub', 'DELETE', `${HUB}/memberships/gke-east`);
    await hubDone(h, deleted.data.name);
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`)).status).toBe(404);

    const again = await h.call('gkehub', 'POST', path, membership);
    expect(h.clock.simulatedSeconds() - t0).toBeLessThan(HOUR);
    expect(again.status).toBe(200);
    expect(again.data.name).toBe(first.data.name);
    expect(again.data.done).toBe(true);
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`)).status).toBe(404);

    await passed(h, t0, HOUR);
    const later = await h.call('gkehub', 'POST', path, membership);
    expect(later.status).toBe(200);
    expect(later.data.name).not.toBe(first.data.name);
    expect(later.data.metadata.verb).toBe('create');
    const done = await hubDone(h, later.data.name);
    expect(done.data.response.state).toEqual({ code: 'READY' });
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-east`)).status).toBe(200);
  });

  it('GKE Hub: a feature create re-sent with its requestId returns the first operation', async () => {
    const h = await start();
    const path = `${HUB}/features?featureId=multiclusterservicediscovery&requestId=${randomUUID()}`;
    const first = await h.call('gkehub', 'POST', path, {});
    const retried = await h.call('gkehub', 'POST', path, {});
    expect(retried.status).toBe(200);
    expect(retried.data.name).toBe(first.data.name);
    await hubDone(h, first.data.name);
  });

  it('GKE Hub: a requestId reused for another membership returns the old operation (the body is not compared)', async () => {
    const h = await start();
    const requestId = randomUUID();
    const first = await h.call(
      'gkehub',
      'POST',
      `${HUB}/memberships?membershipId=gke-east&requestId=${requestId}`,
      membership,
    );
    const other = await h.call(
      'gkehub',
      'POST',
      `${HUB}/memberships?membershipId=gke-west&requestId=${requestId}`,
      membership,
    );
    expect(other.data.name).toBe(first.data.name);
    expect((await h.call('gkehub', 'GET', `${HUB}/memberships/gke-west`)).status).toBe(404);
    await hubDone(h, first.data.name);
  });

  it('Compute: within the hour a re-sent subnet insert returns the old operation, even after a delete; after it, a new insert', async () => {
    const h = await start();
    const path = `${REGION}/subnetworks?requestId=${randomUUID()}`;
    const first = await h.call('compute', 'POST', path, subnet);
    const t0 = h.clock.simulatedSeconds();
    expect(first.status).toBe(200);
    expect((await computeDone(h, first.data.name)).data.status).toBe('DONE');
    const deleted = await h.call(
      'compute',
      'DELETE',
      `${REGION}/subnetworks/proxy?requestId=${randomUUID()}`,
    );
    expect((await computeDone(h, deleted.data.name)).data.status).toBe('DONE');

    const again = await h.call('compute', 'POST', path, subnet);
    expect(h.clock.simulatedSeconds() - t0).toBeLessThan(HOUR);
    expect(again.status).toBe(200);
    expect(again.data).toMatchObject({ name: first.data.name, operationType: 'insert', status: 'DONE' });
    expect((await h.call('compute', 'GET', `${REGION}/subnetworks/proxy`)).status).toBe(404);

    await passed(h, t0, HOUR);
    const later = await h.call('compute', 'POST', path, subnet);
    expect(later.status).toBe(200);
    expect(later.data.name).not.toBe(first.data.name);
    expect((await computeDone(h, later.data.name)).data.status).toBe('DONE');
    expect((await h.call('compute', 'GET', `${REGION}/subnetworks/proxy`)).status).toBe(200);
  });

  it('Compute: refuses a requestId that is not a UUID', async () => {
    const h = await start();
    const bad = await h.call('compute', 'POST', `${REGION}/subnetworks?requestId=not-a-uuid`, subnet);
    expect(bad.status).toBe(400);
    expect(bad.data.error.message).toContain("Invalid value for field 'requestId': 'not-a-uuid'");
  });
});
