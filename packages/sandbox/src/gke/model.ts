import type { Clock } from '../clock.js';
import type { FaultDecision } from '../faults.js';

/**
 * GKE's ClusterManager behaviour, shared by the gRPC and REST faces: clusters and node pools whose
 * changes run as operations of a configurable (simulated) duration, one mutating operation per
 * cluster at a time, and a per-project cap on concurrent operations. Objects are proto3 JSON
 * (camelCase, enums as strings), the shape both faces speak.
 */
export class GkeError extends Error {
  constructor(
    /** gRPC status name: NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, INVALID_ARGUMENT … */
    readonly status: GkeStatus,
    message: string,
  ) {
    super(message);
  }
}

export type GkeStatus =
  | 'INVALID_ARGUMENT'
  | 'UNIMPLEMENTED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface GkeDurations {
  /** Simulated seconds; Terraform's experience: clusters ~5–10 min, node pools ~3–5 min. */
  clusterCreate: number;
  clusterDelete: number;
  /** UpdateCluster (Gateway API, monitoring, Workload Identity, HPA profile …): a few minutes. */
  clusterUpdate: number;
  nodePoolCreate: number;
  nodePoolUpdate: number;
  nodePoolDelete: number;
}

export const DEFAULT_GKE_DURATIONS: GkeDurations = {
  clusterCreate: 420,
  clusterDelete: 240,
  clusterUpdate: 180,
  nodePoolCreate: 240,
  nodePoolUpdate: 60,
  nodePoolDelete: 120,
};

/** What a cluster's Kubernetes control plane needs from the outside (the kube API servers). */
export interface ControlPlanes {
  start(cluster: {
    project: string;
    location: string;
    name: string;
    region: string;
  }): Promise<{ endpoint: string; caCertBase64: string }>;
  stop(cluster: { project: string; location: string; name: string }): Promise<void>;
}

export interface GkeState {
  clusters: Record<string, any>;
  operations: Record<string, any>;
  nextOperation: number;
  /** GetServerConfig by location where it differs from SERVER_CONFIG (see server-config.ts). */
  serverConfigs?: Record<string, typeof SERVER_CONFIG>;
}

export const SERVER_CONFIG = {
  defaultClusterVersion: '1.34.1-gke.1127000',
  validMasterVersions: ['1.34.2-gke.1000000', '1.34.1-gke.1127000', '1.33.5-gke.1000000'],
  validNodeVersions: ['1.34.2-gke.1000000', '1.34.1-gke.1127000', '1.33.5-gke.1000000'],
  defaultImageType: 'COS_CONTAINERD',
  validImageTypes: ['COS_CONTAINERD', 'UBUNTU_CONTAINERD'],
  channels: ['RAPID', 'REGULAR', 'STABLE', 'EXTENDED'].map((channel) => ({
    channel,
    defaultVersion: '1.34.1-gke.1127000',
    validVersions: ['1.34.2-gke.1000000', '1.34.1-gke.1127000'],
  })),
};

const key = (project: string, location: string, name: string) => `${project}/${location}/${name}`;
const regionOf = (location: string) => location.replace(/-[a-z]$/, '');
const isZone = (location: string) => /-[a-z]$/.test(location);

export interface GkeDeps {
  clock: Clock;
  controlPlanes: ControlPlanes;
  durations?: Partial<GkeDurations>;
  /** Concurrent operations per project before 429 RESOURCE_EXHAUSTED (GKE's quota is in the tens). */
  maxConcurrentOperations?: number;
  state?: GkeState;
  onChange?: () => void;
}

export class GkeModel {
  readonly state: GkeState;
  readonly durations: GkeDurations;
  private readonly maxOps: number;

  constructor(private readonly deps: GkeDeps) {
    this.state = deps.state ?? { clusters: {}, operations: {}, nextOperation: 1 };
    this.durations = { ...DEFAULT_GKE_DURATIONS, ...deps.durations };
    this.maxOps = deps.maxConcurrentOperations ?? 20;
  }

  listClusters(project: string, location: string) {
    return Object.values(this.state.clusters).filter(
      (c) => c.selfLink.includes(`/projects/${project}/`) && (location === '-' || c.location === location),
    );
  }

