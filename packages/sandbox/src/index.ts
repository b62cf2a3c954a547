export { startSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';
export { Clock } from './clock.js';
export { DEFAULT_GKE_DURATIONS, setOfferedVersions } from './gke/index.js';
export {
  addReservation,
  setAcceleratorTypes,
  setProjectQuota,
  setRegionQuota,
  type SeedReservation,
} from './google/compute.js';
export { withholdPermissions } from './google/resourcemanager.js';
export {
  Faults,
  isMutatingCall,
  type FaultPlan,
  type FaultRule,
  type ApiName,
  type QuotaFault,
  type RateLimitFault,
  type ConcurrentOperationsFault,
} from './faults.js';
export { SANDBOX_TOKEN, kubeconfigYaml, gcloudConfiguration, type ClusterAccess } from './client-config.js';
export { BACKEND_REGION_HEADER, runLoad, type LoadOptions, type LoadResult } from './dataplane/index.js';
export { GATEWAY_CLASS } from './controllers/gateways.js';
