import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, destroySpec, planSpec, type ProgressEvent, type Cloud } from '@spillway/shared';
import { isMutatingCall, type Sandbox } from '@spillway/sandbox';
import { CANARY, exampleSpec, sandboxAndCloud, TIMING } from './helpers.js';

let sandbox: Sandbox;
/** Calls that change a resource; the run's own claim (a Lease it takes and gives back) is not one. */
const mutatingCalls = () =>
  [...sandbox.faults.calls]
    .filter(([key]) => isMutatingCall(key) && !key.endsWith(' leases'))
    .reduce((n, [, count]) => n + count, 0);
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const events: ProgressEvent[] = [];

beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
});

afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('apply against the sandbox', () => {
  it('plans every resource as create on an empty project', async () => {
    const report = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    // 107 with the v1.0.1 chart; v1.5.0 splits the EPP's Role and RoleBinding in two (2 clusters).
    expect(report.resources).toHaveLength(111);
    // The sandbox, like a new project, has the monitoring API on already.
    expect(report.resources.filter((r) => r.action !== 'create').map((r) => r.id)).toEqual([
      'serviceusage.service/my-project/monitoring.googleapis.com',
    ]);
  });

  it('converges the example and reports the gateway address of each region', async () => {
    const report = await applySpec(exampleSpec(), {
      cloud,
      timing: TIMING,
      env,
      allowReplace: false,
      onEvent: (e) => events.push(e),
    });
    const failed = report.resources.filter((r) => r.state !== 'done');
    expect(failed).toEqual([]);
    expect(report.converged).toBe(true);
    expect(Object.keys(report.gateway.addresses).sort()).toEqual(['europe-west3', 'us-east4']);
  }, 120_000);

  it('plans noop everywhere after it, and a second apply makes no mutating call', async () => {
    const report = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(report.resources.filter((r) => r.action !== 'noop')).toEqual([]);
    const before = mutatingCalls();
    const again = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(again.converged).toBe(true);
    expect(mutatingCalls() - before).toBe(0);
  });

  it('never lets the token reach an event, a plan or a result', async () => {
    const text =
      JSON.stringify(events) + JSON.stringify(await planSpec(exampleSpec(), { cloud, timing: TIMING, env }));
    expect(text.includes(CANARY)).toBe(false);
    const secret = [...sandbox.kube.values()][0]!.store.get('v1', 'Secret', 'default', 'hf-token');
    expect(Buffer.from(secret!.data.token, 'base64').toString()).toBe(CANARY);
  });

  it('destroys what it created and leaves nothing owned behind', async () => {
    const report = await destroySpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(report.resources.filter((r) => r.state === 'failed')).toEqual([]);
    expect(Object.keys(sandbox.gke.model.state.clusters)).toEqual([]);
  }, 120_000);
});