  getCluster(project: string, location: string, name: string) {
    const cluster = this.state.clusters[key(project, location, name)];
    if (!cluster)
      throw new GkeError(
        'NOT_FOUND',
        `Not found: projects/${project}/locations/${location}/clusters/${name}.`,
      );
    return cluster;
  }

  getNodePool(project: string, location: string, clusterName: string, name: string) {
    const pool = this.getCluster(project, location, clusterName).nodePools.find((p: any) => p.name === name);
    if (!pool) {
      throw new GkeError(
        'NOT_FOUND',
        `Not found: projects/${project}/locations/${location}/clusters/${clusterName}/nodePools/${name}.`,
      );
    }
    return pool;
  }

  createCluster(project: string, location: string, body: any, fault: FaultDecision) {
    if (!body?.name) throw new GkeError('INVALID_ARGUMENT', 'Cluster.name must be set.');
    const id = key(project, location, body.name);
    if (this.state.clusters[id])
      throw new GkeError(
        'ALREADY_EXISTS',
        `Already exists: projects/${project}/locations/${location}/clusters/${body.name}.`,
      );
    this.checkProjectQuota(project);
    const selfLink = `https://container.googleapis.com/v1/projects/${project}/${isZone(location) ? 'zones' : 'locations'}/${location}/clusters/${body.name}`;
    const version = body.initialClusterVersion || SERVER_CONFIG.defaultClusterVersion;
    const pools = (body.nodePools ?? []).map((p: any) =>
      this.newNodePool(selfLink, location, p, version, 'PROVISIONING'),
    );
    const cluster = {
      ...body,
      nodePools: pools,
      location,
      zone: location,
      locations: isZone(location) ? [location] : [`${location}-a`, `${location}-b`, `${location}-c`],
      selfLink,
      id: `${this.state.nextOperation.toString(16).padStart(8, '0')}${body.name.length.toString(16)}`,
      status: 'PROVISIONING',
      currentMasterVersion: version,
      currentNodeVersion: version,
      initialClusterVersion: version,
      createTime: this.deps.clock.now().toISOString(),
      endpoint: '',
      masterAuth: { clusterCaCertificate: '' },
      network: body.network || 'default',
      subnetwork: body.subnetwork || 'default',
    };
    this.state.clusters[id] = cluster;
    // The control plane comes up during the operation, as GKE's does: its start is part of the
    // simulated duration, not added after it.
    const starting = fault.operationError
      ? undefined
      : this.deps.controlPlanes.start({ project, location, name: body.name, region: regionOf(location) });
    starting?.catch(() => undefined); // awaited (and reported) when the operation ends
    return this.startOperation(
      project,
      location,
      'CREATE_CLUSTER',
      selfLink,
      body.name,
      this.durations.clusterCreate,
      fault,
      async (failed) => {
        if (failed) {
          cluster.status = 'ERROR';
          cluster.statusMessage = failed.message;
          return;
        }
        const plane = await starting!;
        cluster.endpoint = plane.endpoint;
        cluster.masterAuth = { clusterCaCertificate: plane.caCertBase64 };
        cluster.status = 'RUNNING';
        for (const pool of cluster.nodePools) pool.status = 'RUNNING';
      },
    );
  }

  deleteCluster(project: string, location: string, name: string, fault: FaultDecision) {
    const cluster = this.getCluster(project, location, name);
    this.checkClusterIdle(project, location, name);
    this.checkProjectQuota(project);
    cluster.status = 'STOPPING';
    return this.startOperation(
      project,
      location,
      'DELETE_CLUSTER',
      cluster.selfLink,
      name,
      this.durations.clusterDelete,
      fault,
      async (failed) => {
        if (failed) {
          cluster.status = 'ERROR';
          return;
        }
        await this.deps.controlPlanes.stop({ project, location, name });
        delete this.state.clusters[key(project, location, name)];
      },
    );
  }

