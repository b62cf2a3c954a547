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
