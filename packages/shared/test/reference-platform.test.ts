import { describe, expect, it } from '@jest/globals';
import { checkSpec, renderDesiredState, renderScript, type Spec } from '../src/index.js';
import { EXAMPLE_TEXT } from './helpers.js';

const [platformText, serviceText] = EXAMPLE_TEXT.split(/^---\n/m) as [string, string];

function referenced(): Spec {
  const result = checkSpec([
    { file: 'platform.yaml', text: platformText, reference: true },
    { file: 'spillway.yaml', text: serviceText },
  ]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

describe('a platform given as a reference (--platform)', () => {
  it('is checked and used by the service, and marked read-only', () => {
    const spec = referenced();
    expect(spec.platforms.map((p) => [p.name, p.reference])).toEqual([['inference-prod', true]]);
    expect(spec.services[0]!.platform.name).toBe('inference-prod');
  });

  it("renders none of the platform's own resources, only the service's", () => {
    const state = renderDesiredState(referenced());
    expect(state.resources.length).toBeGreaterThan(0);
    expect(state.resources.filter((r) => !r.owner.service)).toEqual([]);
    expect(state.resources.map((r) => r.type)).not.toContain('container.cluster');
    const ids = new Set(state.resources.map((r) => r.id));
    for (const r of state.resources) for (const d of r.dependsOn) expect(ids).toContain(d);
  });

  it('renders the same service resources as the whole spec does', () => {
    const whole = checkSpec([{ file: 'food-review.yaml', text: EXAMPLE_TEXT }]);
    if (!whole.ok) throw new Error('example invalid');
    const serviceIds = renderDesiredState(whole.spec)
      .resources.filter((r) => r.owner.service)
      .map((r) => r.id)
      .sort();
    expect(
      renderDesiredState(referenced())
        .resources.map((r) => r.id)
        .sort(),
    ).toEqual(serviceIds);
  });

  it('keeps gcloud out of the script: no cluster is created, credentials are still fetched', () => {
    const spec = referenced();
    const script = renderScript(spec, renderDesiredState(spec));
    expect(script).not.toContain('gcloud container clusters create');
    expect(script).not.toContain('gcloud services enable');
    expect(script).toContain('gcloud container clusters get-credentials gke-west');
  });

  it('refuses a service inside a platform file, naming the file and what to do', () => {
    const result = checkSpec([{ file: 'platform.yaml', text: EXAMPLE_TEXT, reference: true }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({
        file: 'platform.yaml',
        line: 39,
        path: 'kind',
        message: 'a platform file (--platform) holds an InferenceService',
      }),
    ]);
  });

  it('is still required: a service whose platform is in neither file is refused', () => {
    const result = checkSpec([{ file: 'spillway.yaml', text: serviceText }]);
    expect(result.ok).toBe(false);
  });
});