  createNodePool(project: string, location: string, clusterName: string, body: any, fault: FaultDecision) {
    const cluster = this.getCluster(project, location, clusterName);
    if (!body?.name) throw new GkeError('INVALID_ARGUMENT', 'NodePool.name must be set.');
    if (cluster.nodePools.some((p: any) => p.name === body.name)) {
      throw new GkeError(
        'ALREADY_EXISTS',
        `Already exists: projects/${project}/locations/${location}/clusters/${clusterName}/nodePools/${body.name}.`,
      );
    }
    if (cluster.status !== 'RUNNING') {
      throw new GkeError(
        'FAILED_PRECONDITION',
        `Cluster ${clusterName} is not running (status ${cluster.status}); try again later.`,
      );
    }
    this.checkClusterIdle(project, location, clusterName);
    this.checkProjectQuota(project);
    const pool = this.newNodePool(
      cluster.selfLink,
      location,
      body,
      cluster.currentNodeVersion,
      'PROVISIONING',
    );
    cluster.nodePools.push(pool);
    return this.startOperation(
      project,
      location,
      'CREATE_NODE_POOL',
      pool.selfLink,
      clusterName,
      this.durations.nodePoolCreate,
      fault,
      async (failed) => {
        if (failed) {
          pool.status = 'ERROR';
          pool.statusMessage = failed.message;
          return;
        }
        pool.status = 'RUNNING';
      },
    );
  }

  deleteNodePool(project: string, location: string, clusterName: string, name: string, fault: FaultDecision) {
    const cluster = this.getCluster(project, location, clusterName);
    const pool = this.getNodePool(project, location, clusterName, name);
    this.checkClusterIdle(project, location, clusterName);
    this.checkProjectQuota(project);
    pool.status = 'STOPPING';
    return this.startOperation(
      project,
      location,
      'DELETE_NODE_POOL',
      pool.selfLink,
      clusterName,
      this.durations.nodePoolDelete,
      fault,
      async (failed) => {
        if (failed) {
          pool.status = 'ERROR';
          return;
        }
        cluster.nodePools = cluster.nodePools.filter((p: any) => p !== pool);
      },
    );
  }

  /** SetNodePoolAutoscaling, SetNodePoolSize and UpdateNodePool: a change applied when the operation ends. */
  updateNodePool(
    project: string,
    location: string,
    clusterName: string,
    name: string,
    change: (pool: any) => void,
    fault: FaultDecision,
    type = 'UPDATE_CLUSTER',
  ) {
    const pool = this.getNodePool(project, location, clusterName, name);
    this.checkClusterIdle(project, location, clusterName);
    this.checkProjectQuota(project);
    pool.status = 'RECONCILING';
    return this.startOperation(
      project,
      location,
      type,
      pool.selfLink,
      clusterName,
      this.durations.nodePoolUpdate,
      fault,
      async (failed) => {
        pool.status = 'RUNNING';
        if (!failed) change(pool);
      },
    );
  }

  /**
   * UpdateCluster: one change (one `desired*` field of ClusterUpdate) per call, as GKE takes it; the
   * cluster is RECONCILING while the UPDATE_CLUSTER operation runs, and shows the change once it
   * is done (an injected operationError leaves the cluster as it was).
   */
  updateCluster(project: string, location: string, name: string, update: any, fault: FaultDecision) {
    const cluster = this.getCluster(project, location, name);
    const fields = updateFields(update);
    if (fields.length === 0) throw new GkeError('INVALID_ARGUMENT', 'Must specify a field to update.');
    if (fields.length > 1) {
      throw new GkeError(
        'INVALID_ARGUMENT',
        `Only one update can be applied at a time, but the request has ${fields.length}: ${fields.join(', ')}. Send one request per field.`,
      );
    }
    const field = fields[0]!;
    const change = clusterChange(field, update, cluster);
    if (!change) {
      throw new GkeError(
        'UNIMPLEMENTED',
        `ClusterUpdate.${field} is not modelled by the sandbox; it serves ${Object.keys(CLUSTER_UPDATES).join(', ')}.`,
      );
    }
    this.checkClusterIdle(project, location, name);
    if (cluster.status !== 'RUNNING') {
      throw new GkeError(
        'FAILED_PRECONDITION',
        `Cluster ${name} is not running (status ${cluster.status}); try again later.`,
      );
    }
    this.checkProjectQuota(project);
    cluster.status = 'RECONCILING';
    return this.startOperation(
      project,
      location,
      'UPDATE_CLUSTER',
      cluster.selfLink,
      name,
      this.durations.clusterUpdate,
      fault,
      async (failed) => {
        if (!failed) change();
        cluster.status = 'RUNNING';
      },
    );
  }

