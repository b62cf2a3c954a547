import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { SERVICE_TEXT } from '@spillway/backstage-testing';
import { startScaffolder } from './scaffolder-backend.js';

/**
 * The real scaffolder backend with the module installed, running templates as dry runs. Run by
 * jest.scaffolder.config.cjs with --forceExit: the scaffolder leaves database timers behind after
 * backend.stop() under the test backend, which would keep jest alive.
 */
let backend: Awaited<ReturnType<typeof startScaffolder>>;

beforeAll(async () => {
  backend = await startScaffolder();
}, 60_000);
afterAll(async () => backend?.stop());

const template = (steps: unknown[]) => ({
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'spillway-dry-run', namespace: 'default' },
  spec: {
    type: 'service',
    parameters: [],
    steps,
    output: { text: [{ title: 'services', content: '${{ steps.validate.output.services | dump }}' }] },
  },
});
const STEPS = [
  // A dry run's workspace starts empty; the template's own files are the skeleton fetched into it.
  { id: 'fetch', action: 'fetch:plain', input: { url: './skeleton' } },
  {
    id: 'validate',
    action: 'spillway:validate',
    input: { spec: './spillway.yaml', platform: 'inference-prod' },
  },
  { id: 'plan', action: 'spillway:plan', input: { spec: './spillway.yaml' } },
  { id: 'apply', action: 'spillway:apply', input: { spec: './spillway.yaml' } },
  { id: 'verify', action: 'spillway:verify', input: { spec: './spillway.yaml' } },
];

function dryRun(serviceText: string) {
  return request(backend.server)
    .post('/api/scaffolder/v2/dry-run')
    .set('authorization', mockCredentials.user.header())
    .send({
      template: template(STEPS),
      values: {},
      directoryContents: [
        { path: 'skeleton/spillway.yaml', base64Content: Buffer.from(serviceText).toString('base64') },
      ],
    });
}

const messages = (body: { log: { body: { message?: string } }[] }) =>
  body.log.map((l) => l.body.message ?? '');

describe('the real scaffolder with the module', () => {
  it('runs the four actions in a dry run: validate for real, the others without touching anything', async () => {
    const res = await dryRun(SERVICE_TEXT);
    expect(res.status).toBe(200);
    const log = messages(res.body);
    expect(log).toContainEqual(
      expect.stringContaining('the spec is valid: default/food-review on platform inference-prod'),
    );
    expect(log).toContainEqual(
      expect.stringContaining('dry run: would apply default/food-review to platform inference-prod'),
    );
    expect(log).toContainEqual(expect.stringContaining('dry run: would verify default/food-review'));
    expect(res.body.output.text[0].content).toBe('["default/food-review"]');
  }, 60_000);

  it('fails the dry run at validate with the spec problem located', async () => {
    const res = await dryRun(SERVICE_TEXT.replace('platform: inference-prod', 'platform: staging'));
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(
      /^the spec \.\/spillway\.yaml has 1 problem:\n {2}\.\/spillway\.yaml:\d+:\d+ spec\.platform: staging is not a platform this Backstage is configured for \(configured: inference-prod\) — /,
    );
  }, 60_000);
});
