/**
 * The one scheduler: runs a node once every node it comes after has settled, each API under a limit
 * of its own, as its quotas are its own (a burst of cheap object applies or subnets never holds back
 * a cluster on the critical path). Every waiting node is looked at again whenever anything settles,
 * and a run cannot hang: when nothing runs and nodes still wait, they fail naming what blocks them.
 */
export interface GraphNode {
  id: string;
  /** Nodes that must settle (done or skipped) before this one starts; ids outside the graph are met. */
  after: string[];
  /** The API whose limit it counts against: `kube`, or a Google API (`container`, `compute`, …). */
  pool: string;
}

export type Settled = 'done' | 'skipped' | 'failed';
export type Outcome = Settled | 'blocked';

export interface Limits {
  /** In flight at once per Google API. */
  cloud: number;
  /** In flight at once against Kubernetes API servers. */
  kube: number;
}

/** Why a node never started: a prerequisite failed, or it waits on something that can never settle. */
export interface Blocked {
  by: string;
  why: 'failed' | 'blocked' | 'cycle';
}

export function runGraph<N extends GraphNode>(
  nodes: N[],
  limits: Limits,
  work: (node: N) => Promise<Settled>,
  onBlocked: (node: N, blocked: Blocked) => void,
): Promise<Map<string, Outcome>> {
  const outcome = new Map<string, Outcome>();
  const ids = new Set(nodes.map((n) => n.id));
  const prerequisites = new Map(nodes.map((n) => [n.id, n.after.filter((a) => ids.has(a) && a !== n.id)]));
  const waiting = new Set(nodes.map((n) => n.id));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const running = new Map<string, number>();
  let inFlight = 0;
  const limitOf = (pool: string) => (pool === 'kube' ? limits.kube : limits.cloud);

  return new Promise((resolve) => {
    const settle = (node: N, result: Outcome) => {
      outcome.set(node.id, result);
      waiting.delete(node.id);
    };
    const pump = () => {
      let changed = true;
      // Blocking one node can block others: repeat until nothing moves.
      while (changed) {
        changed = false;
        for (const id of [...waiting]) {
          const node = byId.get(id)!;
          const before = prerequisites.get(id)!;
          const bad = before.find((p) => outcome.get(p) === 'failed' || outcome.get(p) === 'blocked');
          if (bad) {
            settle(node, 'blocked');
            onBlocked(node, { by: bad, why: outcome.get(bad) === 'failed' ? 'failed' : 'blocked' });
            changed = true;
            continue;
          }
          if ((running.get(node.pool) ?? 0) >= limitOf(node.pool)) continue;
          if (!before.every((p) => outcome.get(p) === 'done' || outcome.get(p) === 'skipped')) continue;
          waiting.delete(id);
          running.set(node.pool, (running.get(node.pool) ?? 0) + 1);
          inFlight++;
          work(node)
            .catch((): Settled => 'failed')
            .then((result) => {
              running.set(node.pool, running.get(node.pool)! - 1);
              inFlight--;
              settle(node, result);
              pump();
            });
        }
      }
      if (!waiting.size && inFlight === 0) return resolve(outcome);
      if (inFlight === 0) {
        // Nothing runs and nothing can start: what waits is in a cycle (or behind one).
        for (const id of [...waiting]) {
          const node = byId.get(id)!;
          const by = prerequisites.get(id)!.find((p) => waiting.has(p)) ?? id;
          settle(node, 'blocked');
          onBlocked(node, { by, why: 'cycle' });
        }
        resolve(outcome);
      }
    };
    pump();
  });
}

/** Deleting in dependency order: a resource goes once everything that needs it has gone. */
export function dependentsOf<R extends { id: string; dependsOn: string[] }>(
  resources: R[],
): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const r of resources)
    for (const d of r.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), r.id]);
  return dependents;
}

/**
 * Orders nodes so that, when slots are scarce, the one with the longest chain of work still behind
 * it starts first (list scheduling by critical path): a RoleBinding that an autoscaler waits for
 * is not queued behind thirty objects nothing waits for.
 */
export function criticalFirst<N extends GraphNode>(nodes: N[], weight: (node: N) => number): N[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const dependents = new Map<string, N[]>();
  for (const n of nodes)
    for (const a of n.after) if (byId.has(a)) dependents.set(a, [...(dependents.get(a) ?? []), n]);
  const remaining = new Map<string, number>();
  const visiting = new Set<string>();
  const rank = (n: N): number => {
    const known = remaining.get(n.id);
    if (known !== undefined) return known;
    if (visiting.has(n.id)) return weight(n); // a cycle: the scheduler reports it
    visiting.add(n.id);
    const value = weight(n) + Math.max(0, ...(dependents.get(n.id) ?? []).map(rank));
    visiting.delete(n.id);
    remaining.set(n.id, value);
    return value;
  };
  return nodes
    .map((n, i) => ({ n, i, r: rank(n) }))
    .sort((a, b) => b.r - a.r || a.i - b.i)
    .map(({ n }) => n);
}
