/**
 * GKE Hub v1 (gkehub.googleapis.com), as gcloud and google-auth-library REST calls reach it:
 * fleet memberships and features, each change a google.longrunning Operation.
 *
 *   POST   /v1/projects/P/locations/L/memberships?membershipId=ID[&requestId=UUID]
 *   GET    /v1/projects/P/locations/L/memberships[/ID]     (L may be `-` to list every location)
 *   PATCH  /v1/projects/P/locations/L/memberships/ID?updateMask=labels,description
 *   DELETE /v1/projects/P/locations/L/memberships/ID
 *   POST   /v1/projects/P/locations/L/features?featureId=multiclusteringress|…[&requestId=UUID]
 *   GET    /v1/projects/P/locations/L/features[/F]
 *   PATCH  /v1/projects/P/locations/L/features/F?updateMask=spec,labels
 *   DELETE /v1/projects/P/locations/L/features/F
 *   GET    /v1/projects/P/locations/L/operations/OP
 *
 * Every path is served under /v1beta/ too (gcloud's `fleet memberships describe` looks there);
 * the resources are the same, the @type names follow the version called.
 * State is applied lazily: an operation records when it ends, and every call first settles the
 * operations whose time has come (so persisted state resumes where it stopped). Fault-plan
 * method names: memberships.create|get|list|patch|delete, features.create|get|list|patch|delete,
 * operations.get. An operationError ends the operation with that error and undoes the change.
 * A create's requestId is remembered for an hour of simulated time: sent again within the hour it
 * returns the first operation and does nothing (even if the resource was deleted since); after
 * that, the create is new.
 */
import type { FaultDecision } from '../faults.js';
import { ApiError, type RestRequest } from '../rest.js';
import {
  copy,
  doneAt,
  getPath,
  iso,
  isUuid,
  operationId,
  recallRequest,
  rememberRequest,
  setPath,
  tappedRoutes,
  type ApiDeps,
  type GoogleApi,
  type TappedRoute,
} from './common.js';
import {
  createGkeHubState,
  isAtRest,
  newFeature,
  newMembership,
  opView,
  setPhase,
  settleGkeHub,
  typeOf,
  type Collection,
  type GkeHubState,
  type PendingOperation,
  type Verb,
  type Version,
} from './gkehub-state.js';

export { createGkeHubState, settleGkeHub, type GkeHubState, type HubOperation } from './gkehub-state.js';

export interface GkeHubOptions {
  state?: GkeHubState;
  /** Simulated seconds an operation takes. */
  durations?: { membership?: number; feature?: number };
  /** When given, a membership for a cluster that does not exist fails (FAILED_PRECONDITION). */
  clusterExists?: (resourceLink: string) => boolean;
}

const FEATURES = new Set([
  'multiclusteringress',
  'multiclusterservicediscovery',
  'servicemesh',
  'configmanagement',
  'policycontroller',
  'fleetobservability',
  'identityservice',
  'clusterupgrade',
  'rbacrolebindingactuation',
  'workloadcertificate',
]);
const RFC1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const GKE_LINK =
  /^\/\/container\.googleapis\.com\/projects\/[^/]+\/(locations|zones)\/[^/]+\/clusters\/[^/]+$/;
const MEMBERSHIP_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/memberships\/([^/]+)$/;

