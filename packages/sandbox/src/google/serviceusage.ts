/**
 * Service Usage v1 (serviceusage.googleapis.com): which APIs a project has enabled.
 *
 *   GET  /v1/projects/P/services/S                  {name: projects/NUMBER/services/S, parent, config: {name, title}, state}
 *   GET  /v1/projects/P/services?filter=state:ENABLED[&pageSize=&pageToken=]
 *   POST /v1/projects/P/services/S:enable           → Operation operations/acat.p2-…
 *   POST /v1/projects/P/services/S:disable          → Operation
 *   POST /v1/projects/P/services:batchEnable        {serviceIds: [≤ 20]} → Operation
 *   GET  /v1/operations/OP
 *
 * A project starts with the services a new Google Cloud project has enabled. Enabling what is
 * already enabled answers with the finished `operations/noop.DONE_OPERATION`. Operations settle
 * lazily; an operationError from the fault plan ends one with that error and enables nothing.
 * Fault-plan method names: services.get|list|enable|disable|batchEnable, operations.get.
 */
import { ApiError, type RestRequest } from '../rest.js';
import type { FaultDecision } from '../faults.js';
import {
  copy,
  defaultProjectNumber,
  doneAt,
  rpcStatus,
  tappedRoutes,
  uuid,
  type ApiDeps,
  type GoogleApi,
  type RpcStatus,
} from './common.js';

const TYPE = 'type.googleapis.com/google.api.serviceusage.v1';

export const TITLES: Record<string, string> = {
  'bigquery.googleapis.com': 'BigQuery API',
  'cloudapis.googleapis.com': 'Google Cloud APIs',
  'cloudresourcemanager.googleapis.com': 'Cloud Resource Manager API',
  'cloudtrace.googleapis.com': 'Cloud Trace API',
  'compute.googleapis.com': 'Compute Engine API',
  'container.googleapis.com': 'Kubernetes Engine API',
  'gkeconnect.googleapis.com': 'GKE Connect API',
  'gkehub.googleapis.com': 'GKE Hub API',
  'iam.googleapis.com': 'Identity and Access Management (IAM) API',
  'iamcredentials.googleapis.com': 'IAM Service Account Credentials API',
  'logging.googleapis.com': 'Cloud Logging API',
  'monitoring.googleapis.com': 'Cloud Monitoring API',
  'multiclusteringress.googleapis.com': 'Multi Cluster Ingress API',
  'multiclusterservicediscovery.googleapis.com': 'Multi cluster Service Discovery API',
  'networkservices.googleapis.com': 'Network Services API',
  'secretmanager.googleapis.com': 'Secret Manager API',
  'servicemanagement.googleapis.com': 'Service Management API',
  'serviceusage.googleapis.com': 'Service Usage API',
  'storage.googleapis.com': 'Cloud Storage API',
  'trafficdirector.googleapis.com': 'Traffic Director API',
};

export const DEFAULT_ENABLED = [
  'bigquery.googleapis.com',
  'cloudapis.googleapis.com',
  'cloudtrace.googleapis.com',
  'logging.googleapis.com',
  'monitoring.googleapis.com',
  'servicemanagement.googleapis.com',
  'serviceusage.googleapis.com',
  'storage.googleapis.com',
];

export interface ServiceOperation {
  name: string;
  metadata?: Record<string, unknown>;
  done: boolean;
  response?: Record<string, unknown>;
  error?: RpcStatus;
}

interface PendingOperation {
  operation: ServiceOperation;
  doneAt: number;
  project: string;
  services: string[];
  state: 'ENABLED' | 'DISABLED';
  batch: boolean;
  failure?: { code: string; message: string };
}

export interface ServiceUsageState {
  /** Project ID → enabled service names. */
  enabled: Record<string, string[]>;
  operations: Record<string, PendingOperation>;
}

export interface ServiceUsageOptions {
  state?: ServiceUsageState;
  /** Simulated seconds an enable takes (default 5). */
  durations?: { enable?: number };
  /** Services a project starts with. */
  defaultEnabled?: string[];
  /** The project number for a project ID (the sandbox wires Resource Manager's). */
  projectNumber?: (projectId: string) => string;
}

export function createServiceUsageState(): ServiceUsageState {
  return { enabled: {}, operations: {} };
}

const NOOP = 'operations/noop.DONE_OPERATION';
const SERVICE = /^[a-z][-a-z0-9]*(\.[a-z][-a-z0-9]*)+$/;

