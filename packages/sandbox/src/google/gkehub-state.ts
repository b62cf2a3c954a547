/**
 * GKE Hub's state and its long-running operations: plain data (persistable), settled lazily.
 * An operation records when it ends; settleGkeHub completes those whose time has come, applying
 * the change or, on an injected failure, undoing it.
 */
import { copy, iso, rpcStatus, uuid, type RememberedRequest, type RpcStatus } from './common.js';

export type Version = 'v1' | 'v1beta';
export const typeOf = (version: Version, message: string) =>
  `type.googleapis.com/google.cloud.gkehub.${version}.${message}`;
const EMPTY = 'type.googleapis.com/google.protobuf.Empty';

export type Collection = 'memberships' | 'features';
export type Verb = 'create' | 'update' | 'delete';

export interface HubOperation {
  name: string;
  metadata: {
    '@type': string;
    createTime: string;
    endTime?: string;
    target: string;
    verb: Verb;
    requestedCancellation: boolean;
    apiVersion: Version;
  };
  done: boolean;
  response?: Record<string, unknown>;
  error?: RpcStatus;
}

export interface PendingOperation {
  operation: HubOperation;
  doneAt: number;
  collection: Collection;
  target: string;
  /** For updates: the resource as it will be once the operation is done. */
  updated?: Record<string, any>;
  /** The previous resource, restored when an update or delete fails. */
  previous?: Record<string, any>;
  failure?: { code: string; message: string };
}

export interface GkeHubState {
  memberships: Record<string, Record<string, any>>;
  features: Record<string, Record<string, any>>;
  operations: Record<string, PendingOperation>;
  /**
   * `parent/requestId` → the operation it started and when (simulated seconds), so a retried
   * create returns the first operation; forgotten after an hour of simulated time.
   */
  requestIds: Record<string, RememberedRequest>;
}

export function createGkeHubState(): GkeHubState {
  return { memberships: {}, features: {}, operations: {}, requestIds: {} };
}

export function newMembership(name: string, project: string, resourceLink: string, body: any, nowMs: number) {
  const membership: Record<string, any> = {
    name,
    labels: body?.labels ?? {},
    ...(body?.description ? { description: body.description } : {}),
    endpoint: { gkeCluster: { resourceLink, clusterMissing: false } },
    state: { code: 'CREATING' },
    createTime: iso(nowMs),
    updateTime: iso(nowMs),
    externalId: uuid(),
    uniqueId: uuid(),
    monitoringConfig: {
      project,
      location: resourceLink.split('/')[6],
      cluster: resourceLink.split('/').pop(),
    },
  };
  if (body?.authority?.issuer) {
    membership.authority = {
      ...body.authority,
      workloadIdentityPool: `${project}.svc.id.goog`,
      identityProvider: body.authority.issuer,
    };
  }
  return membership;
}

export function newFeature(name: string, body: any, nowMs: number) {
  return {
    name,
    labels: body?.labels ?? {},
    resourceState: { state: 'ENABLING' },
    spec: copy(body?.spec ?? {}),
    createTime: iso(nowMs),
    updateTime: iso(nowMs),
  } as Record<string, any>;
}

export type Phase = 'creating' | 'ready' | 'updating' | 'deleting';
const PHASES: Record<Collection, Record<Phase, string>> = {
  memberships: { creating: 'CREATING', ready: 'READY', updating: 'UPDATING', deleting: 'DELETING' },
  features: { creating: 'ENABLING', ready: 'ACTIVE', updating: 'UPDATING', deleting: 'DISABLING' },
};

export function setPhase(collection: Collection, resource: Record<string, any>, phase: Phase) {
  if (collection === 'memberships') resource.state = { code: PHASES.memberships[phase] };
  else {
    resource.resourceState = { state: PHASES.features[phase] };
    if (phase === 'ready')
      resource.state = {
        state: { code: 'OK', description: 'Ready to use', updateTime: resource.updateTime },
      };
  }
  return resource;
}

export function isAtRest(collection: Collection, resource: Record<string, any>) {
  const phase = collection === 'memberships' ? resource.state?.code : resource.resourceState?.state;
  return phase === PHASES[collection].ready;
}

export function opView(state: GkeHubState, name: string): HubOperation {
  return copy(state.operations[name]!.operation);
}

/** Completes every operation whose time has come (exported so the sandbox can settle before persisting). */
export function settleGkeHub(state: GkeHubState, nowMs: number) {
  for (const pending of Object.values(state.operations)) {
    if (pending.operation.done || nowMs < pending.doneAt) continue;
    finish(state, pending, nowMs);
  }
}

function finish(state: GkeHubState, pending: PendingOperation, nowMs: number) {
  const { operation, collection, target } = pending;
  const resources = state[collection];
  operation.done = true;
  operation.metadata.endTime = iso(nowMs);
  const verb = operation.metadata.verb;
  if (pending.failure) {
    operation.error = rpcStatus(pending.failure, 'gkehub.googleapis.com');
    if (verb === 'create') delete resources[target];
    else if (pending.previous) resources[target] = pending.previous;
    return;
  }
  if (verb === 'delete') {
    delete resources[target];
    operation.response = { '@type': EMPTY };
    return;
  }
  const resource = verb === 'update' ? pending.updated! : resources[target]!;
  resource.updateTime = iso(nowMs);
  resources[target] = setPhase(collection, resource, 'ready');
  const message = collection === 'memberships' ? 'Membership' : 'Feature';
  operation.response = { '@type': typeOf(operation.metadata.apiVersion, message), ...copy(resource) };
}
