/** The simulated inference data plane (issue 3, "Data plane"). */
export {
  startModelServer,
  type KvCacheMetric,
  type ModelServer,
  type ModelServerOptions,
} from './model-server.js';
export {
  startGateway,
  BACKEND_REGION_HEADER,
  type BackendStatus,
  type Gateway,
  type GatewayOptions,
  type GatewayStats,
} from './gateway.js';
export {
  chooseBackend,
  hasRoom,
  loadOf,
  type BackendView,
  type BalancingPolicy,
  type Choice,
  type Tier,
} from './routing.js';
export {
  formatPrometheus,
  parsePrometheus,
  sampleValue,
  PROMETHEUS_CONTENT_TYPE,
  type MetricFamily,
  type MetricType,
  type Sample,
} from './metrics.js';
export { runLoad, percentile, LOAD_LIMITS, type LoadOptions, type LoadResult } from './load.js';
