import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { EntitySpillwayCard } from '../src/components/EntitySpillwayCard.js';
import { spillwayApiRef, SpillwayRequestError, type SpillwayApi } from '../src/api.js';
import type { SpillwayHealthResponse } from '@spillway/backstage-plugin-spillway-common';
import { entity, healthy, onComputeClass, partial, response, spilling } from './fixtures.js';

type GetHealth = SpillwayApi['getHealth'];

function fakeApi(...answers: Array<SpillwayHealthResponse | Error | Promise<SpillwayHealthResponse>>) {
  const getHealth = jest.fn<GetHealth>();
  for (const answer of answers) {
    getHealth.mockImplementationOnce(() =>
      answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer),
    );
  }
  return { getHealth, getPlatform: jest.fn<SpillwayApi['getPlatform']>() };
}

async function renderCard(api: SpillwayApi, props = {}, forEntity: Entity = entity) {
  return renderInTestApp(
    <TestApiProvider apis={[[spillwayApiRef, api]]}>
      <EntityProvider entity={forEntity}>
        <EntitySpillwayCard refreshIntervalMs={0} {...props} />
      </EntityProvider>
    </TestApiProvider>,
  );
}

const tile = (name: string) => screen.getByRole('region', { name: `Region ${name}` });

afterEach(() => {
  jest.useRealTimers();
});

