import { describe, expect, it } from '@jest/globals';
import { chooseBackend, type BackendView, type BalancingPolicy } from '../src/dataplane/routing.js';

const b = (url: string, region: string, utilization: number, inFlight = 0, healthy = true): BackendView => ({
  url,
  region,
  utilization,
  inFlight,
  healthy,
});
const metrics = (preferredRegions: string[] = ['us-east4']): BalancingPolicy => ({
  mode: 'CUSTOM_METRICS',
  maxUtilizationPercent: 80,
  preferredRegions,
});
const inFlight = (preferredRegions: string[] = ['us-east4']): BalancingPolicy => ({
  mode: 'IN_FLIGHT',
  maxInFlightRequestsPerEndpoint: 3,
  preferredRegions,
});
const pick = (backends: BackendView[], policy: BalancingPolicy, turn = 0) => {
  const choice = chooseBackend(backends, policy, turn);
  return choice && `${choice.backend.url}/${choice.tier}`;
};

describe('chooseBackend, CUSTOM_METRICS', () => {
  it('keeps traffic in the preferred region while a backend there is below the threshold, even when others are idler', () => {
    expect(
      pick(
        [b('eu-a', 'europe-west3', 0), b('us-a', 'us-east4', 0.79), b('us-b', 'us-east4', 0.5)],
        metrics(),
      ),
    ).toBe('us-b/preferred');
  });

  it('spills to the least utilized backend of the other regions once every preferred backend is at or above the threshold', () => {
    const backends = [
      b('us-a', 'us-east4', 0.8),
      b('us-b', 'us-east4', 0.95),
      b('eu-a', 'europe-west3', 0.6),
      b('eu-b', 'europe-west3', 0.2),
    ];
    expect(pick(backends, metrics())).toBe('eu-b/spillover');
  });

  it('sends to the least utilized backend anywhere when everything is at or above the threshold', () => {
    const backends = [
      b('us-a', 'us-east4', 0.82),
      b('us-b', 'us-east4', 1.2),
      b('eu-a', 'europe-west3', 0.85),
    ];
    expect(pick(backends, metrics())).toBe('us-a/overflow');
  });

  it('balances on utilization alone when no region is preferred', () => {
    expect(pick([b('us-a', 'us-east4', 0.3), b('eu-a', 'europe-west3', 0.1)], metrics([]))).toBe(
      'eu-a/spillover',
    );
  });

  it('treats every listed preferred region alike', () => {
    const backends = [
      b('us-a', 'us-east4', 0.5),
      b('us-c', 'us-central1', 0.1),
      b('eu-a', 'europe-west3', 0),
    ];
    expect(pick(backends, metrics(['us-east4', 'us-central1']))).toBe('us-c/preferred');
  });

  it('never picks an unhealthy backend, and picks nothing when none is healthy', () => {
    const backends = [b('us-a', 'us-east4', 0, 0, false), b('eu-a', 'europe-west3', 0.5)];
    expect(pick(backends, metrics())).toBe('eu-a/spillover');
    expect(chooseBackend([b('us-a', 'us-east4', 0, 0, false)], metrics())).toBeUndefined();
    expect(chooseBackend([], metrics())).toBeUndefined();
  });

  it('breaks exact ties by fewer requests in flight, then rotates by turn', () => {
    expect(pick([b('us-a', 'us-east4', 0, 2), b('us-b', 'us-east4', 0, 1)], metrics())).toBe(
      'us-b/preferred',
    );
    const tied = [b('us-a', 'us-east4', 0), b('us-b', 'us-east4', 0)];
    expect([0, 1, 2, 3].map((turn) => pick(tied, metrics(), turn))).toEqual([
      'us-a/preferred',
      'us-b/preferred',
      'us-a/preferred',
      'us-b/preferred',
    ]);
  });
});

describe('chooseBackend, IN_FLIGHT', () => {
  it('fills preferred endpoints up to maxInFlightRequestsPerEndpoint, least loaded first', () => {
    expect(
      pick(
        [b('us-a', 'us-east4', 0, 2), b('us-b', 'us-east4', 0, 1), b('eu-a', 'europe-west3', 0, 0)],
        inFlight(),
      ),
    ).toBe('us-b/preferred');
  });

  it('ignores the custom metric', () => {
    expect(pick([b('us-a', 'us-east4', 1, 0), b('eu-a', 'europe-west3', 0, 0)], inFlight())).toBe(
      'us-a/preferred',
    );
  });

  it('spills once every preferred endpoint is at its limit', () => {
    expect(
      pick(
        [b('us-a', 'us-east4', 0, 3), b('us-b', 'us-east4', 0, 3), b('eu-a', 'europe-west3', 0, 2)],
        inFlight(),
      ),
    ).toBe('eu-a/spillover');
  });

  it('never exceeds the limit: no choice when every endpoint is full', () => {
    expect(
      chooseBackend([b('us-a', 'us-east4', 0, 3), b('eu-a', 'europe-west3', 0, 3)], inFlight()),
    ).toBeUndefined();
  });
});
