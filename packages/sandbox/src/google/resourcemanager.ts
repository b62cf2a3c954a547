/**
 * Cloud Resource Manager (cloudresourcemanager.googleapis.com): projects and their IAM policy.
 *
 *   GET  /v3/projects/P                 {name: projects/NUMBER, projectId, state: ACTIVE, displayName, …}
 *   GET  /v1/projects/P                 {projectNumber, projectId, lifecycleState: ACTIVE, name, …} (gcloud projects describe)
 *   POST /v3/projects/P:getIamPolicy    (and /v1/…, as gcloud calls it) {version, etag, bindings}
 *   POST /v3/projects/P:setIamPolicy    (and /v1/…) {policy, updateMask?}: a policy whose etag is not
 *        the current one gets 409 "There were concurrent policy changes. …" (reason aborted)
 *   POST /v1/projects/P:testIamPermissions (and /v3/…) {permissions} → the ones held (resourcemanager-permissions.ts)
 *
 * Every project ID exists (created on first use, with an owner and the default service agents
 * bound); v3 also answers for a project number it has seen. Fault-plan method names:
 * projects.get, projects.getIamPolicy, projects.setIamPolicy, projects.testIamPermissions.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, type RestRequest } from '../rest.js';
import { copy, defaultProjectNumber, iso, tappedRoutes, type ApiDeps, type GoogleApi } from './common.js';
import { permissionRoutes } from './resourcemanager-permissions.js';

export { withholdPermissions } from './resourcemanager-permissions.js';

export interface Binding {
  role: string;
  members: string[];
  condition?: { expression: string; title?: string; description?: string };
}

export interface Policy {
  version: number;
  etag: string;
  bindings: Binding[];
  auditConfigs?: unknown[];
}

export interface ProjectRecord {
  projectId: string;
  projectNumber: string;
  displayName: string;
  createTime: string;
  policy: Policy;
  /** Permissions the caller lacks here (testIamPermissions); none by default. */
  withheldPermissions?: string[];
}

export interface ResourceManagerState {
  projects: Record<string, ProjectRecord>;
}

export interface ResourceManagerOptions {
  state?: ResourceManagerState;
  /** Project numbers for given project IDs; others get a stable number derived from the ID. */
  projectNumbers?: Record<string, string>;
  /** The bindings a project starts with; default: an owner and the Compute/Cloud Services agents. */
  seedBindings?: (projectId: string, projectNumber: string) => Binding[];
}

export function createResourceManagerState(): ResourceManagerState {
  return { projects: {} };
}

export function defaultBindings(projectId: string, projectNumber: string): Binding[] {
  return [
    {
      role: 'roles/editor',
      members: [
        `serviceAccount:${projectNumber}-compute@developer.gserviceaccount.com`,
        `serviceAccount:${projectNumber}@cloudservices.gserviceaccount.com`,
      ],
    },
    { role: 'roles/owner', members: [`user:owner@${projectId}.example.com`] },
  ];
}

/** An etag as IAM writes them: 8 bytes, base64 (`BwY…`). */
function newEtag(): string {
  return Buffer.concat([Buffer.from([7]), randomBytes(7)]).toString('base64');
}

