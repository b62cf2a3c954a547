import type { Spec } from '../spec/model.js';
import { renderDesiredState } from '../render/index.js';
import type { ClusterResource, DesiredState, KubeObjectResource } from '../render/graph.js';
import type { Cloud } from '../cloud/clients.js';
import { clusterClient } from './kube-handler.js';
import { findOrphans } from './orphans.js';
import type { ProgressListener } from './events.js';
import { apply, destroy, plan, type ApplyResult, type PlanEntry } from './run.js';
import { engineContext, type EngineContext, type Timing } from './types.js';
import { withRetries } from './retry.js';
import { acquireClaims, defaultHolder } from './lease.js';
import { Reporter } from './reporter.js';
import { preflightGate, type PreflightCheck } from '../preflight/index.js';

/** What plan, apply and destroy need from their caller (a face). */
export interface EngineOptions {
  cloud: Cloud;
  timing: Timing;
  onEvent?: ProgressListener;
  /** Where `fromEnv` token sources are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** required (apply): a missing token stops the run; ifAvailable (read-only uses): Secrets are compared without their value. */
  secrets?: 'required' | 'ifAvailable';
  /** Who this run is, shown to a run that waits for it (default: user@host pid, or the GitHub run). */
  holder?: string;
  /** false: skip the preflight checks (a read-only use that reports drift, not readiness). Default true. */
  preflight?: boolean;
}

/** Preflight first (CONTRACT.md §1b): a certain failure throws before any mutating call; the warnings are kept. */
function preflightFirst(spec: Spec, options: EngineOptions): Promise<PreflightCheck[]> {
  return options.preflight === false ? Promise.resolve([]) : preflightGate(spec, options);
}

/** What a changing run (apply, destroy) may be allowed beyond the spec. */
export interface ChangeOptions {
  /** Go ahead with the deletes that cost GPUs and data: a resource replaced, a cluster or node pool dropped (--yes). */
  allowReplace?: boolean;
  /** Delete a platform's clusters although services outside this spec still run there (--allow-in-use). */
  allowInUse?: boolean;
}

export class SecretUnavailableError extends Error {}

/** Reads every secret the desired state needs, before anything else is read or written. */
async function resolveSecrets(
  state: DesiredState,
  cloud: Cloud,
  env: NodeJS.ProcessEnv,
  mode: 'required' | 'ifAvailable' = 'required',
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const r of state.resources) {
    if (r.type !== 'kubernetes.object' || !r.secretSource) continue;
    if (mode === 'ifAvailable') {
      const one = await resolveSecrets({ resources: [r] }, cloud, env).catch(() => new Map<string, string>());
      for (const [id, value] of one) values.set(id, value);
      continue;
    }
    const source = r.secretSource.source;
    if ('fromEnv' in source) {
      const value = env[source.fromEnv];
      if (!value) {
        throw new SecretUnavailableError(
          `${source.fromEnv} is not set: export the Hugging Face token as ${source.fromEnv} (spec.model.huggingFaceToken.fromEnv), or use secretManager`,
        );
      }
      values.set(r.id, value);
    } else {
      try {
        const version = await cloud
          .rest('secretmanager')
          .request('GET', `/v1/${source.secretManager}:access`);
        values.set(r.id, Buffer.from(version.payload.data, 'base64').toString('utf8'));
      } catch (error) {
        throw new SecretUnavailableError(
          `cannot read ${source.secretManager} from Secret Manager (${(error as Error).message.split('\n')[0]}): check the name and that the credentials may access it (roles/secretmanager.secretAccessor)`,
        );
      }
    }
  }
  return values;
}

/** Replaces every secret value in a text; the last line of defence for logs, events and errors. */
export function redactor(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set(secrets)].filter((s) => s.length >= 4);
  return (text) => values.reduce((t, v) => t.split(v).join('***'), text);
}