  getOperation(project: string, location: string, name: string) {
    const op = this.state.operations[`${project}/${location}/${name}`];
    if (!op)
      throw new GkeError(
        'NOT_FOUND',
        `Not found: projects/${project}/locations/${location}/operations/${name}.`,
      );
    return op.public;
  }

  listOperations(project: string, location: string) {
    return Object.entries(this.state.operations)
      .filter(
        ([k]) => k.startsWith(`${project}/`) && (location === '-' || k.startsWith(`${project}/${location}/`)),
      )
      .map(([, op]) => op.public);
  }

  private newNodePool(clusterLink: string, location: string, body: any, version: string, status: string) {
    return {
      ...body,
      config: { diskSizeGb: 100, diskType: 'pd-balanced', imageType: 'COS_CONTAINERD', ...body.config },
      locations: body.locations ?? (isZone(location) ? [location] : undefined),
      selfLink: `${clusterLink}/nodePools/${body.name}`,
      version,
      status,
      initialNodeCount: body.initialNodeCount ?? 3,
    };
  }

  private runningOperations(project: string, cluster?: string) {
    return Object.values(this.state.operations).filter(
      (op: any) =>
        op.project === project &&
        op.public.status !== 'DONE' &&
        (cluster === undefined || op.cluster === cluster),
    );
  }

  /** GKE runs one mutating operation per cluster; a second fails with FAILED_PRECONDITION. */
  private checkClusterIdle(project: string, location: string, cluster: string) {
    const running = this.runningOperations(project, `${location}/${cluster}`)[0] as any;
    if (running) {
      throw new GkeError(
        'FAILED_PRECONDITION',
        `Cluster is running incompatible operation ${running.public.name}. Please wait and try again.`,
      );
    }
  }

  private checkProjectQuota(project: string) {
    if (this.runningOperations(project).length >= this.maxOps) {
      throw new GkeError(
        'RESOURCE_EXHAUSTED',
        `Too many operations in progress in project ${project}; the limit is ${this.maxOps}.`,
      );
    }
  }

  private startOperation(
    project: string,
    location: string,
    operationType: string,
    targetLink: string,
    cluster: string,
    seconds: number,
    fault: FaultDecision,
    finish: (failed?: { code: string; message: string }) => Promise<void>,
  ) {
    const name = `operation-${Date.now()}-${(this.state.nextOperation++).toString(16).padStart(8, '0')}`;
    const op = {
      project,
      cluster: `${location}/${cluster}`,
      public: {
        name,
        zone: location,
        location,
        operationType,
        status: 'RUNNING',
        selfLink: `https://container.googleapis.com/v1/projects/${project}/locations/${location}/operations/${name}`,
        targetLink,
        startTime: this.deps.clock.now().toISOString(),
      } as Record<string, any>,
    };
    this.state.operations[`${project}/${location}/${name}`] = op;
    this.deps.onChange?.();
    setTimeout(async () => {
      const failed = fault.operationError;
      try {
        await finish(failed);
      } catch (error) {
        op.public.error = { code: 13, message: String(error) };
      }
      if (failed) {
        const canonical =
          CONDITION_CANONICAL[failed.code] ?? (RPC_CODES[failed.code] ? failed.code : undefined);
        op.public.statusMessage = `${failed.code}: ${failed.message}`;
        op.public.error = {
          code: RPC_CODES[canonical ?? 'FAILED_PRECONDITION'],
          message: `${failed.code}: ${failed.message}`,
        };
        op.public.clusterConditions = [
          {
            ...(CONDITION_CANONICAL[failed.code] ? { code: failed.code } : {}),
            message: failed.message,
            canonicalCode: canonical ?? 'FAILED_PRECONDITION',
          },
        ];
      }
      op.public.status = 'DONE';
      op.public.endTime = this.deps.clock.now().toISOString();
      this.deps.onChange?.();
    }, this.deps.clock.wallMs(seconds)).unref();
    return op.public;
  }
}

/**
 * An operation error's google.rpc code: GKE's condition codes (StatusCondition.Code) with the
 * canonical code GKE gives them, a canonical name as itself; anything else FAILED_PRECONDITION.
 */
