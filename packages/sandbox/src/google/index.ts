/**
 * The Google REST APIs of the sandbox other than GKE itself, each on its own port, reached as
 * CONTRACT.md §3 says (`<API>_EMULATOR_HOST=host:port`) or from gcloud through
 * `api_endpoint_overrides/<api>` (see gcloudEndpointOverrides).
 */
import type { RestServer } from '../rest.js';
import { startApi, type ApiDeps } from './common.js';
import { computeApi, type ComputeOptions, type ComputeState } from './compute.js';
import { gkeHubApi, type GkeHubOptions, type GkeHubState } from './gkehub.js';
import { monitoringApi, type MonitoringApi, type MonitoringOptions } from './monitoring.js';
import {
  ensureProject,
  resourceManagerApi,
  type ResourceManagerOptions,
  type ResourceManagerState,
} from './resourcemanager.js';
import { serviceUsageApi, type ServiceUsageOptions, type ServiceUsageState } from './serviceusage.js';

export * from './common.js';
export * from './compute.js';
export * from './gkehub.js';
export * from './monitoring.js';
export * from './resourcemanager.js';
export * from './serviceusage.js';
export { parseQuery, evaluate } from './promql.js';

export type GoogleApiName = 'gkehub' | 'compute' | 'cloudresourcemanager' | 'serviceusage' | 'monitoring';

/** Everything to persist: plain data, one object per API. */
export interface GoogleStates {
  gkehub: GkeHubState;
  compute: ComputeState;
  cloudresourcemanager: ResourceManagerState;
  serviceusage: ServiceUsageState;
}

export interface GoogleApisOptions extends ApiDeps {
  /** Saved states to resume from. */
  states?: Partial<GoogleStates>;
  gkehub?: Omit<GkeHubOptions, 'state'>;
  compute?: Omit<ComputeOptions, 'state'>;
  cloudresourcemanager?: Omit<ResourceManagerOptions, 'state'>;
  serviceusage?: Omit<ServiceUsageOptions, 'state' | 'projectNumber'>;
  monitoring?: MonitoringOptions;
  ports?: Partial<Record<GoogleApiName, number>>;
}

export interface GoogleApis {
  servers: Record<GoogleApiName, RestServer>;
  states: GoogleStates;
  monitoring: MonitoringApi;
  /** `GKEHUB_EMULATOR_HOST` … `MONITORING_EMULATOR_HOST` → host:port. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startGoogleApis(options: GoogleApisOptions): Promise<GoogleApis> {
  const deps = { clock: options.clock, faults: options.faults };
  const rm = resourceManagerApi(deps, {
    ...options.cloudresourcemanager,
    state: options.states?.cloudresourcemanager,
  });
  const projectNumber = (id: string) =>
    ensureProject(rm.state, id, options.cloudresourcemanager).projectNumber;
  const apis = {
    gkehub: gkeHubApi(deps, { ...options.gkehub, state: options.states?.gkehub }),
    compute: computeApi(deps, { ...options.compute, state: options.states?.compute }),
    cloudresourcemanager: rm,
    serviceusage: serviceUsageApi(deps, {
      ...options.serviceusage,
      state: options.states?.serviceusage,
      projectNumber,
    }),
    monitoring: monitoringApi(deps, options.monitoring),
  };
  const names = Object.keys(apis) as GoogleApiName[];
  const started = await Promise.all(
    names.map((name) => startApi<unknown>(apis[name], options.ports?.[name])),
  );
  const servers = Object.fromEntries(names.map((name, i) => [name, started[i]!])) as Record<
    GoogleApiName,
    RestServer
  >;
  return {
    servers,
    states: {
      gkehub: apis.gkehub.state,
      compute: apis.compute.state,
      cloudresourcemanager: rm.state,
      serviceusage: apis.serviceusage.state,
    },
    monitoring: apis.monitoring,
    env: Object.fromEntries(names.map((name) => [`${name.toUpperCase()}_EMULATOR_HOST`, servers[name].host])),
    close: async () => void (await Promise.all(started.map((s) => s.close()))),
  };
}

/**
 * gcloud's `api_endpoint_overrides/<api>` values for the servers: the base URL its generated
 * clients put in front of a method's relative path (compute's ends in /compute/v1/, the others
 * are the host root). Tried with gcloud 528 in test/google-gcloud.test.ts.
 */
export function gcloudEndpointOverrides(servers: Record<GoogleApiName, RestServer>): Record<string, string> {
  return {
    compute: `${servers.compute.url}/compute/v1/`,
    gkehub: `${servers.gkehub.url}/`,
    cloudresourcemanager: `${servers.cloudresourcemanager.url}/`,
    serviceusage: `${servers.serviceusage.url}/`,
    monitoring: `${servers.monitoring.url}/`,
  };
}