async function context(spec: Spec, options: EngineOptions, state: DesiredState) {
  const secretValues = await resolveSecrets(
    state,
    options.cloud,
    options.env ?? process.env,
    options.secrets,
  );
  const ctx = engineContext(spec, options.cloud, secretValues);
  const redact = redactor(secretValues.values());
  const onEvent: ProgressListener | undefined =
    options.onEvent && ((e) => options.onEvent!({ ...e, ...(e.detail ? { detail: redact(e.detail) } : {}) }));
  return { ctx, redact, onEvent };
}

export interface PlanReport {
  resources: PlanEntry[];
  /** Preflight's warnings: what might stop the apply, or could not be checked. */
  preflight?: PreflightCheck[];
}

/** The plan as CONTRACT.md §5 promises it (`plan --output json`, the actions' `plan` output). */
export function planJson(report: PlanReport): {
  resources: Pick<PlanEntry, 'id' | 'kind' | 'action' | 'reason'>[];
} {
  return {
    resources: report.resources.map(({ id, kind, action, reason }) => ({ id, kind, action, reason })),
  };
}

export async function planSpec(spec: Spec, options: EngineOptions): Promise<PlanReport> {
  const state = renderDesiredState(spec);
  const { ctx, redact, onEvent } = await context(spec, options, state);
  const preflight = await preflightFirst(spec, options);
  const resources = await plan(state, ctx, {
    timing: options.timing,
    findOrphans: () => findOrphans(spec, state, ctx, (read) => readAll(read, options.timing)),
    ...(onEvent ? { onEvent } : {}),
  });
  return { resources: resources.map((r) => ({ ...r, reason: redact(r.reason) })), preflight };
}

export interface ApplyReport extends ApplyResult {
  gateway: { addresses: Record<string, string> };
  /** Preflight's warnings (a certain failure stops the apply before it changes anything). */
  preflight?: PreflightCheck[];
}

export async function applySpec(spec: Spec, options: EngineOptions & ChangeOptions): Promise<ApplyReport> {
  const state = renderDesiredState(spec);
  const { ctx, redact, onEvent } = await context(spec, options, state);
  const preflight = await preflightFirst(spec, options);
  const claims = await acquireClaims(
    spec,
    ctx,
    options.timing,
    new Reporter(options.timing.clock, onEvent),
    options.holder ?? `${defaultHolder()} run ${ctx.requestId('', 'run').slice(0, 8)}`,
  );
  try {
    const result = await apply(state, ctx, {
      timing: options.timing,
      allowReplace: !!options.allowReplace,
      findOrphans: () => findOrphans(spec, state, ctx, (read) => readAll(read, options.timing)),
      beforeChanges: async (orphans) => {
        const goneClusters = orphans.filter((o): o is ClusterResource => o.type === 'container.cluster');
        if (!goneClusters.length || options.allowInUse) return;
        const users = await readAll(() => servicesStillUsing(spec, ctx, goneClusters), options.timing);
        if (users.length)
          throw new PlatformInUseError(
            `the spec drops cluster(s) ${goneClusters.map((c) => c.name).join(', ')}, where service(s) ${users.join(', ')} outside this spec still run: move or destroy them first, or pass --allow-in-use to delete the clusters anyway. Nothing was changed`,
          );
      },
      ...(onEvent ? { onEvent } : {}),
    });
    const addresses = result.converged
      ? await readAll(() => gatewayAddresses(state, ctx), options.timing)
      : {};
    return {
      ...result,
      ...(result.refused ? { refused: redact(result.refused) } : {}),
      resources: result.resources.map((r) => ({
        ...r,
        reason: redact(r.reason),
        ...(r.error ? { error: redact(r.error) } : {}),
      })),
      gateway: { addresses },
      preflight,
    };
  } finally {
    await claims.release();
  }
}

/** Destroy refuses a platform that services outside the spec still use. */
export class PlatformInUseError extends Error {}

