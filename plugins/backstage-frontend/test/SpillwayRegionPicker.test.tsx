import { describe, expect, it, jest } from '@jest/globals';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type { SpillwayPlatformResponse } from '@spillway/backstage-plugin-spillway-common';
import { spillwayApiRef, SpillwayRequestError, type SpillwayApi } from '../src/api.js';
import { SpillwayRegionPicker } from '../src/components/SpillwayRegionPicker.js';
import { validateRegions } from '../src/components/regionPickerField.js';

const inferenceProd: SpillwayPlatformResponse = {
  name: 'inference-prod',
  regions: [
    { region: 'europe-west3', cluster: 'gke-west', configCluster: true },
    { region: 'us-east4', cluster: 'gke-east', configCluster: false },
  ],
};

function apiAnswering(answer: SpillwayPlatformResponse | Error) {
  const getPlatform = jest.fn<SpillwayApi['getPlatform']>(async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { getHealth: jest.fn<SpillwayApi['getHealth']>(), getPlatform };
}

/** The field as the scaffolder renders it, with the rest of the form in formContext. */
async function renderPicker(
  api: SpillwayApi,
  formData: string[] | string | undefined,
  otherFields: object,
  field: { schema?: object; uiOptions?: object; required?: boolean } = {},
) {
  const onChange = jest.fn();
  const props = {
    formData,
    onChange,
    formContext: { formData: otherFields },
    uiSchema: { 'ui:options': field.uiOptions ?? {} },
    schema: field.schema ?? { title: 'Regions', type: 'array' },
    required: field.required ?? true,
    rawErrors: [],
    idSchema: { $id: 'regions' },
  } as any;
  await renderInTestApp(
    <TestApiProvider apis={[[spillwayApiRef, api]]}>
      <SpillwayRegionPicker {...props} />
    </TestApiProvider>,
  );
  return onChange;
}

describe('SpillwayRegionPicker', () => {
  it("offers the chosen platform Resource's regions, read from the backend, and returns the ticked ones", async () => {
    const api = apiAnswering(inferenceProd);
    const onChange = await renderPicker(api, ['us-east4'], { platform: 'resource:default/inference-prod' });

    const east = await screen.findByRole('checkbox', { name: 'us-east4 (cluster gke-east)' });
    const west = screen.getByRole('checkbox', { name: 'europe-west3 (cluster gke-west, config cluster)' });
    expect(api.getPlatform).toHaveBeenCalledWith('inference-prod', expect.anything());
    expect([east, west].map((box) => (box as HTMLInputElement).checked)).toEqual([true, false]);

    fireEvent.click(west);
    expect(onChange).toHaveBeenLastCalledWith(['us-east4', 'europe-west3']);
  });

  it('asks for a platform first, and reads nothing until one is chosen', async () => {
    const api = apiAnswering(inferenceProd);
    await renderPicker(api, undefined, {});
    expect(
      await screen.findByText('Regions: choose a platform first; its regions are offered here.'),
    ).toBeInTheDocument();
    expect(api.getPlatform).not.toHaveBeenCalled();
  });

  it('drops regions the chosen platform does not have (chosen for another platform)', async () => {
    const api = apiAnswering(inferenceProd);
    const onChange = await renderPicker(api, ['us-east4', 'asia-east1'], {
      platform: 'resource:default/inference-prod',
    });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(['us-east4']));
  });

  it("shows the backend's message when the platform is not configured", async () => {
    const api = apiAnswering(
      new SpillwayRequestError(
        404,
        'The Spillway backend answered 404: platform "staging" is not configured in this Backstage',
      ),
    );
    await renderPicker(api, [], { platform: 'resource:default/staging' });
    expect(await screen.findByText('The regions of staging cannot be offered')).toBeInTheDocument();
    expect(screen.getByText(/platform "staging" is not configured/)).toBeInTheDocument();
  });
});

describe('SpillwayRegionPicker for one region (a string field)', () => {
  const preferred = { schema: { title: 'Preferred region', type: 'string' }, required: false };

  it('offers one of the regions chosen in regionsField, or none', async () => {
    const api = apiAnswering(inferenceProd);
    const onChange = await renderPicker(
      api,
      undefined,
      { platform: 'resource:default/inference-prod', regions: ['us-east4'] },
      { ...preferred, uiOptions: { platformField: 'platform', regionsField: 'regions' } },
    );

    const east = await screen.findByRole('radio', { name: 'us-east4 (cluster gke-east)' });
    expect(screen.queryByRole('radio', { name: /europe-west3/ })).not.toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'None' })).toBeInTheDocument();
    fireEvent.click(east);
    expect(onChange).toHaveBeenLastCalledWith('us-east4');
  });

  it('clears a region that is no longer among the chosen regions', async () => {
    const api = apiAnswering(inferenceProd);
    const onChange = await renderPicker(
      api,
      'europe-west3',
      { platform: 'resource:default/inference-prod', regions: ['us-east4'] },
      { ...preferred, uiOptions: { regionsField: 'regions' } },
    );
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(undefined));
  });
});

describe('validateRegions', () => {
  const errors = (regions: string[]) => {
    const messages: string[] = [];
    validateRegions(regions, { addError: (m: string) => void messages.push(m) } as any, {} as any);
    return messages;
  };

  it('wants at least one region to run in, each once; one region (a string) is free', () => {
    expect(errors([])).toEqual(['choose at least one region of the platform']);
    expect(errors('' as any)).toEqual([]);
    expect(errors(['us-east4', 'us-east4'])).toEqual(['each region is chosen once']);
    expect(errors(['us-east4', 'europe-west3'])).toEqual([]);
  });
});
