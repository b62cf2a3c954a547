import type { KubeManifest } from '../render/graph.js';
import { OperationFailed } from './operation-failed.js';

/**
 * Model servers on a ComputeClass get their nodes only once they ask for them, so apply waits for
 * one to be ready: that is when the capacity arrived. Pods that cannot be created (ReplicaFailure:
 * admission refused them) or a rollout that made no progress within its deadline (Progressing
 * False, ProgressDeadlineExceeded: every tier out, say) fail the run with the Deployment's own
 * account of why, instead of waiting out the engine's timeout.
 */
const COMPUTE_CLASS = 'cloud.google.com/compute-class';

export function selectedComputeClass(manifest: KubeManifest): string | undefined {
  if (manifest.kind !== 'Deployment') return undefined;
  return (manifest as any).spec?.template?.spec?.nodeSelector?.[COMPUTE_CLASS];
}

export function classServersReady(title: string, computeClass: string, live: any): boolean {
  if (Number(live?.status?.readyReplicas ?? 0) > 0) return true;
  const conditions: any[] = live?.status?.conditions ?? [];
  const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure)
    throw new OperationFailed(
      `${title}: its pods cannot be created (${replicaFailure.reason}): ${replicaFailure.message} — fix what refuses them, then run apply again`,
    );
  const progressing = conditions.find((c) => c.type === 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return false;
  const available = conditions.find((c) => c.type === 'Available')?.message;
  throw new OperationFailed(
    `${title}: no model server became ready on ComputeClass ${computeClass}: ${[available, progressing.message].filter(Boolean).join('; ')} — read the pods' events (spillway status shows the tiers tried), then wait for capacity or add a tier to the class`,
  );
}