/** Services (by the `spillway.dev/service` label of their pools) in these clusters that the spec does not have. */
async function servicesStillUsing(
  spec: Spec,
  ctx: EngineContext,
  clusters: { name: string; project: string; location: string }[],
): Promise<string[]> {
  const leaving = new Set(spec.services.map((s) => s.name));
  const found = new Set<string>();
  for (const cluster of clusters) {
    if (!ctx.clusters.has(cluster.name)) ctx.clusters.set(cluster.name, cluster);
    const client = await clusterClient(ctx, cluster.name);
    const pools =
      (await client?.list(
        'inference.networking.k8s.io/v1',
        'InferencePool',
        undefined,
        'app.kubernetes.io/managed-by=spillway',
      )) ?? [];
    for (const pool of pools) {
      const service = pool.metadata?.labels?.['spillway.dev/service'];
      if (service && !leaving.has(service)) found.add(`${service} (in ${cluster.name})`);
    }
  }
  return [...found].sort();
}

export async function destroySpec(spec: Spec, options: EngineOptions & ChangeOptions): Promise<ApplyResult> {
  const state = renderDesiredState(spec);
  // Destroy needs no secret values: it deletes, it does not write.
  const ctx = engineContext(spec, options.cloud);
  const claims = await acquireClaims(
    spec,
    ctx,
    options.timing,
    new Reporter(options.timing.clock, options.onEvent),
    options.holder ?? `${defaultHolder()} run ${ctx.requestId('', 'run').slice(0, 8)}`,
  );
  try {
    const owned = spec.platforms.filter((p) => !p.reference);
    if (owned.length && !options.allowInUse) {
      const clusters = owned.flatMap((p) => p.clusters.map((c) => ({ ...c, project: p.projectId })));
      const users = await readAll(() => servicesStillUsing(spec, ctx, clusters), options.timing);
      if (users.length) {
        throw new PlatformInUseError(
          `platform ${owned.map((p) => p.name).join(', ')} is still used by service(s) ${users.join(', ')}: destroy them first, or pass --allow-in-use to destroy the platform anyway. Nothing was changed`,
        );
      }
    }
    return await destroy(state, ctx, {
      timing: options.timing,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
  } finally {
    await claims.release();
  }
}

/** Whole-run reads (orphans, addresses) retried like any resource's read: they are idempotent. */
function readAll<T>(read: () => Promise<T>, timing: Timing): Promise<T> {
  return withRetries(read, timing, timing.clock.now() + 10 * 60_000);
}

/** Region → address of each Gateway, from its status in the config cluster. */
async function gatewayAddresses(state: DesiredState, ctx: EngineContext): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const gateways = state.resources.filter(
    (r): r is KubeObjectResource => r.type === 'kubernetes.object' && r.manifest.kind === 'Gateway',
  );
  for (const g of gateways) {
    const client = await clusterClient(ctx, g.cluster);
    const live = await client?.read({
      apiVersion: g.manifest.apiVersion,
      kind: 'Gateway',
      metadata: { name: g.manifest.metadata.name, namespace: g.manifest.metadata.namespace! },
    });
    const regions = ((g.manifest as any).spec.addresses as { type: string }[]).map((a) =>
      a.type.split('/').pop()!,
    );
    (live?.status?.addresses ?? []).forEach((a: { type: string; value: string }, i: number) => {
      const region = a.type.startsWith('networking.gke.io/ephemeral-ipv4-address/')
        ? a.type.split('/').pop()!
        : regions[i];
      if (region) out[region] = a.value;
    });
  }
  return out;
}

export type { ProgressEvent, ProgressListener, ResourceState } from './events.js';
export { contains } from './kube-handler.js';
export type { PlanEntry, ResourceResult, ApplyResult } from './run.js';
export { REAL_TIMING, EMULATOR_TIMING, type Timing, type Action } from './types.js';
export { systemClock, VirtualClock, type Clock } from './clock.js';
export { LockTimeoutError } from './lease.js';
export { PreflightFailedError } from '../preflight/index.js';
export { NotConverged } from './run.js';