export function serviceUsageApi(
  deps: ApiDeps,
  options: ServiceUsageOptions = {},
): GoogleApi<ServiceUsageState> {
  const state = options.state ?? createServiceUsageState();
  const seconds = options.durations?.enable ?? 5;
  const numberOf = options.projectNumber ?? defaultProjectNumber;
  const now = () => deps.clock.now().getTime();
  const enabled = (project: string) =>
    (state.enabled[project] ??= [...(options.defaultEnabled ?? DEFAULT_ENABLED)]);
  const settled =
    <T>(fn: (req: RestRequest, decision: FaultDecision) => T) =>
    (req: RestRequest, decision: FaultDecision) => {
      settleServiceUsage(now());
      return fn(req, decision);
    };

  function service(project: string, name: string) {
    const number = numberOf(project);
    return {
      name: `projects/${number}/services/${name}`,
      parent: `projects/${number}`,
      config: { name, title: TITLES[name] ?? name },
      state: enabled(project).includes(name) ? 'ENABLED' : 'DISABLED',
    };
  }

  function checkNames(names: unknown): string[] {
    if (!Array.isArray(names) || !names.length)
      throw new ApiError(400, 'serviceIds must name at least one service.', 'badRequest');
    if (names.length > 20)
      throw new ApiError(400, `serviceIds may name at most 20 services, got ${names.length}.`, 'badRequest');
    const unknown = names.filter((n) => typeof n !== 'string' || !SERVICE.test(n));
    if (unknown.length)
      throw new ApiError(
        403,
        `Not found or permission denied for service(s): ${unknown.join(', ')}.`,
        'forbidden',
      );
    return names as string[];
  }

  function change(
    project: string,
    names: string[],
    to: 'ENABLED' | 'DISABLED',
    batch: boolean,
    decision: FaultDecision,
  ): ServiceOperation {
    const current = enabled(project);
    if (names.every((n) => current.includes(n) === (to === 'ENABLED')) && !decision.operationError) {
      return { name: NOOP, done: true, response: response(project, names, to, batch) };
    }
    const name = `operations/acat.p2-${numberOf(project)}-${uuid()}`;
    state.operations[name] = {
      operation: {
        name,
        metadata: {
          '@type': `${TYPE}.OperationMetadata`,
          resourceNames: names.map((n) => `services/${n}/projectSettings/${numberOf(project)}`),
        },
        done: false,
      },
      doneAt: doneAt(deps.clock, seconds),
      project,
      services: names,
      state: to,
      batch,
      ...(decision.operationError ? { failure: decision.operationError } : {}),
    };
    return copy(state.operations[name]!.operation);
  }

  function response(project: string, names: string[], to: 'ENABLED' | 'DISABLED', batch: boolean) {
    if (batch)
      return {
        '@type': `${TYPE}.BatchEnableServicesResponse`,
        services: names.map((n) => service(project, n)),
      };
    const kind = to === 'ENABLED' ? 'EnableServiceResponse' : 'DisableServiceResponse';
    return { '@type': `${TYPE}.${kind}`, service: service(project, names[0]!) };
  }

  /** Completes every operation whose time has come. */
  function settleServiceUsage(nowMs: number) {
    for (const pending of Object.values(state.operations)) {
      if (pending.operation.done || nowMs < pending.doneAt) continue;
      pending.operation.done = true;
      if (pending.failure) {
        pending.operation.error = rpcStatus(pending.failure, 'serviceusage.googleapis.com');
        continue;
      }
      const current = enabled(pending.project);
      state.enabled[pending.project] =
        pending.state === 'ENABLED'
          ? [...new Set([...current, ...pending.services])]
          : current.filter((n) => !pending.services.includes(n));
      pending.operation.response = response(pending.project, pending.services, pending.state, pending.batch);
    }
  }

  const { routes, deps: restDeps } = tappedRoutes(deps, [
    {
      method: 'GET',
      path: '/v1/projects/{project}/services/{service}',
      name: 'services.get',
      handler: settled((req) => service(req.params.project!, checkNames([req.params.service])[0]!)),
    },
    {
      method: 'GET',
      path: '/v1/projects/{project}/services',
      name: 'services.list',
      handler: settled((req) => {
        const project = req.params.project!;
        const filter = req.query.get('filter') ?? '';
        const want = /^\s*state\s*:\s*(ENABLED|DISABLED)\s*$/.exec(filter)?.[1];
        if (filter && !want)
          throw new ApiError(
            400,
            `Invalid filter "${filter}"; only state:ENABLED and state:DISABLED are supported.`,
            'badRequest',
          );
        const names = [...new Set([...Object.keys(TITLES), ...enabled(project)])].sort();
        const all = names.map((n) => service(project, n)).filter((s) => !want || s.state === want);
        const size = Math.min(Number(req.query.get('pageSize') ?? 50) || 50, 200);
        const from = Number(req.query.get('pageToken') ?? 0) || 0;
        const services = all.slice(from, from + size);
        return {
          ...(services.length ? { services } : {}),
          ...(from + size < all.length ? { nextPageToken: String(from + size) } : {}),
        };
      }),
    },
    {
      method: 'POST',
      path: '/v1/projects/{project}/services/{service}:enable',
      name: 'services.enable',
      handler: settled((req, decision) =>
        change(req.params.project!, checkNames([req.params.service]), 'ENABLED', false, decision),
      ),
    },
    {
      method: 'POST',
      path: '/v1/projects/{project}/services/{service}:disable',
      name: 'services.disable',
      handler: settled((req, decision) =>
        change(req.params.project!, checkNames([req.params.service]), 'DISABLED', false, decision),
      ),
    },
    {
      method: 'POST',
      path: '/v1/projects/{project}/services:batchEnable',
      name: 'services.batchEnable',
      handler: settled((req, decision) =>
        change(req.params.project!, checkNames(req.body?.serviceIds), 'ENABLED', true, decision),
      ),
    },
    {
      method: 'GET',
      path: '/v1/operations/{operation}',
      name: 'operations.get',
      handler: settled((req) => {
        const name = `operations/${req.params.operation}`;
        if (name === NOOP)
          return { name, done: true, response: { '@type': 'type.googleapis.com/google.protobuf.Empty' } };
        const pending = state.operations[name];
        if (!pending) throw new ApiError(404, `Operation ${name} not found.`, 'notFound');
        return copy(pending.operation);
      }),
    },
  ]);
  return { api: 'serviceusage', routes, state, deps: restDeps };
}
