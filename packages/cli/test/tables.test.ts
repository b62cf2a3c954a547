import { describe, expect, it } from '@jest/globals';
import type { HealthReport, RegionHealth } from '@spillway/shared';
import { healthTable } from '../src/health-commands.js';

const region = (over: Partial<RegionHealth>): RegionHealth => ({
  service: 'food-review',
  region: 'us-east4',
  cluster: 'gke-east',
  preferred: false,
  state: 'healthy',
  checks: [],
  modelServers: { ready: 2, desired: 2 },
  utilization: 0.42,
  threshold: 0.8,
  gatewayAddress: '10.0.0.7',
  ...over,
});

describe('the status table', () => {
  it('sizes its columns from their content: a long region or cluster never shifts the others', () => {
    const report: HealthReport = {
      ok: true,
      checkedAt: '2025-01-01T00:00:00Z',
      regions: [
        region({ preferred: true }),
        region({
          region: 'northamerica-northeast1',
          cluster: 'gke-northamerica-northeast1-inference',
          gatewayAddress: '10.0.0.8',
        }),
      ],
    };
    const [header, ...rows] = healthTable(report, false).split('\n').slice(0, 3);
    const columns = ['REGION', 'CLUSTER', 'STATE', 'SERVERS', 'KV-CACHE', 'ADDRESS'];
    const cells = [
      ['us-east4', 'gke-east', '✔ healthy', '2/2', '42% / 80%', '10.0.0.7'],
      [
        'northamerica-northeast1',
        'gke-northamerica-northeast1-inference',
        '✔ healthy',
        '2/2',
        '42% / 80%',
        '10.0.0.8',
      ],
    ];
    rows.forEach((row, i) =>
      expect(cells[i]!.map((cell) => row!.indexOf(` ${cell}`) + 1)).toEqual(
        columns.map((c) => header!.indexOf(c)),
      ),
    );
    expect(rows.every((row) => !row!.endsWith(' '))).toBe(true);
  });
});

describe('the EXTENSION column', () => {
  const check = (detail: string) => ({ name: 'inference extension', ok: !detail.includes('drift'), detail });

  it('shows the release each region runs, and the spec’s beside it on drift', () => {
    const report: HealthReport = {
      ok: false,
      checkedAt: '2025-01-01T00:00:00Z',
      regions: [
        region({ checks: [check('v1.5.0, as the spec says; endpoint picker ready')] }),
        region({
          region: 'europe-west3',
          state: 'degraded',
          checks: [check('v1.0.1 runs, the spec says v1.5.0 (drift) — run plan, then apply')],
        }),
        region({ region: 'us-central1', checks: [] }),
      ],
    };
    const [header, east, west, central] = healthTable(report, false).split('\n');
    const at = header!.indexOf('EXTENSION');
    expect(at).toBeGreaterThan(0);
    expect(east!.slice(at).split(/\s{2,}/)[0]).toBe('v1.5.0');
    expect(west!.slice(at).split(/\s{2,}/)[0]).toBe('v1.0.1 (spec v1.5.0)');
    expect(central!.slice(at).split(/\s{2,}/)[0]).toBe('–');
  });
});

describe('the CAPACITY column', () => {
  it('is there only when a region runs on a ComputeClass, with the tier and the tiers found unavailable', () => {
    const plain: HealthReport = { ok: true, checkedAt: '2025-01-01T00:00:00Z', regions: [region({})] };
    expect(healthTable(plain, false).split('\n')[0]).not.toContain('CAPACITY');

    const stockout = {
      tier: 'reservation' as const,
      reason: 'FailedScaleUp',
      message:
        'Node scale up for ComputeClass h100-2 failed at priority 0 (reservation h100-block): GCE_STOCKOUT',
      at: '2025-01-01T00:00:00Z',
    };
    const report: HealthReport = {
      ok: true,
      checkedAt: '2025-01-01T00:00:00Z',
      regions: [
        region({ capacity: { computeClass: 'h100-2', tiers: { 'on-demand': 2 }, unavailable: [stockout] } }),
        region({
          region: 'europe-west3',
          capacity: { computeClass: 'h100-2', tiers: { reservation: 2 }, unavailable: [] },
        }),
        region({
          region: 'us-central1',
          capacity: { computeClass: 'h100-2', tiers: { spot: 1, 'flex-start': 1 }, unavailable: [] },
        }),
      ],
    };
    const [header, east, west, central] = healthTable(report, false).split('\n');
    const at = header!.indexOf('CAPACITY');
    const cell = (row: string) => row.slice(at).split(/\s{2,}/)[0];
    expect(at).toBeGreaterThan(header!.indexOf('SERVERS'));
    expect(cell(east!)).toBe('on-demand (reservation unavailable)');
    expect(cell(west!)).toBe('reservation');
    expect(cell(central!)).toBe('flex-start 1 + spot 1');
  });
});