export function gkeHubApi(deps: ApiDeps, options: GkeHubOptions = {}): GoogleApi<GkeHubState> {
  const state = options.state ?? createGkeHubState();
  const durations = { membership: 30, feature: 30, ...options.durations };
  const now = () => deps.clock.now().getTime();
  const settled =
    <T>(fn: (req: RestRequest, decision: FaultDecision) => T) =>
    (req: RestRequest, decision: FaultDecision) => {
      settleGkeHub(state, now());
      return fn(req, decision);
    };

  function start(
    req: RestRequest,
    collection: Collection,
    target: string,
    verb: Verb,
    decision: FaultDecision,
    extra: Partial<PendingOperation> = {},
  ) {
    const version = req.params.version as Version;
    const begun = now();
    const parent = target.split(`/${collection}/`)[0]!;
    const name = `${parent}/operations/${operationId(begun)}`;
    const seconds = collection === 'memberships' ? durations.membership : durations.feature;
    state.operations[name] = {
      operation: {
        name,
        metadata: {
          '@type': typeOf(version, 'OperationMetadata'),
          createTime: iso(begun),
          target,
          verb,
          requestedCancellation: false,
          apiVersion: version,
        },
        done: false,
      },
      doneAt: doneAt(deps.clock, seconds),
      collection,
      target,
      ...extra,
      ...(decision.operationError ? { failure: decision.operationError } : {}),
    };
    return name;
  }

  /** The operation an earlier create with this requestId started, while the API remembers it. */
  function recalled(parent: string, requestId: string | null): string | undefined {
    if (!requestId) return undefined;
    if (!isUuid(requestId))
      throw new ApiError(400, `request_id "${requestId}" must be a valid UUID`, 'invalidArgument');
    const earlier = recallRequest(state.requestIds, `${parent}/${requestId}`, deps.clock);
    return earlier && state.operations[earlier] ? earlier : undefined;
  }

  function find(collection: Collection, name: string) {
    const resource = state[collection][name];
    if (!resource) throw new ApiError(404, `Resource '${name}' was not found`, 'notFound');
    return resource;
  }

  function list(collection: Collection, { project, location }: Record<string, string>) {
    const prefix =
      location === '-'
        ? `projects/${project}/locations/`
        : `projects/${project}/locations/${location}/${collection}/`;
    const resources = Object.entries(state[collection])
      .filter(([name]) => name.startsWith(prefix) && name.includes(`/${collection}/`))
      .map(([, resource]) => copy(resource));
    return resources.length ? { resources } : {};
  }

  function checkConfigMembership(project: string, feature: Record<string, any>) {
    const config = getPath(feature, 'spec.multiclusteringress.configMembership');
    if (typeof config !== 'string' || !config) {
      throw new ApiError(
        400,
        'spec.multiclusteringress.configMembership must be set for the multiclusteringress feature',
        'invalidArgument',
      );
    }
    const m = MEMBERSHIP_NAME.exec(config);
    const sameProject = m && (m[1] === project || /^\d+$/.test(m[1]!));
    if (!m || !sameProject)
      throw new ApiError(
        400,
        `configMembership "${config}" is not a membership of project ${project}`,
        'invalidArgument',
      );
    if (m[2] !== 'global')
      throw new ApiError(
        400,
        `configMembership "${config}" must be in location global`,
        'failedPrecondition',
        'FAILED_PRECONDITION',
      );
    const membership = state.memberships[`projects/${project}/locations/global/memberships/${m[3]}`];
    if (!membership)
      throw new ApiError(
        400,
        `configMembership "${config}" does not exist`,
        'failedPrecondition',
        'FAILED_PRECONDITION',
      );
    if (membership.state?.code !== 'READY') {
      throw new ApiError(
        400,
        `configMembership "${config}" is not READY (state ${membership.state?.code})`,
        'failedPrecondition',
        'FAILED_PRECONDITION',
      );
    }
  }

  function updateMask(req: RestRequest, allowed: string[]): string[] {
    const paths = (req.query.get('updateMask') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (!paths.length) throw new ApiError(400, 'update_mask is required', 'invalidArgument');
    const bad = paths.find((p) => !allowed.some((a) => p === a || p.startsWith(`${a}.`)));
    if (bad)
      throw new ApiError(
        400,
        `Invalid update_mask path "${bad}"; supported: ${allowed.join(', ')}`,
        'invalidArgument',
      );
    return paths;
  }

  function patch(
    collection: Collection,
    name: string,
    req: RestRequest,
    decision: FaultDecision,
    allowed: string[],
  ) {
    const current = find(collection, name);
    if (!isAtRest(collection, current))
      throw new ApiError(
        400,
        `Resource '${name}' has an operation in progress`,
        'failedPrecondition',
        'FAILED_PRECONDITION',
      );
    const paths = updateMask(req, allowed);
    const updated = copy(current);
    for (const path of paths) setPath(updated, path, getPath(req.body ?? {}, path));
    if (collection === 'features' && name.endsWith('/features/multiclusteringress'))
      checkConfigMembership(req.params.project!, updated);
    updated.updateTime = iso(now());
    state[collection][name] = setPhase(collection, copy(current), 'updating');
    return opView(state, start(req, collection, name, 'update', decision, { updated, previous: current }));
  }

  function remove(req: RestRequest, collection: Collection, name: string, decision: FaultDecision) {
    const current = find(collection, name);
    if (!isAtRest(collection, current))
      throw new ApiError(
        400,
        `Resource '${name}' has an operation in progress`,
        'failedPrecondition',
        'FAILED_PRECONDITION',
      );
    state[collection][name] = setPhase(collection, copy(current), 'deleting');
    return opView(state, start(req, collection, name, 'delete', decision, { previous: current }));
  }

  const membershipName = (p: Record<string, string>) =>
    `projects/${p.project}/locations/${p.location}/memberships/${p.membership}`;
  const featureName = (p: Record<string, string>) =>
    `projects/${p.project}/locations/${p.location}/features/${p.feature}`;
  const base = '/{version}/projects/{project}/locations/{location}';

  const { routes, deps: restDeps } = tappedRoutes(
    deps,
    versions([
      {
        method: 'POST',
        path: `${base}/memberships`,
        name: 'memberships.create',
        handler: settled((req, decision) => {
          const { project, location } = req.params as { project: string; location: string };
          const parent = `projects/${project}/locations/${location}`;
          const requestId = req.query.get('requestId');
          const earlier = recalled(parent, requestId);
          if (earlier) return opView(state, earlier);
          const id = req.query.get('membershipId') ?? '';
          if (!RFC1123.test(id))
            throw new ApiError(
              400,
              `membership_id "${id}" must be an RFC 1123 label of at most 63 characters`,
              'invalidArgument',
            );
          const name = `${parent}/memberships/${id}`;
          if (state.memberships[name])
            throw new ApiError(409, `Resource '${name}' already exists`, 'alreadyExists');
          // gcloud builds the link from its container endpoint, which points at the sandbox: keep the path.
          const given = getPath(req.body, 'endpoint.gkeCluster.resourceLink');
          const link =
            typeof given === 'string'
              ? given.replace(/^\/\/[^/]+\/(?:v1\/)?projects\//, '//container.googleapis.com/projects/')
              : given;
          if (typeof link !== 'string' || !GKE_LINK.test(link)) {
            throw new ApiError(
              400,
              `endpoint.gkeCluster.resourceLink must look like //container.googleapis.com/projects/P/locations/L/clusters/C, got "${link ?? ''}"`,
              'invalidArgument',
            );
          }
          const holder = Object.values(state.memberships).find(
            (m) => m.endpoint?.gkeCluster?.resourceLink === link,
          );
          if (holder)
            throw new ApiError(
              409,
              `The cluster ${link} is already registered as membership ${holder.name}`,
              'alreadyExists',
            );
          const failure =
            options.clusterExists && !options.clusterExists(link)
              ? { code: 'FAILED_PRECONDITION', message: `GKE cluster ${link} was not found` }
              : undefined;
          state.memberships[name] = newMembership(name, project!, link, req.body, now());
          const opName = start(
            req,
            'memberships',
            name,
            'create',
            failure ? { ...decision, operationError: failure } : decision,
          );
          if (requestId) rememberRequest(state.requestIds, `${parent}/${requestId}`, opName, deps.clock);
          return opView(state, opName);
        }),
      },
      {
        method: 'GET',
        path: `${base}/memberships`,
        name: 'memberships.list',
        handler: settled((req) => list('memberships', req.params)),
      },
      {
        method: 'GET',
        path: `${base}/memberships/{membership}`,
        name: 'memberships.get',
        handler: settled((req) => copy(find('memberships', membershipName(req.params)))),
      },
      {
        method: 'PATCH',
        path: `${base}/memberships/{membership}`,
        name: 'memberships.patch',
        handler: settled((req, decision) =>
          patch('memberships', membershipName(req.params), req, decision, ['labels', 'description']),
        ),
      },
      {
        method: 'DELETE',
        path: `${base}/memberships/{membership}`,
        name: 'memberships.delete',
        handler: settled((req, decision) => {
          const name = membershipName(req.params);
          const mci =
            state.features[`projects/${req.params.project}/locations/global/features/multiclusteringress`];
          const config = getPath(mci, 'spec.multiclusteringress.configMembership');
          if (
            typeof config === 'string' &&
            config.split('/').pop() === req.params.membership &&
            req.params.location === 'global'
          ) {
            throw new ApiError(
              400,
              `Membership ${name} is the config membership of the multiclusteringress feature; change or delete the feature first`,
              'failedPrecondition',
              'FAILED_PRECONDITION',
            );
          }
          return remove(req, 'memberships', name, decision);
        }),
      },
      {
        method: 'POST',
        path: `${base}/features`,
        name: 'features.create',
        handler: settled((req, decision) => {
          const { project, location } = req.params as { project: string; location: string };
          const parent = `projects/${project}/locations/${location}`;
          const requestId = req.query.get('requestId');
          const earlier = recalled(parent, requestId);
          if (earlier) return opView(state, earlier);
          const id = req.query.get('featureId') ?? '';
          if (!FEATURES.has(id))
            throw new ApiError(400, `feature_id "${id}" is not a known fleet feature`, 'invalidArgument');
          const name = `projects/${project}/locations/${location}/features/${id}`;
          if (state.features[name])
            throw new ApiError(409, `Resource '${name}' already exists`, 'alreadyExists');
          if (location !== 'global' && id.startsWith('multicluster'))
            throw new ApiError(400, `feature ${id} must be created in location global`, 'invalidArgument');
          const feature = newFeature(name, req.body, now());
          if (id === 'multiclusteringress') checkConfigMembership(project, feature);
          state.features[name] = feature;
          const opName = start(req, 'features', name, 'create', decision);
          if (requestId) rememberRequest(state.requestIds, `${parent}/${requestId}`, opName, deps.clock);
          return opView(state, opName);
        }),
      },
      {
        method: 'GET',
        path: `${base}/features`,
        name: 'features.list',
        handler: settled((req) => list('features', req.params)),
      },
      {
        method: 'GET',
        path: `${base}/features/{feature}`,
        name: 'features.get',
        handler: settled((req) => copy(find('features', featureName(req.params)))),
      },
      {
        method: 'PATCH',
        path: `${base}/features/{feature}`,
        name: 'features.patch',
        handler: settled((req, decision) =>
          patch('features', featureName(req.params), req, decision, ['spec', 'labels']),
        ),
      },
      {
        method: 'DELETE',
        path: `${base}/features/{feature}`,
        name: 'features.delete',
        handler: settled((req, decision) => remove(req, 'features', featureName(req.params), decision)),
      },
      {
        method: 'GET',
        path: `${base}/operations/{operation}`,
        name: 'operations.get',
        handler: settled((req) => {
          const name = `projects/${req.params.project}/locations/${req.params.location}/operations/${req.params.operation}`;
          if (!state.operations[name])
            throw new ApiError(404, `Operation '${name}' was not found`, 'notFound');
          return opView(state, name);
        }),
      },
    ]),
  );
  return { api: 'gkehub', routes, state, deps: restDeps };
}

/** Each route for v1 and for v1beta (which gcloud's `fleet memberships describe` uses); same resources. */
function versions(routes: TappedRoute[]): TappedRoute[] {
  return (['v1', 'v1beta'] as const).flatMap((version) =>
    routes.map((route) => ({
      ...route,
      path: route.path.replace('{version}', version),
      handler: (req: RestRequest, decision: FaultDecision) =>
        route.handler({ ...req, params: { ...req.params, version } }, decision),
    })),
  );
}