/** Etags are bytes: clients may send them back in either base64 alphabet (gcloud uses the URL-safe one). */
function sameEtag(a: unknown, b: string): boolean {
  return typeof a === 'string' && Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

const MEMBER =
  /^(user|serviceAccount|group|domain):[^\s]+$|^(allUsers|allAuthenticatedUsers)$|^(principal|principalSet):\/\/iam\.googleapis\.com\/\S+$|^deleted:\S+$/;
const WORKLOAD_POOL =
  /^principal(?:Set)?:\/\/iam\.googleapis\.com\/projects\/([^/]+)\/locations\/global\/workloadIdentityPools\/([^/]+)\//;
const ROLE = /^(roles\/[\w.]+|(projects|organizations)\/[^/]+\/roles\/[\w.]+)$/;

export function resourceManagerApi(
  deps: ApiDeps,
  options: ResourceManagerOptions = {},
): GoogleApi<ResourceManagerState> {
  const state = options.state ?? createResourceManagerState();

  /** The project named by an ID (created on first use) or by a number it has seen. */
  function project(ref: string): ProjectRecord {
    if (/^\d+$/.test(ref)) {
      const found = Object.values(state.projects).find((p) => p.projectNumber === ref);
      if (!found) throw new ApiError(403, 'The caller does not have permission', 'forbidden');
      return found;
    }
    if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(ref))
      throw new ApiError(400, `Invalid project ID "${ref}"`, 'badRequest');
    return ensureProject(state, ref, options);
  }

  const getPolicy = (req: RestRequest) => copy(project(req.params.project!).policy);

  function setPolicy(req: RestRequest) {
    const record = project(req.params.project!);
    const policy = req.body?.policy;
    if (!policy || typeof policy !== 'object')
      throw new ApiError(400, 'Request contains an invalid argument: policy is required.', 'badRequest');
    const current = record.policy;
    if (policy.etag && !sameEtag(policy.etag, current.etag)) {
      throw new ApiError(
        409,
        `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${policy.etag}' did not match the current policy's ETag '${current.etag}'.`,
        'aborted',
        'ABORTED',
      );
    }
    const mask: string[] = (req.body.updateMask ?? 'bindings,etag').split(',').map((p: string) => p.trim());
    const bindings = mask.includes('bindings')
      ? checkBindings(policy.bindings ?? [], record)
      : current.bindings;
    const auditConfigs = mask.includes('auditConfigs') ? policy.auditConfigs : current.auditConfigs;
    const conditional = bindings.some((b) => b.condition);
    if (conditional && (policy.version ?? 1) < 3) {
      throw new ApiError(400, 'Policies with conditional role bindings must set version 3.', 'badRequest');
    }
    record.policy = {
      version: conditional ? 3 : 1,
      etag: newEtag(),
      bindings,
      ...(auditConfigs ? { auditConfigs: copy(auditConfigs) } : {}),
    };
    return copy(record.policy);
  }

  const { routes, deps: restDeps } = tappedRoutes(deps, [
    {
      method: 'GET',
      path: '/v3/projects/{project}',
      name: 'projects.get',
      handler: (req) => {
        const p = project(req.params.project!);
        return {
          name: `projects/${p.projectNumber}`,
          projectId: p.projectId,
          state: 'ACTIVE',
          displayName: p.displayName,
          createTime: p.createTime,
          updateTime: p.createTime,
          etag: `W/"${Buffer.from(p.createTime).toString('base64').slice(0, 16)}"`,
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/projects/{project}',
      name: 'projects.get',
      handler: (req) => {
        const p = project(req.params.project!);
        return {
          projectNumber: p.projectNumber,
          projectId: p.projectId,
          lifecycleState: 'ACTIVE',
          name: p.displayName,
          createTime: p.createTime,
        };
      },
    },
    ...(['v1', 'v3'] as const).flatMap((version) => [
      {
        method: 'POST',
        path: `/${version}/projects/{project}:getIamPolicy`,
        name: 'projects.getIamPolicy',
        handler: getPolicy,
      },
      {
        method: 'POST',
        path: `/${version}/projects/{project}:setIamPolicy`,
        name: 'projects.setIamPolicy',
        handler: setPolicy,
      },
    ]),
    ...permissionRoutes(project),
  ]);
  return { api: 'cloudresourcemanager', routes, state, deps: restDeps };
}

/** A project's record, created on first use (the number and bindings as the options say). */
export function ensureProject(
  state: ResourceManagerState,
  projectId: string,
  options: ResourceManagerOptions = {},
): ProjectRecord {
  const existing = state.projects[projectId];
  if (existing) return existing;
  const projectNumber = options.projectNumbers?.[projectId] ?? defaultProjectNumber(projectId);
  const bindings = (options.seedBindings ?? defaultBindings)(projectId, projectNumber);
  return (state.projects[projectId] = {
    projectId,
    projectNumber,
    displayName: projectId,
    createTime: iso(Date.now()),
    policy: { version: 1, etag: newEtag(), bindings },
  });
}

/** Validates bindings as IAM does, drops empty ones, merges duplicate roles, sorts by role. */
function checkBindings(input: unknown, project: ProjectRecord): Binding[] {
  if (!Array.isArray(input))
    throw new ApiError(400, 'Request contains an invalid argument: bindings must be a list.', 'badRequest');
  const merged = new Map<string, Binding>();
  for (const binding of input as Binding[]) {
    if (typeof binding?.role !== 'string' || !ROLE.test(binding.role)) {
      throw new ApiError(
        400,
        `Role ${binding?.role ?? '(none)'} is not supported for this resource.`,
        'badRequest',
      );
    }
    for (const member of binding.members ?? []) {
      if (typeof member !== 'string' || !MEMBER.test(member))
        throw new ApiError(400, 'Policy members must be of the form "<type>:<value>".', 'badRequest');
      const pool = WORKLOAD_POOL.exec(member);
      if (pool && pool[2] === `${project.projectId}.svc.id.goog` && pool[1] !== project.projectNumber) {
        throw new ApiError(
          400,
          `Invalid principal ${member}: the workload identity pool ${pool[2]} belongs to project number ${project.projectNumber}, not ${pool[1]}.`,
          'badRequest',
        );
      }
    }
    const key = `${binding.role}|${JSON.stringify(binding.condition ?? null)}`;
    const into = merged.get(key) ?? {
      role: binding.role,
      members: [],
      ...(binding.condition ? { condition: copy(binding.condition) } : {}),
    };
    into.members = [...new Set([...into.members, ...(binding.members ?? [])])].sort();
    merged.set(key, into);
  }
  return [...merged.values()].filter((b) => b.members.length).sort((a, b) => a.role.localeCompare(b.role));
}
