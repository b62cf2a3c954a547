import { expect, it } from '@jest/globals';
import type { GoogleStates } from '../src/google/index.js';
import { startHarness, until } from './google-helpers.js';

const P = 'my-project';
const HUB = `/v1/projects/${P}/locations/global`;
const link = `//container.googleapis.com/projects/${P}/locations/us-east4-a/clusters/gke-east`;

it('resumes from state saved as JSON, finishing an operation that was running when it was saved', async () => {
  const first = await startHarness({}, { gkehub: { durations: { membership: 60 } } });
  const op = await first.call('gkehub', 'POST', `${HUB}/memberships?membershipId=gke-east`, {
    endpoint: { gkeCluster: { resourceLink: link } },
  });
  const policy = await first.call('cloudresourcemanager', 'POST', `/v3/projects/${P}:getIamPolicy`, {});
  await first.call('serviceusage', 'POST', `/v1/projects/${P}/services/container.googleapis.com:enable`, {});
  await first.apis.close();
  const saved = JSON.parse(JSON.stringify(first.apis.states)) as GoogleStates;

  const second = await startHarness({}, { states: saved });
  try {
    const done = await until(
      () => second.call('gkehub', 'GET', `/v1/${op.data.name}`),
      (r) => r.data.done,
    );
    expect(done.data.response.state).toEqual({ code: 'READY' });
    const again = await second.call('cloudresourcemanager', 'POST', `/v3/projects/${P}:getIamPolicy`, {});
    expect(again.data).toEqual(policy.data);
    const service = await until(
      () => second.call('serviceusage', 'GET', `/v1/projects/${P}/services/container.googleapis.com`),
      (r) => r.data.state === 'ENABLED',
    );
    expect(service.data.state).toBe('ENABLED');
  } finally {
    await second.apis.close();
  }
});
