import { describe, expect, it, jest } from '@jest/globals';
import { ApiBlueprint, type FetchApi } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import spillwayFrontendPlugin, {
  spillwayApi,
  spillwayEntityCard,
  spillwayRegionPickerFormField,
} from '../src/index.js';
import { isSpillwayAvailable, spillwayPlugin, SpillwayRegionPickerFieldExtension } from '../src/legacy.js';
import { SpillwayClient, spillwayApiRef, SpillwayRequestError } from '../src/api.js';
import { entity, healthy } from './fixtures.js';

const withoutAnnotation = { ...entity, metadata: { name: 'other', namespace: 'default' } };
const discoveryApi = { getBaseUrl: async (id: string) => `http://backstage.test/api/${id}` };

/** jsdom has no fetch Response; the client reads only these fields. */
function answer(body: string, status = 200, statusText = ''): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: async () => body,
    json: async () => JSON.parse(body),
  } as Response;
}

function fetchAnswering(response: Response) {
  const fetch = jest.fn<FetchApi['fetch']>(async () => response);
  return { fetchApi: { fetch } as FetchApi, fetch };
}

describe('isSpillwayAvailable', () => {
  it('is true only for entities with the spillway.dev/service annotation', () => {
    expect(isSpillwayAvailable(entity)).toBe(true);
    expect(isSpillwayAvailable(withoutAnnotation)).toBe(false);
    expect(
      isSpillwayAvailable({
        ...entity,
        metadata: { name: 'x', annotations: { 'spillway.dev/service': ' ' } },
      }),
    ).toBe(false);
  });
});

describe('the plugin for the new frontend system (the default export)', () => {
  it("is the 'spillway' plugin with the card, the region picker and the API", () => {
    expect(spillwayFrontendPlugin.pluginId).toBe('spillway');
    expect(spillwayFrontendPlugin.getExtension('entity-card:spillway/regional-health')).toBeDefined();
    expect(
      spillwayFrontendPlugin.getExtension('scaffolder-form-field:spillway/spillway-region-picker'),
    ).toBeDefined();
    expect(spillwayFrontendPlugin.getExtension('api:spillway')).toBeDefined();
  });

  it('shows the entity card only for entities that name a Spillway service', () => {
    const filter = createExtensionTester(spillwayEntityCard).get(EntityCardBlueprint.dataRefs.filterFunction);
    expect([filter?.(entity), filter?.(withoutAnnotation)]).toEqual([true, false]);
  });

  it("takes the card's filter from the app's config (app.extensions) instead", () => {
    const system = { ...entity, kind: 'System' };
    const filter = createExtensionTester(spillwayEntityCard, {
      config: { filter: { kind: 'system' } },
    }).get(EntityCardBlueprint.dataRefs.filterFunction);
    expect([filter?.(system), filter?.(entity), filter?.(withoutAnnotation)]).toEqual([true, false, false]);
  });

  it('offers SpillwayRegionPicker to the scaffolder, with its validation', async () => {
    const load = createExtensionTester(spillwayRegionPickerFormField).get(
      FormFieldBlueprint.dataRefs.formFieldLoader,
    );
    // The loaded field's data (an opaque FormField: its options with a type tag).
    const field = (await load()) as unknown as { name: string; validation: unknown };
    expect(field.name).toBe('SpillwayRegionPicker');
    expect(field.validation).toEqual(expect.any(Function));
  });

  it('provides spillwayApiRef as a client that fetches through fetchApi', async () => {
    const factory = createExtensionTester(spillwayApi).get(ApiBlueprint.dataRefs.factory);
    const { fetchApi, fetch } = fetchAnswering(answer(JSON.stringify(healthy)));
    expect(factory.api.id).toBe(spillwayApiRef.id);
    const client = factory.factory({ discoveryApi, fetchApi }) as SpillwayClient;

    await expect(
      client.getHealth({ namespace: 'default', kind: 'Component', name: 'food-review' }),
    ).resolves.toEqual(healthy);
    expect(fetch.mock.calls[0]![0]).toBe(
      'http://backstage.test/api/spillway/health/default/Component/food-review',
    );
  });
});

describe('the plugin for the legacy frontend system (./legacy)', () => {
  it("is the 'spillway' plugin and provides spillwayApiRef", () => {
    expect(spillwayPlugin.getId()).toBe('spillway');
    expect([...spillwayPlugin.getApis()].map((factory) => factory.api.id)).toEqual([spillwayApiRef.id]);
  });

  it('provides the region picker as a scaffolder field extension', () => {
    expect(SpillwayRegionPickerFieldExtension).toBeDefined();
  });
});

describe('SpillwayClient', () => {
  it("reads a platform's regions from /platforms/:name", async () => {
    const platform = { name: 'inference-prod', regions: [] };
    const { fetchApi, fetch } = fetchAnswering(answer(JSON.stringify(platform)));
    await expect(
      new SpillwayClient({ discoveryApi, fetchApi }).getPlatform('inference-prod'),
    ).resolves.toEqual(platform);
    expect(fetch.mock.calls[0]![0]).toBe('http://backstage.test/api/spillway/platforms/inference-prod');
  });

  const ref = { namespace: 'team a', kind: 'Component', name: 'food/review' };

  it('escapes each part of the entity reference in the path', async () => {
    const { fetchApi, fetch } = fetchAnswering(answer(JSON.stringify(healthy)));
    await new SpillwayClient({ discoveryApi, fetchApi }).getHealth(ref);
    expect(fetch.mock.calls[0]![0]).toBe(
      'http://backstage.test/api/spillway/health/team%20a/Component/food%2Freview',
    );
  });

  it("gives the backend's error message with its status", async () => {
    const forbidden = answer(
      JSON.stringify({
        error: { name: 'NotAllowedError', message: 'user:default/guest may not read component:default/x' },
      }),
      403,
      'Forbidden',
    );
    const { fetchApi } = fetchAnswering(forbidden);
    const failure = new SpillwayClient({ discoveryApi, fetchApi }).getHealth(ref);

    await expect(failure).rejects.toBeInstanceOf(SpillwayRequestError);
    await expect(failure).rejects.toMatchObject({
      status: 403,
      message:
        'The Spillway backend answered 403 Forbidden: user:default/guest may not read component:default/x',
    });
  });

  it('gives the text of an answer that is not JSON', async () => {
    const { fetchApi } = fetchAnswering(answer('upstream timed out', 504));
    await expect(new SpillwayClient({ discoveryApi, fetchApi }).getHealth(ref)).rejects.toThrow(
      'The Spillway backend answered 504: upstream timed out',
    );
  });
});
