import { ApiError, type RestRequest, type Route } from '../rest.js';
import { GkeError } from './model.js';
import type { Method } from './service.js';

const HTTP: Record<string, [number, string]> = {
  INVALID_ARGUMENT: [400, 'INVALID_ARGUMENT'],
  NOT_FOUND: [404, 'NOT_FOUND'],
  ALREADY_EXISTS: [409, 'ALREADY_EXISTS'],
  FAILED_PRECONDITION: [400, 'FAILED_PRECONDITION'],
  RESOURCE_EXHAUSTED: [429, 'RESOURCE_EXHAUSTED'],
  UNAVAILABLE: [503, 'UNAVAILABLE'],
  INTERNAL: [500, 'INTERNAL'],
  UNIMPLEMENTED: [501, 'UNIMPLEMENTED'],
};

/**
 * ClusterManager over REST, on the paths gcloud and the client's REST fallback use, so a person can
 * point `gcloud container` at the sandbox. The REST server applies the fault plan; its decision reaches the operation.
 */
export function clusterManagerRoutes(methods: Record<string, Method>): Route[] {
  const routes: Route[] = [];
  const call = (method: string) => async (req: RestRequest) => {
    const p = req.params;
    const base = `projects/${p.project}/locations/${p.location}`;
    const name = p.operation
      ? `${base}/operations/${p.operation}`
      : p.nodePool
        ? `${base}/clusters/${p.cluster}/nodePools/${p.nodePool}`
        : p.cluster
          ? `${base}/clusters/${p.cluster}`
          : undefined;
    const request = { ...(req.body ?? {}), ...(name ? { name } : { parent: base }) };
    try {
      return await methods[method]!(request, req.fault);
    } catch (error) {
      if (error instanceof GkeError) {
        const [code, status] = HTTP[error.status] ?? [500, 'INTERNAL'];
        throw new ApiError(code, error.message, status.toLowerCase(), status);
      }
      throw error;
    }
  };
  for (const scope of ['locations/{location}', 'zones/{location}']) {
    const base = `/v1/projects/{project}/${scope}`;
    const add = (method: string, path: string, rpc: string) =>
      routes.push({ method, path: base + path, name: rpc, handler: call(rpc) });
    add('GET', '/clusters', 'ListClusters');
    add('POST', '/clusters', 'CreateCluster');
    add('GET', '/clusters/{cluster}', 'GetCluster');
    add('PUT', '/clusters/{cluster}', 'UpdateCluster');
    add('DELETE', '/clusters/{cluster}', 'DeleteCluster');
    add('GET', '/clusters/{cluster}/nodePools', 'ListNodePools');
    add('POST', '/clusters/{cluster}/nodePools', 'CreateNodePool');
    add('GET', '/clusters/{cluster}/nodePools/{nodePool}', 'GetNodePool');
    add('DELETE', '/clusters/{cluster}/nodePools/{nodePool}', 'DeleteNodePool');
    add('PUT', '/clusters/{cluster}/nodePools/{nodePool}', 'UpdateNodePool');
    add('POST', '/clusters/{cluster}/nodePools/{nodePool}:setAutoscaling', 'SetNodePoolAutoscaling');
    add('POST', '/clusters/{cluster}/nodePools/{nodePool}:setSize', 'SetNodePoolSize');
    add('POST', '/clusters/{cluster}/nodePools/{nodePool}/autoscaling', 'SetNodePoolAutoscaling');
    add('POST', '/clusters/{cluster}/nodePools/{nodePool}/setSize', 'SetNodePoolSize');
    add('GET', '/operations', 'ListOperations');
    add('GET', '/operations/{operation}', 'GetOperation');
    add('GET', '/serverConfig', 'GetServerConfig');
  }
  return routes;
}
