import { podRefusal } from '../kube/admission.js';
import type { KubeObject, ObjectStore } from '../kube/index.js';

/**
 * A Deployment whose pods admission refuses: its ReplicaSet creates none (FailedCreate), the
 * replicas already running stay, and the Deployment says why, as Kubernetes reports it.
 * Returns whether the Deployment's pods are refused.
 */
export function refusedAtAdmission(store: ObjectStore, deployment: KubeObject, running: number): boolean {
  const refusal = podRefusal(store, deployment);
  if (!refusal) return false;
  const status = {
    observedGeneration: deployment.metadata.generation,
    replicas: running,
    updatedReplicas: running,
    readyReplicas: running,
    availableReplicas: running,
    conditions: [
      {
        type: 'Available',
        status: running > 0 ? 'True' : 'False',
        reason: running > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: `pods are refused at admission: ${refusal}`,
      },
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: refusal },
    ],
  };
  const same = JSON.stringify(deployment.status?.conditions) === JSON.stringify(status.conditions);
  if (!same || deployment.status?.readyReplicas !== running)
    store.patchStatus(
      'apps/v1',
      'Deployment',
      deployment.metadata.namespace,
      deployment.metadata.name,
      status,
    );
  return true;
}