const CONDITION_CANONICAL: Record<string, string> = {
  GCE_STOCKOUT: 'RESOURCE_EXHAUSTED',
  GCE_QUOTA_EXCEEDED: 'RESOURCE_EXHAUSTED',
  GKE_SERVICE_ACCOUNT_DELETED: 'FAILED_PRECONDITION',
  CLOUD_KMS_KEY_ERROR: 'FAILED_PRECONDITION',
  NODE_SERVICE_ACCOUNT_MISSING_PERMISSIONS: 'PERMISSION_DENIED',
};
const RPC_CODES: Record<string, number> = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
};

/** Fields of ClusterUpdate that qualify a change rather than make one. */
const QUALIFIERS = new Set(['desiredNodePoolId', 'etag']);

/** The changes a ClusterUpdate asks for: its set fields, but not the qualifiers nor proto-loader's oneof markers. */
function updateFields(update: unknown): string[] {
  if (!update || typeof update !== 'object') return [];
  return Object.entries(update)
    .filter(([field, value]) => !field.startsWith('_') && !QUALIFIERS.has(field) && value != null)
    .map(([field]) => field)
    .sort();
}

type ClusterChange = (cluster: any, value: any, update: any) => void;
const set =
  (...path: string[]): ClusterChange =>
  (cluster, value) => {
    let node = cluster;
    for (const key of path.slice(0, -1)) node = node[key] = { ...node[key] };
    node[path[path.length - 1]!] = structuredClone(value);
  };
/** Message fields GKE merges: the sub-fields given replace theirs, the others stay. */
const merge =
  (field: string): ClusterChange =>
  (cluster, value) => {
    cluster[field] = { ...cluster[field], ...structuredClone(value) };
  };

/** The ClusterUpdate fields the sandbox models, each with where the change lands in the Cluster. */
const CLUSTER_UPDATES: Record<string, ClusterChange> = {
  desiredGatewayApiConfig: set('networkConfig', 'gatewayApiConfig'),
  desiredMonitoringConfig: merge('monitoringConfig'),
  desiredWorkloadIdentityConfig: set('workloadIdentityConfig'),
  desiredPodAutoscaling: set('podAutoscaling'),
  desiredAddonsConfig: merge('addonsConfig'),
  desiredLoggingConfig: merge('loggingConfig'),
  desiredReleaseChannel: set('releaseChannel'),
  desiredVerticalPodAutoscaling: set('verticalPodAutoscaling'),
  desiredClusterAutoscaling: set('autoscaling'),
  desiredSecurityPostureConfig: set('securityPostureConfig'),
  desiredCostManagementConfig: set('costManagementConfig'),
  desiredShieldedNodes: set('shieldedNodes'),
  desiredBinaryAuthorization: set('binaryAuthorization'),
  desiredDnsConfig: set('networkConfig', 'dnsConfig'),
  desiredDatapathProvider: set('networkConfig', 'datapathProvider'),
  desiredLoggingService: set('loggingService'),
  desiredMonitoringService: set('monitoringService'),
  desiredNodePoolAutoscaling: (cluster, value, update) => {
    const pool = cluster.nodePools.find((p: any) => p.name === update.desiredNodePoolId);
    pool.autoscaling = structuredClone(value);
  },
};

/** The change an update makes to the cluster (applied when its operation ends), or undefined if not modelled. */
function clusterChange(field: string, update: any, cluster: any): (() => void) | undefined {
  const apply = CLUSTER_UPDATES[field];
  if (!apply) return undefined;
  if (field === 'desiredNodePoolAutoscaling') {
    const pools = cluster.nodePools.map((p: any) => p.name);
    // Without desiredNodePoolId GKE takes the only node pool, and refuses when there are several.
    if (!update.desiredNodePoolId && pools.length === 1) update = { ...update, desiredNodePoolId: pools[0] };
    if (!update.desiredNodePoolId)
      throw new GkeError(
        'INVALID_ARGUMENT',
        'desired_node_pool_id must be specified when the cluster has more than one node pool.',
      );
    if (!pools.includes(update.desiredNodePoolId))
      throw new GkeError(
        'NOT_FOUND',
        `Node pool "${update.desiredNodePoolId}" not found in cluster ${cluster.name}.`,
      );
  }
  return () => apply(cluster, update[field], update);
}
