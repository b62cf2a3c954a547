import type { DesiredState, Resource, Spec } from '@spillway/shared';

/** A short account of a spec, for `validate`. */
export function describeSpec(spec: Spec): string[] {
  const lines: string[] = [];
  for (const p of spec.platforms) {
    const clusters = p.clusters.map(
      (c) => `${c.name} (${c.location}${c.configCluster ? ', config cluster' : ''})`,
    );
    const role = p.reference ? ' (read-only: --platform)' : '';
    lines.push(`platform ${p.name}${role} in project ${p.projectId}: ${clusters.join(', ')}`);
  }
  for (const s of spec.services) {
    const mode =
      s.balancing.mode === 'CUSTOM_METRICS'
        ? `spills over at ${s.balancing.maxUtilizationPercent}% KV-cache`
        : `at most ${s.balancing.maxInFlightRequestsPerEndpoint} requests in flight per endpoint`;
    const preferred = s.balancing.preferredRegions.length
      ? `, prefers ${s.balancing.preferredRegions.join(', ')}`
      : '';
    lines.push(
      `service ${s.namespace}/${s.name} on ${s.platform.name}: ${s.model.id} in ${s.regions.join(', ')}${preferred}, ${mode}`,
    );
  }
  return lines;
}

/** What would be created, grouped as a person reads it: Google Cloud first, then per cluster. */
export function describeState(state: DesiredState): string[] {
  const lines: string[] = [];
  const gcp = state.resources.filter((r) => r.type !== 'kubernetes.object');
  const apis = gcp.filter((r) => r.type === 'serviceusage.service');
  lines.push('Google Cloud');
  if (apis.length) lines.push(`  + enable ${apis.length} APIs`);
  for (const r of gcp.filter((r) => r.type !== 'serviceusage.service')) lines.push(`  + ${r.title}`);
  const byCluster = new Map<string, Map<string, number>>();
  for (const r of state.resources) {
    if (r.type !== 'kubernetes.object') continue;
    const bundles = byCluster.get(r.cluster) ?? new Map<string, number>();
    bundles.set(r.bundle, (bundles.get(r.bundle) ?? 0) + 1);
    byCluster.set(r.cluster, bundles);
  }
  lines.push('Kubernetes (server-side apply, field manager spillway)');
  for (const [cluster, bundles] of byCluster) {
    const total = [...bundles.values()].reduce((a, b) => a + b, 0);
    const parts = [...bundles].map(([b, n]) => `${b} ${n}`).join(', ');
    lines.push(`  + ${cluster}: ${total} objects (${parts})`);
  }
  lines.push(`${state.resources.length} resources in all`);
  return lines;
}

export function resourceSummary(r: Resource) {
  return { id: r.id, type: r.type, title: r.title, dependsOn: r.dependsOn };
}
