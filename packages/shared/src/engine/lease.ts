import { hostname, userInfo } from 'node:os';
import { isAlreadyExists, isRetryable, toCallError } from '../cloud/errors.js';
import type { KubeClient } from '../cloud/kube.js';
import type { KubeObjectResource } from '../render/graph.js';
import { FIELD_MANAGER } from '../render/labels.js';
import type { Spec } from '../spec/model.js';
import { clusterClient } from './kube-handler.js';
import type { Reporter } from './reporter.js';
import { failed, withRetries } from './retry.js';
import type { EngineContext, Timing } from './types.js';

/**
 * Two runs at once on one platform or service (two CI jobs, a person and a pipeline): the second
 * waits for the first, saying who holds it and since when, and gives up after a stated time. The
 * claim is the platform's own primitive, a coordination.k8s.io/v1 Lease in the config cluster,
 * renewed while the run lasts, so a killed run's claim expires. Before the config cluster exists
 * nothing can hold a claim: a first apply is not protected (GKE's one operation per cluster and the
 * engine's read-before-create keep two racing first applies from duplicating anything).
 */
export const LEASE_NAMESPACE = 'default';

export class LockTimeoutError extends Error {}

interface Claim {
  /** What is claimed, for messages: `platform inference-prod`. */
  what: string;
  name: string;
  client: KubeClient;
  resource: KubeObjectResource;
  /** When this run took it: renewals repeat it, so "since when" stays true for whoever waits. */
  acquiredAt?: number;
}

/** Who this run is, as a person reading "held by …" needs it. */
export function defaultHolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_RUN_ID)
    return `GitHub Actions ${env.GITHUB_REPOSITORY ?? ''} run ${env.GITHUB_RUN_ID} (${env.GITHUB_WORKFLOW ?? 'workflow'})`.trim();
  let user = 'someone';
  try {
    user = userInfo().username;
  } catch {
    // No user database (a bare container): the host and process still say who.
  }
  return `${user}@${hostname()} pid ${process.pid}`;
}

const micro = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

function leaseResource(cluster: string, name: string, what: string): KubeObjectResource {
  return {
    type: 'kubernetes.object',
    id: `lock/${cluster}/${name}`,
    dependsOn: [],
    owner: { platform: '' },
    title: `claim on ${what} (Lease ${LEASE_NAMESPACE}/${name} in ${cluster})`,
    cluster,
    bundle: 'locks',
    manifest: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: LEASE_NAMESPACE },
    },
  };
}

/** The Leases a run takes: each platform it owns and each service it has. */
async function claimsFor(
  spec: Spec,
  ctx: EngineContext,
  timing: Timing,
  reporter: Reporter,
): Promise<Claim[]> {
  const wanted: { what: string; name: string; configCluster: string }[] = [];
  for (const p of spec.platforms.filter((p) => !p.reference)) {
    const config = p.clusters.find((c) => c.configCluster)!;
    wanted.push({
      what: `platform ${p.name}`,
      name: `spillway-platform-${p.name}`,
      configCluster: config.name,
    });
  }
  for (const s of spec.services) {
    const config = s.platform.clusters.find((c) => c.configCluster)!;
    wanted.push({
      what: `service ${s.namespace}/${s.name}`,
      name: `spillway-service-${s.namespace}.${s.name}`,
      configCluster: config.name,
    });
  }
  const claims: Claim[] = [];
  for (const w of wanted) {
    const resource = leaseResource(w.configCluster, w.name, w.what);
    const client = await withRetries(
      () => clusterClient(ctx, w.configCluster),
      timing,
      timing.clock.now() + 60_000,
    ).catch(failed(`cannot reach config cluster ${w.configCluster} to claim ${w.what}`));
    if (!client) {
      reporter.emit(resource, 'skipped', {
        detail: `config cluster ${w.configCluster} does not run yet: this run cannot be protected from another at once`,
      });
      continue;
    }
    claims.push({ ...w, client, resource });
  }
  return claims;
}

/** A claim held by this run; `release` gives it back (and stops renewing). */
export interface HeldClaims {
  release(): Promise<void>;
}

/** Takes every claim the run needs, waiting (and saying for whom) while another run holds one. */
export async function acquireClaims(
  spec: Spec,
  ctx: EngineContext,
  timing: Timing,
  reporter: Reporter,
  holder: string,
): Promise<HeldClaims> {
  const claims = await claimsFor(spec, ctx, timing, reporter);
  const held: Claim[] = [];
  const stop = new AbortController();
  try {
    // Always in the same order, so two runs that need two claims cannot each hold one and wait.
    for (const claim of claims.sort((a, b) => a.name.localeCompare(b.name))) {
      await acquire(claim, timing, reporter, holder);
      held.push(claim);
    }
  } catch (error) {
    await releaseAll(held, holder, timing);
    throw error;
  }
  const renewing = renewLoop(held, timing, holder, stop.signal);
  return {
    async release() {
      stop.abort();
      await renewing;
      await releaseAll(held, holder, timing);
    },
  };
}

