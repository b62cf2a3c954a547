/**
 * Compute Engine v1 (compute.googleapis.com/compute/v1), the part Spillway touches: networks,
 * subnetworks (proxy-only ones above all) and region operations.
 *
 *   GET    /compute/v1/projects/P/global/networks[/N]
 *   POST   /compute/v1/projects/P/regions/R/subnetworks[?requestId=UUID] → compute#operation (insert)
 *   GET    /compute/v1/projects/P/regions/R/subnetworks[/S]        (?filter=purpose = "GLOBAL_MANAGED_PROXY")
 *   DELETE /compute/v1/projects/P/regions/R/subnetworks/S[?requestId=UUID] → compute#operation (delete)
 *   GET    /compute/v1/projects/P/aggregated/subnetworks           (what `gcloud compute networks subnets list` calls)
 *   GET    /compute/v1/projects/P/regions/R/operations/OP
 *   POST   /compute/v1/projects/P/regions/R/operations/OP/wait     (returns when DONE or after 2 simulated minutes)
 *
 *   GET    /compute/v1/projects/P                                   (projects.get: global quotas, GPUS_ALL_REGIONS)
 *   GET    /compute/v1/projects/P/regions/R                         (regions.get: regional quotas)
 *   GET    /compute/v1/projects/P/zones/Z/acceleratorTypes          (acceleratorTypes.list)
 *   GET    /compute/v1/projects/P/zones/Z/reservations/NAME         (reservations.get)
 *
 * Every project has the auto-mode network `default` with one subnet per region (10.128.0.0/9).
 * Links are written as the real API writes them (https://www.googleapis.com/compute/v1/…).
 * Operations settle lazily (see gkehub.ts). Fault-plan method names: projects.get, regions.get, acceleratorTypes.list,
 * reservations.get, networks.get|list,
 * subnetworks.insert|get|list|delete|aggregatedList, regionOperations.get|wait.
 * A requestId (insert, delete) is remembered for an hour of simulated time: sent again within the
 * hour it returns the first operation and does nothing (even if the subnet was deleted since).
 */
import type { FaultDecision } from '../faults.js';
import { ApiError, type RestRequest } from '../rest.js';
import {
  copy,
  doneAt,
  isUuid,
  iso,
  numericId,
  operationId,
  recallRequest,
  rememberRequest,
  tappedRoutes,
  type ApiDeps,
  type GoogleApi,
} from './common.js';
import { LINK, checkSubnet } from './compute-subnets.js';
import {
  computeProject,
  createComputeState,
  existing,
  findSubnet,
  networkOf,
  networkView,
  settleCompute,
  subnetResource,
  type ComputeOperation,
  type ComputeProject,
  type ComputeState,
  type StoredSubnet,
} from './compute-state.js';
import { matches, parseFilter } from './filter.js';
import { capacityRoutes } from './compute-capacity-routes.js';
import type { AcceleratorUsage } from './compute-usage.js';

export {
  addReservation,
  setAcceleratorTypes,
  setProjectQuota,
  setRegionQuota,
  type CapacityState,
  type QuotaValue,
  type SeedReservation,
} from './compute-capacity.js';
export { nodePoolUsage, type AcceleratorUsage } from './compute-usage.js';
export {
  addSubnetwork,
  computeProject,
  createComputeState,
  settleCompute,
  type ComputeOperation,
  type ComputeProject,
  type ComputeState,
  type SeedSubnet,
} from './compute-state.js';

export interface ComputeOptions {
  state?: ComputeState;
  /** Regions of the default network; default: the regions of AUTO_RANGES. */
  regions?: string[];
  /** Simulated seconds a subnet insert or delete takes (default 10). */
  durations?: { subnetwork?: number };
  /** Accelerators the sandbox's node pools use, added to regions.get's usage (see compute-usage.ts). */
  usage?: AcceleratorUsage;
}

const USER = 'sandbox@spillway.invalid';
const WAIT_SECONDS = 120;

