import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startHarness, until, type Harness } from './google-helpers.js';

const P = 'my-project';
const BASE = `/v1/projects/${P}/locations/global`;
const link = (cluster: string, location = 'us-east4-a') =>
  `//container.googleapis.com/projects/${P}/locations/${location}/clusters/${cluster}`;
const membershipBody = (cluster: string) => ({
  endpoint: { gkeCluster: { resourceLink: link(cluster) } },
  labels: { 'managed-by': 'spillway' },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.apis.close());

async function finished(path: string) {
  return until(
    () => h.call('gkehub', 'GET', `/v1/${path}`),
    (r) => r.data.done === true,
  );
}

async function register(id: string, cluster = id) {
  const created = await h.call(
    'gkehub',
    'POST',
    `${BASE}/memberships?membershipId=${id}`,
    membershipBody(cluster),
  );
  expect(created.status).toBe(200);
  return finished(created.data.name);
}

describe('GKE Hub memberships', () => {
  it('creates a membership through a long-running operation, then reads it READY', async () => {
    const created = await h.call(
      'gkehub',
      'POST',
      `${BASE}/memberships?membershipId=gke-east`,
      membershipBody('gke-east'),
    );
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({
      name: expect.stringMatching(
        new RegExp(
          `^projects/${P}/locations/global/operations/operation-\\d+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$`,
        ),
      ),
      metadata: {
        '@type': 'type.googleapis.com/google.cloud.gkehub.v1.OperationMetadata',
        target: `projects/${P}/locations/global/memberships/gke-east`,
        verb: 'create',
        createTime: expect.any(String),
      },
      done: false,
    });
    const during = await h.call('gkehub', 'GET', `${BASE}/memberships/gke-east`);
    expect(during.data.state).toEqual({ code: 'CREATING' });

    const done = await finished(created.data.name);
    expect(done.data.response).toMatchObject({
      '@type': 'type.googleapis.com/google.cloud.gkehub.v1.Membership',
      name: `projects/${P}/locations/global/memberships/gke-east`,
      state: { code: 'READY' },
    });
    expect(done.data.metadata.endTime).toEqual(expect.any(String));

    const got = await h.call('gkehub', 'GET', `${BASE}/memberships/gke-east`);
    expect(got.data).toMatchObject({
      name: `projects/${P}/locations/global/memberships/gke-east`,
      endpoint: { gkeCluster: { resourceLink: link('gke-east') } },
      labels: { 'managed-by': 'spillway' },
      state: { code: 'READY' },
      uniqueId: expect.any(String),
      createTime: expect.any(String),
      updateTime: expect.any(String),
    });
    const listed = await h.call('gkehub', 'GET', `/v1/projects/${P}/locations/-/memberships`);
    expect(listed.data.resources.map((m: any) => m.name)).toContain(
      `projects/${P}/locations/global/memberships/gke-east`,
    );
  });

  it('answers 409 ALREADY_EXISTS to a second create, and the first operation to a retried requestId', async () => {
    const requestId = randomUUID();
    const path = `${BASE}/memberships?membershipId=gke-west&requestId=${requestId}`;
    const first = await h.call('gkehub', 'POST', path, membershipBody('gke-west'));
    const retried = await h.call('gkehub', 'POST', path, membershipBody('gke-west'));
    expect(retried.status).toBe(200);
    expect(retried.data.name).toBe(first.data.name);

    const duplicate = await h.call(
      'gkehub',
      'POST',
      `${BASE}/memberships?membershipId=gke-west&requestId=${randomUUID()}`,
      membershipBody('gke-west'),
    );
    expect(duplicate.status).toBe(409);
    expect(duplicate.data.error).toMatchObject({ code: 409, status: 'ALREADY_EXISTS' });

    const bad = await h.call(
      'gkehub',
      'POST',
      `${BASE}/memberships?membershipId=x&requestId=not-a-uuid`,
      membershipBody('x'),
    );
    expect(bad.status).toBe(400);
    await finished(first.data.name);
  });

  it('rejects a membership without a GKE resource link, and an invalid ID', async () => {
    expect((await h.call('gkehub', 'POST', `${BASE}/memberships?membershipId=nolink`, {})).status).toBe(400);
    expect(
      (await h.call('gkehub', 'POST', `${BASE}/memberships?membershipId=Bad_Id`, membershipBody('y'))).status,
    ).toBe(400);
  });

  it('updates labels with PATCH and deletes through operations', async () => {
    await register('gke-temp');
    const patched = await h.call('gkehub', 'PATCH', `${BASE}/memberships/gke-temp?updateMask=labels`, {
      labels: { team: 'a' },
    });
    expect(patched.data.metadata.verb).toBe('update');
    const updated = await finished(patched.data.name);
    expect(updated.data.response.labels).toEqual({ team: 'a' });

    const deleted = await h.call('gkehub', 'DELETE', `${BASE}/memberships/gke-temp`);
    expect(deleted.data.metadata.verb).toBe('delete');
    const gone = await finished(deleted.data.name);
    expect(gone.data.response).toEqual({ '@type': 'type.googleapis.com/google.protobuf.Empty' });
    expect((await h.call('gkehub', 'GET', `${BASE}/memberships/gke-temp`)).status).toBe(404);
  });
});

describe('GKE Hub features', () => {
  const mci = (membership: string) => ({
    spec: {
      multiclusteringress: { configMembership: `projects/${P}/locations/global/memberships/${membership}` },
    },
    labels: { 'managed-by': 'spillway' },
  });

  it('refuses MCI whose config membership does not exist, then enables it once it does', async () => {
    const missing = await h.call(
      'gkehub',
      'POST',
      `${BASE}/features?featureId=multiclusteringress`,
      mci('gke-config'),
    );
    expect(missing.status).toBe(400);
    expect(missing.data.error.errors[0].reason).toBe('failedPrecondition');
    expect(missing.data.error.message).toContain('does not exist');

    await register('gke-config');
    await register('gke-other');
    const mcs = await h.call('gkehub', 'POST', `${BASE}/features?featureId=multiclusterservicediscovery`, {});
    expect(mcs.status).toBe(200);
    const created = await h.call(
      'gkehub',
      'POST',
      `${BASE}/features?featureId=multiclusteringress`,
      mci('gke-config'),
    );
    expect(created.status).toBe(200);
    const done = await finished(created.data.name);
    expect(done.data.response).toMatchObject({
      '@type': 'type.googleapis.com/google.cloud.gkehub.v1.Feature',
      name: `projects/${P}/locations/global/features/multiclusteringress`,
      resourceState: { state: 'ACTIVE' },
      state: { state: { code: 'OK' } },
    });
    const listed = await h.call('gkehub', 'GET', `${BASE}/features`);
    expect(listed.data.resources.map((f: any) => f.name.split('/').pop()).sort()).toEqual([
      'multiclusteringress',
      'multiclusterservicediscovery',
    ]);
  });

  it('moves the config membership with PATCH updateMask=spec, and refuses to delete the config membership', async () => {
    const refused = await h.call('gkehub', 'DELETE', `${BASE}/memberships/gke-config`);
    expect(refused.status).toBe(400);

    const patched = await h.call(
      'gkehub',
      'PATCH',
      `${BASE}/features/multiclusteringress?updateMask=spec`,
      mci('gke-other'),
    );
    expect(patched.status).toBe(200);
    await finished(patched.data.name);
    const got = await h.call('gkehub', 'GET', `${BASE}/features/multiclusteringress`);
    expect(got.data.spec.multiclusteringress.configMembership).toBe(
      `projects/${P}/locations/global/memberships/gke-other`,
    );
    expect(got.data.resourceState.state).toBe('ACTIVE');

    const toMissing = await h.call(
      'gkehub',
      'PATCH',
      `${BASE}/features/multiclusteringress?updateMask=spec`,
      mci('nope'),
    );
    expect(toMissing.status).toBe(400);
    const noMask = await h.call('gkehub', 'PATCH', `${BASE}/features/multiclusteringress`, mci('gke-other'));
    expect(noMask.status).toBe(400);
  });

  it('deletes a feature', async () => {
    const deleted = await h.call('gkehub', 'DELETE', `${BASE}/features/multiclusterservicediscovery`);
    await finished(deleted.data.name);
    expect((await h.call('gkehub', 'GET', `${BASE}/features/multiclusterservicediscovery`)).status).toBe(404);
  });
});
