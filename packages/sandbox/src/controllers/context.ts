import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import type { GkeModel } from '../gke/index.js';
import type { GoogleApis } from '../google/index.js';
import type { KubeApiServer, KubeObject } from '../kube/index.js';

/** What every controller sees: the simulated clouds and the API server of each running cluster. */
export interface ControllerContext {
  clock: Clock;
  faults: Faults;
  gke: GkeModel;
  google: GoogleApis;
  /** By `project/location/name`. */
  kube: Map<string, KubeApiServer>;
  /** How the simulated vLLM replicas behave (KV-cache size in sequences, service time). */
  modelServers?: { capacity?: number; secondsPerRequest?: number };
  /** Whether the gateways name the serving region in a response header (false: as GKE, none). */
  regionHeader?: boolean;
}

export interface ClusterRef {
  key: string;
  project: string;
  location: string;
  name: string;
  region: string;
  server: KubeApiServer;
}

export function clusterRefs(ctx: ControllerContext): ClusterRef[] {
  return [...ctx.kube.entries()].map(([key, server]) => {
    const [project, location, name] = key.split('/') as [string, string, string];
    return { key, project, location, name, region: server.region, server };
  });
}

/** A Deployment's pod template labels match a selector's matchLabels. */
export function matches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export const condition = (type: string, ok: boolean, reason: string, message: string, now: string) => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
  lastTransitionTime: now,
});

export function containerOf(deployment: KubeObject): any {
  return deployment.spec?.template?.spec?.containers?.[0] ?? {};
}