export function computeApi(deps: ApiDeps, options: ComputeOptions = {}): GoogleApi<ComputeState> {
  const state = options.state ?? createComputeState(options.regions);
  const seconds = options.durations?.subnetwork ?? 10;
  const now = () => deps.clock.now().getTime();
  const settled =
    <T>(fn: (req: RestRequest, decision: FaultDecision, p: ComputeProject) => T) =>
    (req: RestRequest, decision: FaultDecision) => {
      const p = computeProject(state, req.params.project!);
      settleCompute(state, now());
      return fn(req, decision, p);
    };
  const visible = (s: StoredSubnet) => s.phase !== 'creating';
  const filterOf = (req: RestRequest) => parseFilter(req.query.get('filter') ?? '');

  function start(
    project: string,
    region: string,
    name: string,
    type: 'insert' | 'delete',
    decision: FaultDecision,
    targetId: string,
  ) {
    const p = computeProject(state, project);
    const begun = now();
    const opName = operationId(begun);
    p.operations[`${region}/${opName}`] = {
      operation: {
        kind: 'compute#operation',
        id: numericId(),
        name: opName,
        operationType: type,
        targetLink: `${LINK}projects/${project}/regions/${region}/subnetworks/${name}`,
        targetId,
        status: 'PENDING',
        user: USER,
        progress: 0,
        insertTime: iso(begun),
        startTime: iso(begun),
        selfLink: `${LINK}projects/${project}/regions/${region}/operations/${opName}`,
        region: `${LINK}projects/${project}/regions/${region}`,
      },
      doneAt: doneAt(deps.clock, seconds),
      subnet: `${region}/${name}`,
      ...(decision.operationError ? { failure: decision.operationError } : {}),
    };
    return copy(p.operations[`${region}/${opName}`]!.operation);
  }

  /** The operation an earlier call with this requestId started, while Compute remembers it. */
  function recalled(p: ComputeProject, region: string, requestId: string | null) {
    if (requestId === null) return undefined;
    if (!isUuid(requestId)) {
      throw new ApiError(
        400,
        `Invalid value for field 'requestId': '${requestId}'. The request id must be a valid UUID with the exception that zero UUID is not supported (00000000-0000-0000-0000-000000000000).`,
        'invalid',
      );
    }
    const earlier = recallRequest((p.requestIds ??= {}), `${region}/${requestId}`, deps.clock);
    return earlier ? p.operations[earlier] : undefined;
  }

  /** Starts the operation, remembering its requestId if the call gave one. */
  function started(
    p: ComputeProject,
    requestId: string | null,
    ...args: Parameters<typeof start>
  ): ComputeOperation {
    const operation = start(...args);
    const region = args[1];
    if (requestId !== null)
      rememberRequest(
        (p.requestIds ??= {}),
        `${region}/${requestId}`,
        `${region}/${operation.name}`,
        deps.clock,
      );
    return operation;
  }

  function findOperation(p: ComputeProject, params: Record<string, string>) {
    const pending = p.operations[`${params.region}/${params.operation}`];
    if (!pending)
      throw new ApiError(
        404,
        `The resource 'projects/${params.project}/regions/${params.region}/operations/${params.operation}' was not found`,
        'notFound',
      );
    return pending;
  }

  const base = '/compute/v1/projects/{project}';
  const { routes, deps: restDeps } = tappedRoutes(deps, [
    ...capacityRoutes(state, options.usage),
    {
      method: 'GET',
      path: `${base}/global/networks`,
      name: 'networks.list',
      handler: settled((req, _d, p) => ({
        kind: 'compute#networkList',
        id: `projects/${req.params.project}/global/networks`,
        items: Object.values(p.networks)
          .map((n) => networkView(n, p))
          .filter((n) => matches(filterOf(req), n)),
        selfLink: `${LINK}projects/${req.params.project}/global/networks`,
      })),
    },
    {
      method: 'GET',
      path: `${base}/global/networks/{network}`,
      name: 'networks.get',
      handler: settled((req, _d, p) =>
        networkView(networkOf(state, req.params.project!, req.params.network), p),
      ),
    },
    {
      method: 'POST',
      path: `${base}/regions/{region}/subnetworks`,
      name: 'subnetworks.insert',
      handler: settled((req, decision, p) => {
        const { project, region } = req.params as { project: string; region: string };
        const requestId = req.query.get('requestId');
        const earlier = recalled(p, region, requestId);
        if (earlier) return copy(earlier.operation);
        if (p.subnetworks[`${region}/${req.body?.name}`]) {
          throw new ApiError(
            409,
            `The resource 'projects/${project}/regions/${region}/subnetworks/${req.body.name}' already exists`,
            'alreadyExists',
          );
        }
        const network = networkOf(state, project, req.body?.network);
        const input = checkSubnet(req.body, {
          region,
          network: network.selfLink,
          autoMode: network.autoCreateSubnetworks,
          existing: existing(p),
        });
        const resource = subnetResource(
          project,
          region,
          input.name,
          { ...req.body, ...input },
          network.selfLink,
          now(),
        );
        p.subnetworks[`${region}/${input.name}`] = { resource, phase: 'creating' };
        return started(p, requestId, project, region, input.name, 'insert', decision, resource.id);
      }),
    },
    {
      method: 'GET',
      path: `${base}/regions/{region}/subnetworks`,
      name: 'subnetworks.list',
      handler: settled((req, _d, p) => {
        const { project, region } = req.params as { project: string; region: string };
        const filter = filterOf(req);
        const items = Object.entries(p.subnetworks)
          .filter(([key, s]) => key.startsWith(`${region}/`) && visible(s) && matches(filter, s.resource))
          .map(([, s]) => copy(s.resource));
        const list = {
          kind: 'compute#subnetworkList',
          id: `projects/${project}/regions/${region}/subnetworks`,
          selfLink: `${LINK}projects/${project}/regions/${region}/subnetworks`,
        };
        return items.length ? { ...list, items } : list;
      }),
    },
    {
      method: 'GET',
      path: `${base}/aggregated/subnetworks`,
      name: 'subnetworks.aggregatedList',
      handler: settled((req, _d, p) => {
        const filter = filterOf(req);
        const regions = new Set([
          ...state.regions,
          ...Object.keys(p.subnetworks).map((k) => k.split('/')[0]!),
        ]);
        const items: Record<string, unknown> = {};
        for (const region of [...regions].sort()) {
          const subnetworks = Object.entries(p.subnetworks)
            .filter(([key, s]) => key.startsWith(`${region}/`) && visible(s) && matches(filter, s.resource))
            .map(([, s]) => copy(s.resource));
          const scope = `regions/${region}`;
          items[scope] = subnetworks.length
            ? { subnetworks }
            : {
                warning: {
                  code: 'NO_RESULTS_ON_PAGE',
                  message: `There are no results for scope '${scope}' on this page.`,
                  data: [{ key: 'scope', value: scope }],
                },
              };
        }
        const project = req.params.project;
        return {
          kind: 'compute#subnetworkAggregatedList',
          id: `projects/${project}/aggregated/subnetworks`,
          items,
          selfLink: `${LINK}projects/${project}/aggregated/subnetworks`,
        };
      }),
    },
    {
      method: 'GET',
      path: `${base}/regions/{region}/subnetworks/{subnetwork}`,
      name: 'subnetworks.get',
      handler: settled((req, _d, p) => copy(findSubnet(p, req.params, visible).resource)),
    },
    {
      method: 'DELETE',
      path: `${base}/regions/{region}/subnetworks/{subnetwork}`,
      name: 'subnetworks.delete',
      handler: settled((req, decision, p) => {
        const { project, region, subnetwork } = req.params as {
          project: string;
          region: string;
          subnetwork: string;
        };
        const requestId = req.query.get('requestId');
        const earlier = recalled(p, region, requestId);
        if (earlier) return copy(earlier.operation);
        const stored = findSubnet(p, req.params, () => true);
        const link = stored.resource.selfLink;
        if (stored.phase !== 'ready')
          throw new ApiError(400, `The resource '${link}' is not ready`, 'resourceNotReady');
        const network = Object.values(p.networks).find((n) => n.selfLink === stored.resource.network);
        if (network?.autoCreateSubnetworks && subnetwork === network.name) {
          throw new ApiError(
            400,
            `Cannot delete auto subnetwork '${link}' from an auto subnet mode network.`,
            'invalid',
          );
        }
        stored.phase = 'deleting';
        return started(p, requestId, project, region, subnetwork, 'delete', decision, stored.resource.id);
      }),
    },
    {
      method: 'GET',
      path: `${base}/regions/{region}/operations/{operation}`,
      name: 'regionOperations.get',
      handler: settled((req, _d, p) => copy(findOperation(p, req.params).operation)),
    },
    {
      method: 'POST',
      path: `${base}/regions/{region}/operations/{operation}/wait`,
      name: 'regionOperations.wait',
      handler: settled(async (req, _d, p) => {
        const deadline = now() + deps.clock.wallMs(WAIT_SECONDS);
        for (;;) {
          settleCompute(state, now());
          const pending = findOperation(p, req.params);
          const until = Math.min(pending.doneAt, deadline);
          if (pending.operation.status === 'DONE' || now() >= until) return copy(pending.operation);
          await new Promise((resolve) => setTimeout(resolve, Math.max(1, until - now())));
        }
      }),
    },
  ]);
  return { api: 'compute', routes, state, deps: restDeps };
}
