import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, until, type Harness } from './google-helpers.js';

const P = 'my-project';
const NUMBER = '123456789012';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { cloudresourcemanager: { projectNumbers: { [P]: NUMBER } } });
});
afterAll(() => h.apis.close());

const service = (name: string) => h.call('serviceusage', 'GET', `/v1/projects/${P}/services/${name}`);
const operation = (name: string) =>
  until(
    () => h.call('serviceusage', 'GET', `/v1/${name}`),
    (r) => r.data.done === true,
  );

describe('Service Usage', () => {
  it('reports a service by project number, DISABLED until enabled', async () => {
    const res = await service('container.googleapis.com');
    expect(res.data).toEqual({
      name: `projects/${NUMBER}/services/container.googleapis.com`,
      parent: `projects/${NUMBER}`,
      config: { name: 'container.googleapis.com', title: 'Kubernetes Engine API' },
      state: 'DISABLED',
    });
  });

  it('batch-enables services through an operation', async () => {
    const ids = ['container.googleapis.com', 'gkehub.googleapis.com', 'multiclusteringress.googleapis.com'];
    const op = await h.call('serviceusage', 'POST', `/v1/projects/${P}/services:batchEnable`, {
      serviceIds: ids,
    });
    expect(op.status).toBe(200);
    expect(op.data).toMatchObject({ name: expect.stringMatching(/^operations\/acat\.p2-/), done: false });
    const done = await operation(op.data.name);
    expect(done.data.response['@type']).toBe(
      'type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse',
    );
    expect(done.data.response.services.map((s: any) => s.state)).toEqual(['ENABLED', 'ENABLED', 'ENABLED']);
    expect((await service('gkehub.googleapis.com')).data.state).toBe('ENABLED');
    const enabled = await h.call(
      'serviceusage',
      'GET',
      `/v1/projects/${P}/services?filter=state:ENABLED&pageSize=200`,
    );
    expect(enabled.data.services.map((s: any) => s.config.name)).toEqual(expect.arrayContaining(ids));
    expect(enabled.data.services.every((s: any) => s.state === 'ENABLED')).toBe(true);
  });

  it('enables one service, and answers a no-op for one already enabled', async () => {
    const op = await h.call(
      'serviceusage',
      'POST',
      `/v1/projects/${P}/services/compute.googleapis.com:enable`,
      {},
    );
    const done = await operation(op.data.name);
    expect(done.data.response).toMatchObject({
      '@type': 'type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse',
      service: { state: 'ENABLED' },
    });
    const again = await h.call(
      'serviceusage',
      'POST',
      `/v1/projects/${P}/services/compute.googleapis.com:enable`,
      {},
    );
    expect(again.data).toMatchObject({ name: 'operations/noop.DONE_OPERATION', done: true });
  });

  it('rejects an empty batch and an invalid service name', async () => {
    expect(
      (await h.call('serviceusage', 'POST', `/v1/projects/${P}/services:batchEnable`, { serviceIds: [] }))
        .status,
    ).toBe(400);
    expect(
      (await h.call('serviceusage', 'POST', `/v1/projects/${P}/services/nonsense:enable`, {})).status,
    ).toBe(403);
    expect((await h.call('serviceusage', 'GET', `/v1/projects/${P}/services?filter=name:x`)).status).toBe(
      400,
    );
  });
});
