/**
 * `projects:testIamPermissions` (v1 and v3): of the permissions asked about, the ones the caller
 * holds. The sandbox's caller holds every permission unless a test withholds some.
 */
import { ApiError } from '../rest.js';
import type { TappedRoute } from './common.js';
import { ensureProject, type ProjectRecord, type ResourceManagerState } from './resourcemanager.js';

/** From now on the caller lacks these permissions on the project. */
export function withholdPermissions(state: ResourceManagerState, projectId: string, permissions: string[]) {
  ensureProject(state, projectId).withheldPermissions = [...permissions];
}

export function permissionRoutes(project: (id: string) => ProjectRecord): TappedRoute[] {
  return (['v1', 'v3'] as const).map((version) => ({
    method: 'POST',
    path: `/${version}/projects/{project}:testIamPermissions`,
    name: 'projects.testIamPermissions',
    handler: (req) => {
      const asked = req.body?.permissions;
      if (
        !Array.isArray(asked) ||
        asked.some((p) => typeof p !== 'string' || !/^[a-z]+(\.[a-zA-Z]+){2,}$/.test(p))
      )
        throw new ApiError(400, 'Request contains an invalid argument: permissions.', 'badRequest');
      const withheld = new Set(project(req.params.project!).withheldPermissions);
      const held = (asked as string[]).filter((p) => !withheld.has(p));
      // Like the real API: no `permissions` field at all when none is held.
      return held.length ? { permissions: held } : {};
    },
  }));
}
