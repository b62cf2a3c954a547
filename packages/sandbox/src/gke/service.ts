import type { FaultDecision } from '../faults.js';
import { GkeError, type GkeModel } from './model.js';
import { serverConfigFor } from './server-config.js';
import { need, parseTarget } from './names.js';

/**
 * The ClusterManager methods the sandbox serves, by their gRPC names, over request objects in
 * proto3 JSON. Both the gRPC server and the REST paths call these.
 */
export type Method = (req: any, fault: FaultDecision) => unknown | Promise<unknown>;

export function clusterManagerMethods(model: GkeModel): Record<string, Method> {
  const pool = (req: any) => {
    const t = parseTarget(req);
    return { t, cluster: need(t, 'cluster'), nodePool: need(t, 'nodePool') };
  };
  return {
    ListClusters: (req) => {
      const t = parseTarget(req);
      return { clusters: model.listClusters(t.project, t.location), missingZones: [] };
    },
    GetCluster: (req) => {
      const t = parseTarget(req);
      return model.getCluster(t.project, t.location, need(t, 'cluster'));
    },
    CreateCluster: (req, fault) => {
      const t = parseTarget(req);
      return model.createCluster(t.project, t.location, req.cluster, fault);
    },
    DeleteCluster: (req, fault) => {
      const t = parseTarget(req);
      return model.deleteCluster(t.project, t.location, need(t, 'cluster'), fault);
    },
    UpdateCluster: (req, fault) => {
      const t = parseTarget(req);
      return model.updateCluster(t.project, t.location, need(t, 'cluster'), req.update, fault);
    },
    ListNodePools: (req) => {
      const t = parseTarget(req);
      return { nodePools: model.getCluster(t.project, t.location, need(t, 'cluster')).nodePools };
    },
    GetNodePool: (req) => {
      const { t, cluster, nodePool } = pool(req);
      return model.getNodePool(t.project, t.location, cluster, nodePool);
    },
    CreateNodePool: (req, fault) => {
      const t = parseTarget(req);
      return model.createNodePool(t.project, t.location, need(t, 'cluster'), req.nodePool, fault);
    },
    DeleteNodePool: (req, fault) => {
      const { t, cluster, nodePool } = pool(req);
      return model.deleteNodePool(t.project, t.location, cluster, nodePool, fault);
    },
    SetNodePoolAutoscaling: (req, fault) => {
      const { t, cluster, nodePool } = pool(req);
      return model.updateNodePool(
        t.project,
        t.location,
        cluster,
        nodePool,
        (p) => (p.autoscaling = req.autoscaling),
        fault,
      );
    },
    SetNodePoolSize: (req, fault) => {
      const { t, cluster, nodePool } = pool(req);
      if (typeof req.nodeCount !== 'number') throw new GkeError('INVALID_ARGUMENT', 'nodeCount must be set.');
      return model.updateNodePool(
        t.project,
        t.location,
        cluster,
        nodePool,
        (p) => (p.currentNodeCount = req.nodeCount),
        fault,
        'SET_NODE_POOL_SIZE',
      );
    },
    UpdateNodePool: (req, fault) => {
      const { t, cluster, nodePool } = pool(req);
      const { name: _n, projectId: _p, zone: _z, clusterId: _c, nodePoolId: _np, ...fields } = req;
      return model.updateNodePool(
        t.project,
        t.location,
        cluster,
        nodePool,
        (p) => applyNodePoolUpdate(p, fields),
        fault,
      );
    },
    GetOperation: (req) => {
      const t = parseTarget(req);
      return model.getOperation(t.project, t.location, need(t, 'operation'));
    },
    ListOperations: (req) => {
      const t = parseTarget(req);
      return { operations: model.listOperations(t.project, t.location), missingZones: [] };
    },
    GetServerConfig: (req) => serverConfigFor(model.state, parseTarget(req).location),
  };
}

/** UpdateNodePoolRequest carries the fields to change at the top level; the sandbox keeps the ones it models. */
function applyNodePoolUpdate(pool: any, fields: Record<string, unknown>) {
  const configFields = [
    'labels',
    'resourceLabels',
    'taints',
    'workloadMetadataConfig',
    'machineType',
    'diskType',
    'diskSizeGb',
  ];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (field === 'nodeVersion') pool.version = value;
    else if (field === 'locations') pool.locations = value;
    else if (configFields.includes(field)) pool.config = { ...pool.config, [field]: value };
  }
}
