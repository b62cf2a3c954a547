import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Clock } from './clock.js';
import { Faults, type FaultPlan } from './faults.js';
import { startGke, type GkeDurations, type GkeServers } from './gke/index.js';
import {
  nodePoolUsage,
  gcloudEndpointOverrides,
  startGoogleApis,
  type GoogleApis,
  type GoogleApisOptions,
} from './google/index.js';
import { createCertificateAuthority, startKubeApiServer, type KubeApiServer } from './kube/index.js';
import { gcloudConfiguration, kubeconfigYaml, type ClusterAccess } from './client-config.js';
import { startControllers, type Controllers } from './controllers/index.js';

export interface SandboxOptions {
  /** Wall milliseconds per simulated second; the default 10 makes a 7-minute cluster creation take 4 s. */
  msPerSecond?: number;
  faults?: FaultPlan;
  gkeDurations?: Partial<GkeDurations>;
  maxConcurrentOperations?: number;
  google?: Omit<GoogleApisOptions, 'clock' | 'faults'>;
  /** ../shared/upstream: Kubernetes objects are checked against its schemas where present. */
  upstreamDir?: string;
  /** The simulated vLLM replicas: KV-cache capacity in concurrent sequences, simulated seconds per request. */
  modelServers?: { capacity?: number; secondsPerRequest?: number };
  /**
   * Whether the gateways name the serving region in a response header (default true). false: as
   * on GKE, which sends none; who served is then read from the model servers' request counters.
   */
  regionHeader?: boolean;
  /** Where `gcloud/`, `kubeconfig` and `state.json` are kept while the sandbox runs. */
  stateDir?: string;
}

export interface Sandbox {
  clock: Clock;
  faults: Faults;
  gke: GkeServers;
  google: GoogleApis;
  controllers: Controllers;
  /** The `<API>_EMULATOR_HOST` variables of CONTRACT.md §3. */
  env: Record<string, string>;
  /** The Kubernetes API server of each running cluster, by `project/location/name`. */
  kube: Map<string, KubeApiServer>;
  clusters(): ClusterAccess[];
  /** Writes a gcloud configuration directory and a kubeconfig for the running clusters. */
  writeClientConfig(dir: string): Promise<{ cloudsdkConfig: string; kubeconfig: string }>;
  close(): Promise<void>;
}

/** Google Cloud and Kubernetes on 127.0.0.1 (ARCHITECTURE.md, "The sandbox"). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = new Clock(options.msPerSecond ?? 10);
  const faults = new Faults(options.faults);
  const ca = createCertificateAuthority();
  const kube = new Map<string, KubeApiServer>();
  const key = (c: { project: string; location: string; name: string }) =>
    `${c.project}/${c.location}/${c.name}`;
  // The control planes call into the controllers, which start once GKE is up.
  const live: { controllers?: Controllers; gke?: GkeServers } = {};

  const google = await startGoogleApis({
    clock,
    faults,
    ...options.google,
    // Compute's regional usage counts the accelerators of the node pools GKE runs.
    compute: { ...options.google?.compute, usage: nodePoolUsage(() => live.gke?.model.state) },
  });
  const gke = await startGke({
    clock,
    faults,
    durations: options.gkeDurations,
    maxConcurrentOperations: options.maxConcurrentOperations,
    controlPlanes: {
      start: async (cluster) => {
        const server = await startKubeApiServer({
          cluster: cluster.name,
          region: cluster.region,
          ca,
          faults,
          clock,
          upstreamDir: options.upstreamDir,
        });
        kube.set(key(cluster), server);
        live.controllers?.clusterStarted(key(cluster));
        return { endpoint: server.endpoint, caCertBase64: server.caCertBase64 };
      },
      stop: async (cluster) => {
        const server = kube.get(key(cluster));
        kube.delete(key(cluster));
        live.controllers?.clusterStopped(key(cluster));
        await server?.close();
      },
    },
  });
  live.gke = gke;
  const controllers = startControllers({
    clock,
    faults,
    gke: gke.model,
    google,
    kube,
    modelServers: options.modelServers,
    regionHeader: options.regionHeader,
  });
  live.controllers = controllers;

  const env = { CONTAINER_EMULATOR_HOST: gke.grpcHost, ...google.env };
  const clusters = (): ClusterAccess[] =>
    Object.values(gke.model.state.clusters)
      .filter((c: any) => c.status === 'RUNNING' && c.endpoint)
      .map((c: any) => ({
        project: /projects\/([^/]+)\//.exec(c.selfLink)![1]!,
        location: c.location,
        name: c.name,
        endpoint: c.endpoint,
        caCertBase64: c.masterAuth.clusterCaCertificate,
      }));

  const writeClientConfig = async (dir: string) => {
    const cloudsdkConfig = join(dir, 'gcloud');
    await mkdir(join(cloudsdkConfig, 'configurations'), { recursive: true });
    await writeFile(join(cloudsdkConfig, 'active_config'), 'default');
    const endpoints = { ...gcloudEndpointOverrides(google.servers), container: `http://${gke.restHost}/` };
    const project = clusters()[0]?.project ?? 'sandbox-project';
    await writeFile(
      join(cloudsdkConfig, 'configurations', 'config_default'),
      gcloudConfiguration(project, endpoints),
    );
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(clusters()), { mode: 0o600 });
    return { cloudsdkConfig, kubeconfig };
  };

  let stateTimer: NodeJS.Timeout | undefined;
  if (options.stateDir) {
    const dir = options.stateDir;
    await mkdir(dir, { recursive: true });
    const flush = () =>
      Promise.all([
        writeFile(
          join(dir, 'state.json'),
          JSON.stringify({ gke: gke.model.state, google: google.states }, null, 1),
        ),
        writeClientConfig(dir),
      ]).catch(() => undefined);
    await flush();
    stateTimer = setInterval(flush, 1000);
    stateTimer.unref();
  }

  return {
    clock,
    faults,
    gke,
    google,
    controllers,
    env,
    kube,
    clusters,
    writeClientConfig,
    close: async () => {
      if (stateTimer) clearInterval(stateTimer);
      await controllers.close();
      await Promise.all([gke.close(), google.close(), ...[...kube.values()].map((k) => k.close())]);
    },
  };
}