describe('EntitySpillwayCard', () => {
  it('shows each region of a healthy fleet: state as text, servers, the preferred badge, gateway, KV cache', async () => {
    const api = fakeApi(healthy);
    await renderCard(api);

    expect(await screen.findByText('us-east4')).toBeInTheDocument();
    expect(api.getHealth).toHaveBeenCalledWith(
      { namespace: 'default', kind: 'Component', name: 'food-review' },
      expect.anything(),
    );
    const east = within(tile('us-east4'));
    expect(east.getByText('Healthy')).toBeInTheDocument();
    expect(east.getByText('2/2 ready')).toBeInTheDocument();
    expect(east.getByText('Preferred')).toBeInTheDocument();
    expect(east.getByText('10.5.0.10')).toBeInTheDocument();
    expect(east.getByRole('meter')).toHaveAttribute(
      'aria-valuetext',
      'KV cache 31% used; HPA target 50%; load balancer threshold 80%',
    );
    expect(east.getByText('HPA target 50%')).toBeInTheDocument();
    expect(east.getByText('Spill-over threshold 80%')).toBeInTheDocument();
    const west = within(tile('europe-west3'));
    expect(west.getByText('Healthy')).toBeInTheDocument();
    expect(west.queryByText('Preferred')).not.toBeInTheDocument();
    expect(west.getByText('10.0.0.10')).toBeInTheDocument();
    expect(screen.queryByText(/spilling over/i)).not.toBeInTheDocument();
    expect(screen.getByText(/Last verified 2026-12-05 11:30:00 UTC/)).toHaveTextContent(
      'Last verified 2026-12-05 11:30:00 UTC: passed',
    );
    expect(screen.getByText('default/food-review on platform inference-prod')).toBeInTheDocument();
  });

  it('says unmistakably that traffic spills: a banner, the full preferred region, the region taking the overflow', async () => {
    await renderCard(fakeApi(spilling));

    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Traffic is spilling over: us-east4 is at 92% of its KV cache; europe-west3 takes the overflow.',
    );
    expect(within(tile('us-east4')).getByRole('status')).toHaveTextContent(
      'Spilling over: full, overflow goes to europe-west3',
    );
    expect(within(tile('europe-west3')).getByRole('status')).toHaveTextContent(
      'Spilling over: takes the overflow of us-east4',
    );
    expect(within(tile('us-east4')).getByText('At 92%, at or above the 80% threshold')).toBeInTheDocument();
  });

  it("shows an unreadable region's reason while the other regions show normally (partial)", async () => {
    await renderCard(fakeApi(partial));

    const west = within(await screen.findByRole('region', { name: 'Region europe-west3' }));
    expect(west.getByText('Unknown (unreadable)')).toBeInTheDocument();
    expect(west.getByText(/gke-west could not be read: no answer within 10 s/)).toBeInTheDocument();
    expect(west.getByRole('meter')).toHaveAttribute('aria-valuetext', 'KV-cache utilization unknown');
    const east = within(tile('us-east4'));
    expect(east.getByText('Healthy')).toBeInTheDocument();
    expect(east.getByText('2/2 ready')).toBeInTheDocument();
  });

  it('lists the failing checks of a degraded region and a failed last verify', async () => {
    const degraded = response(
      [
        {
          ...healthy.health.regions[0]!,
          state: 'degraded',
          checks: [
            { name: 'autoscaler metric', ok: false, detail: 'the HPA has no metric yet — wait a minute' },
          ],
        },
      ],
      {
        lastVerified: {
          'food-review': {
            ok: false,
            checkedAt: '2026-12-05T11:00:00.000Z',
            failed: ['europe-west3: test completion'],
          },
        },
      },
    );
    await renderCard(fakeApi(degraded));

    const east = within(await screen.findByRole('region', { name: 'Region us-east4' }));
    expect(east.getByText('Degraded')).toBeInTheDocument();
    expect(east.getByText('1 check fails')).toBeInTheDocument();
    expect(east.getByText(/the HPA has no metric yet/)).toBeInTheDocument();
    expect(screen.getByText(/Last verified/)).toHaveTextContent(
      'Last verified 2026-12-05 11:00:00 UTC: failed (europe-west3: test completion)',
    );
  });

  it('says so when the service reports no regions (empty)', async () => {
    await renderCard(fakeApi(response([], { lastVerified: undefined })));

    expect(
      await screen.findByText(/No regions are reported for default\/food-review on platform inference-prod/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: /^Region / })).not.toBeInTheDocument();
  });

  it("shows the backend's message when the request fails (error)", async () => {
    await renderCard(
      fakeApi(
        new SpillwayRequestError(
          403,
          'The Spillway backend answered 403 Forbidden: user:default/guest may not read component:default/food-review',
        ),
      ),
    );

    expect(await screen.findByText("Could not read the service's health")).toBeInTheDocument();
    expect(screen.getByText(/403 Forbidden: user:default\/guest may not read/)).toBeVisible();
    expect(screen.queryByRole('region', { name: /^Region / })).not.toBeInTheDocument();
  });

  it('shows progress until the first answer (loading)', async () => {
    let answer!: (value: SpillwayHealthResponse) => void;
    const api = {
      getHealth: jest.fn<GetHealth>(() => new Promise((resolve) => (answer = resolve))),
      getPlatform: jest.fn<SpillwayApi['getPlatform']>(),
    };
    await renderCard(api);

    expect(screen.getByTestId('progress')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Refresh' })).toBeDisabled();
    await act(async () => answer(healthy));
    expect(await screen.findByText('us-east4')).toBeInTheDocument();
    expect(screen.queryByTestId('progress')).not.toBeInTheDocument();
  });

  it('refreshes on demand, keeping the last reading on screen while it reads again', async () => {
    let second!: (value: SpillwayHealthResponse) => void;
    const api = fakeApi(healthy);
    api.getHealth.mockImplementationOnce(() => new Promise((resolve) => (second = resolve)));
    await renderCard(api);
    await screen.findByText('us-east4');

    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    expect(api.getHealth).toHaveBeenCalledTimes(2);
    expect(screen.getByRole('status', { name: 'Refreshing' })).toBeInTheDocument();
    expect(screen.queryByTestId('progress')).not.toBeInTheDocument();
    expect(within(tile('us-east4')).getByText('Healthy')).toBeInTheDocument();
    await act(async () => second(spilling));
    expect(await screen.findByRole('alert')).toHaveTextContent('Traffic is spilling over');
    expect(screen.queryByRole('status', { name: 'Refreshing' })).not.toBeInTheDocument();
  });

  it('keeps the last reading and says the refresh failed when a later read fails', async () => {
    const api = fakeApi(healthy, new SpillwayRequestError(503, 'The Spillway backend answered 503'));
    await renderCard(api);
    await screen.findByText('us-east4');

    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));

    expect(
      await screen.findByText('The last refresh failed; showing the previous reading'),
    ).toBeInTheDocument();
    expect(within(tile('us-east4')).getByText('Healthy')).toBeInTheDocument();
  });

  it('reads again by itself at the configured interval', async () => {
    jest.useFakeTimers();
    const api = fakeApi(healthy, spilling);
    await renderCard(api, { refreshIntervalMs: 5_000 });
    await act(async () => {
      await jest.advanceTimersByTimeAsync(0);
    });
    expect(api.getHealth).toHaveBeenCalledTimes(1);

    await act(async () => {
      await jest.advanceTimersByTimeAsync(5_000);
    });

    expect(api.getHealth).toHaveBeenCalledTimes(2);
    await waitFor(() => expect(screen.getByRole('alert')).toHaveTextContent('Traffic is spilling over'));
  });

  it('shows the capacity tier each region’s servers came from, and the tiers found unavailable', async () => {
    await renderCard(fakeApi(onComputeClass));

    const east = within(await screen.findByRole('region', { name: 'Region us-east4' }));
    expect(east.getByText('Capacity')).toBeInTheDocument();
    expect(east.getByText('On-demand').parentElement).toHaveTextContent(
      'On-demand (reservation unavailable)',
    );
    expect(within(tile('europe-west3')).getByText('Reservation').parentElement).toHaveTextContent(
      /^Reservation$/,
    );
  });

  it('shows no capacity row for servers on the clusters’ own accelerator pools', async () => {
    await renderCard(fakeApi(healthy));

    expect(await screen.findByText('us-east4')).toBeInTheDocument();
    expect(screen.queryByText('Capacity')).not.toBeInTheDocument();
  });

  it('points to the missing annotation on an entity without it', async () => {
    const plain = { ...entity, metadata: { name: 'other', namespace: 'default' } };
    const api = fakeApi();
    await renderCard(api, {}, plain);

    expect(await screen.findByText('Missing Annotation')).toBeInTheDocument();
    expect(screen.getAllByText(/spillway\.dev\/service/).length).toBeGreaterThan(0);
    expect(api.getHealth).not.toHaveBeenCalled();
  });
});