const leaseBody = (claim: Claim, holder: string, now: number, timing: Timing, extra: object = {}) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: {
    name: claim.name,
    namespace: LEASE_NAMESPACE,
    labels: { 'app.kubernetes.io/managed-by': 'spillway' },
    ...extra,
  },
  spec: {
    holderIdentity: holder,
    leaseDurationSeconds: Math.max(1, Math.ceil(timing.leaseDurationMs / 1000)),
    acquireTime: micro(claim.acquiredAt ?? now),
    renewTime: micro(now),
  },
});

const expiresAt = (lease: any) =>
  Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? 0) +
  Number(lease.spec?.leaseDurationSeconds ?? 0) * 1000;

async function acquire(claim: Claim, timing: Timing, reporter: Reporter, holder: string) {
  const clock = timing.clock;
  const deadline = clock.now() + timing.lockTimeoutMs;
  const retry = <T>(call: () => Promise<T>) => withRetries(call, timing, deadline);
  let lastSaid = '';
  for (;;) {
    const live = await retry(() =>
      claim.client.read({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: claim.name, namespace: LEASE_NAMESPACE },
      }),
    );
    const now = clock.now();
    const free = !live || !live.spec?.holderIdentity || expiresAt(live) < now;
    if (free) {
      try {
        if (!live) await retry(() => claim.client.create(leaseBody(claim, holder, now, timing)));
        else
          await retry(() =>
            claim.client.apply(
              leaseBody(claim, holder, now, timing, { resourceVersion: live.metadata.resourceVersion }),
              FIELD_MANAGER,
              true,
            ),
          );
        claim.acquiredAt = now;
        reporter.emit(claim.resource, 'done', {
          detail: live?.spec?.holderIdentity
            ? `taken over from ${live.spec.holderIdentity}, whose claim expired`
            : `held by ${holder}`,
        });
        return;
      } catch (error) {
        const e = toCallError(error);
        // Another run took it between our read and write: look again.
        if (!(isAlreadyExists(e) || e.status === 409)) throw error;
        continue;
      }
    }
    const since = live.spec.acquireTime ?? live.spec.renewTime;
    const said = `${claim.what} is being changed by ${live.spec.holderIdentity} since ${since}; waiting (up to ${Math.round(timing.lockTimeoutMs / 1000)} s)`;
    if (said !== lastSaid) reporter.emit(claim.resource, 'waiting', { detail: said });
    lastSaid = said;
    if (now >= deadline)
      throw new LockTimeoutError(
        `${claim.what} is being changed by ${live.spec.holderIdentity} since ${since}; gave up after waiting ${Math.round(timing.lockTimeoutMs / 1000)} s. ` +
          `Run again once it has finished; if that run was killed, its claim expires by ${new Date(expiresAt(live)).toISOString()}`,
      );
    await clock.sleep(Math.min(timing.pollIntervalMs * 4, Math.max(timing.pollIntervalMs, deadline - now)));
  }
}

async function renewLoop(held: Claim[], timing: Timing, holder: string, signal: AbortSignal) {
  const every = Math.max(1, Math.floor(timing.leaseDurationMs / 3));
  while (!signal.aborted) {
    await timing.clock.sleep(every, signal);
    if (signal.aborted) return;
    for (const claim of held) {
      // A missed renewal is tried again at the next tick; the claim outlasts two of them.
      await claim.client
        .apply(leaseBody(claim, holder, timing.clock.now(), timing), FIELD_MANAGER, true)
        .catch(() => undefined);
    }
  }
}

async function releaseAll(held: Claim[], holder: string, timing: Timing) {
  for (const claim of held) {
    const ref = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: claim.name, namespace: LEASE_NAMESPACE },
    };
    await withRetries(
      async () => {
        const live = await claim.client.read(ref);
        if (live?.spec?.holderIdentity === holder) await claim.client.delete(ref);
      },
      timing,
      timing.clock.now() + 30_000,
      undefined,
      // A cluster that no longer answers (destroy deleted it) holds no claim to give back.
      (e) => isRetryable(e) && !e.networkCode,
    ).catch(() => undefined);
  }
}
