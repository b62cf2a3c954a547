import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultProjectNumber } from '../src/google/index.js';
import { startHarness, type Harness } from './google-helpers.js';

const P = 'my-project';
const NUMBER = '123456789012';
const ADAPTER = `principal://iam.googleapis.com/projects/${NUMBER}/locations/global/workloadIdentityPools/${P}.svc.id.goog/subject/ns/custom-metrics/sa/custom-metrics-stackdriver-adapter`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { cloudresourcemanager: { projectNumbers: { [P]: NUMBER } } });
});
afterAll(() => h.apis.close());

const getPolicy = () =>
  h.call('cloudresourcemanager', 'POST', `/v3/projects/${P}:getIamPolicy`, {
    options: { requestedPolicyVersion: 3 },
  });
const setPolicy = (policy: unknown) =>
  h.call('cloudresourcemanager', 'POST', `/v3/projects/${P}:setIamPolicy`, { policy });
const withBinding = (policy: any, role: string, member: string) => {
  const bindings = policy.bindings.map((b: any) => ({ ...b, members: [...b.members] }));
  const existing = bindings.find((b: any) => b.role === role && !b.condition);
  if (existing) existing.members.push(member);
  else bindings.push({ role, members: [member] });
  return { ...policy, bindings };
};

/** The read-modify-write loop a robust apply runs: redo everything on 409 ABORTED. */
async function addBinding(role: string, member: string, beforeWrite: () => Promise<void> = async () => {}) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const current = await getPolicy();
    await beforeWrite();
    const written = await setPolicy(withBinding(current.data, role, member));
    if (written.status === 200) return { attempt, policy: written.data };
    expect(written.status).toBe(409);
  }
  throw new Error('did not converge');
}

describe('Resource Manager projects', () => {
  it('describes a project in v3 and v1 shapes with its configured number', async () => {
    const v3 = await h.call('cloudresourcemanager', 'GET', `/v3/projects/${P}`);
    expect(v3.data).toMatchObject({
      name: `projects/${NUMBER}`,
      projectId: P,
      state: 'ACTIVE',
      displayName: P,
    });
    const byNumber = await h.call('cloudresourcemanager', 'GET', `/v3/projects/${NUMBER}`);
    expect(byNumber.data.projectId).toBe(P);
    const v1 = await h.call('cloudresourcemanager', 'GET', `/v1/projects/${P}`);
    expect(v1.data).toMatchObject({ projectNumber: NUMBER, projectId: P, lifecycleState: 'ACTIVE' });
    const other = await h.call('cloudresourcemanager', 'GET', '/v3/projects/other-project');
    expect(other.data.name).toBe(`projects/${defaultProjectNumber('other-project')}`);
  });
});

describe('Resource Manager IAM policy', () => {
  it('returns a policy with an etag and the pre-existing bindings', async () => {
    const res = await getPolicy();
    expect(res.data).toMatchObject({ version: 1, etag: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/) });
    expect(res.data.bindings).toContainEqual({
      role: 'roles/owner',
      members: [`user:owner@${P}.example.com`],
    });
  });

  it('keeps existing bindings through a read-modify-write and changes the etag', async () => {
    const before = await getPolicy();
    const { policy } = await addBinding('roles/monitoring.viewer', ADAPTER);
    expect(policy.etag).not.toBe(before.data.etag);
    for (const binding of before.data.bindings) expect(policy.bindings).toContainEqual(binding);
    expect(policy.bindings).toContainEqual({ role: 'roles/monitoring.viewer', members: [ADAPTER] });
    expect((await getPolicy()).data).toEqual(policy);
  });

  it('answers a stale etag with 409 ABORTED, worded as the real API', async () => {
    const stale = await getPolicy();
    await addBinding('roles/viewer', 'user:someone@example.com');
    const res = await setPolicy(withBinding(stale.data, 'roles/viewer', 'user:late@example.com'));
    expect(res.status).toBe(409);
    expect(res.data.error.message).toMatch(
      /^There were concurrent policy changes\. Please retry the whole read-modify-write with exponential backoff\. The request's ETag '.+' did not match the current policy's ETag '.+'\.$/,
    );
    expect(res.data.error.errors[0].reason).toBe('aborted');
  });

  it('takes the etag back in either base64 alphabet (it is bytes; gcloud sends it URL-safe)', async () => {
    let current = (await getPolicy()).data;
    while (!/[+/]/.test(current.etag)) current = (await setPolicy(current)).data; // until the etag has a + or /
    const urlSafe = current.etag.replace(/\+/g, '-').replace(/\//g, '_');
    const res = await setPolicy({
      ...withBinding(current, 'roles/viewer', 'user:urlsafe@example.com'),
      etag: urlSafe,
    });
    expect(res.status).toBe(200);
  });

  it('lets one of two concurrent writers win; the other retries and both bindings stay', async () => {
    const a = getPolicy();
    const b = getPolicy();
    const [pa, pb] = await Promise.all([a, b]);
    expect(pa.data.etag).toBe(pb.data.etag);
    const [wa, wb] = await Promise.all([
      setPolicy(
        withBinding(
          pa.data,
          'roles/monitoring.metricWriter',
          'serviceAccount:nodes@my-project.iam.gserviceaccount.com',
        ),
      ),
      setPolicy(
        withBinding(
          pb.data,
          'roles/stackdriver.resourceMetadata.writer',
          'serviceAccount:nodes@my-project.iam.gserviceaccount.com',
        ),
      ),
    ]);
    expect([wa.status, wb.status].sort()).toEqual([200, 409]);
    const loser =
      wa.status === 409 ? 'roles/monitoring.metricWriter' : 'roles/stackdriver.resourceMetadata.writer';
    const retried = await addBinding(loser, 'serviceAccount:nodes@my-project.iam.gserviceaccount.com');
    const roles = retried.policy.bindings.map((x: any) => x.role);
    expect(roles).toEqual(
      expect.arrayContaining([
        'roles/monitoring.metricWriter',
        'roles/stackdriver.resourceMetadata.writer',
        'roles/owner',
        'roles/monitoring.viewer',
      ]),
    );
  });

  it('converges when another writer interferes during the first attempts', async () => {
    let interferences = 2;
    const { attempt, policy } = await addBinding(
      'roles/logging.logWriter',
      'user:writer@example.com',
      async () => {
        if (interferences-- > 0) await addBinding('roles/browser', `user:other${interferences}@example.com`);
      },
    );
    expect(attempt).toBe(3);
    const browser = policy.bindings.find((x: any) => x.role === 'roles/browser');
    expect(browser.members).toEqual(['user:other0@example.com', 'user:other1@example.com']);
  });

  it('rejects malformed members and a workload identity principal with the wrong project number', async () => {
    const current = (await getPolicy()).data;
    expect((await setPolicy(withBinding(current, 'roles/viewer', 'nobody'))).status).toBe(400);
    const wrong = ADAPTER.replace(NUMBER, '999999999999');
    expect((await setPolicy(withBinding(current, 'roles/monitoring.viewer', wrong))).status).toBe(400);
  });

  it('answers the v1 paths gcloud uses', async () => {
    const res = await h.call('cloudresourcemanager', 'POST', `/v1/projects/${P}:getIamPolicy`, {
      options: { requestedPolicyVersion: 3 },
    });
    expect(res.data.bindings.length).toBeGreaterThan(2);
  });
});
