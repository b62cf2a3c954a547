import type { Observed } from './reads.js';
import { unreadable, type PreflightCheck } from './report.js';

/**
 * The permissions an apply uses on the project, each with a predefined role that grants it
 * (what to do when it is missing). Asked with `projects:testIamPermissions`, which reads only.
 */
export const RUN_PERMISSIONS: Readonly<Record<string, string>> = {
  'container.clusters.create': 'roles/container.admin',
  'container.clusters.update': 'roles/container.admin',
  'container.clusters.get': 'roles/container.admin',
  'container.operations.get': 'roles/container.admin',
  'compute.subnetworks.create': 'roles/compute.networkAdmin',
  'compute.subnetworks.get': 'roles/compute.networkAdmin',
  'gkehub.memberships.create': 'roles/gkehub.admin',
  'gkehub.features.create': 'roles/gkehub.admin',
  'gkehub.features.update': 'roles/gkehub.admin',
  'resourcemanager.projects.setIamPolicy': 'roles/resourcemanager.projectIamAdmin',
  'serviceusage.services.enable': 'roles/serviceusage.serviceUsageAdmin',
};

/** Missing permissions: certain when a cluster must be created and creating one is not allowed. */
export function permissionsCheck(o: Observed): PreflightCheck {
  const name = 'permissions';
  if (!o.permissions.ok)
    return unreadable(
      name,
      o.permissions,
      'check that the credentials may test their permissions (resourcemanager.projects.get)',
    );
  const held = o.permissions.value;
  const asked = Object.keys(RUN_PERMISSIONS);
  const missing = asked.filter((p) => !held.has(p));
  if (!missing.length) return { name, found: `all ${asked.length} the run uses are held`, verdict: 'ok' };
  const roles = [...new Set(missing.map((p) => RUN_PERMISSIONS[p]!))];
  const live = o.clusters.ok ? o.clusters.value : undefined;
  const creates = !!live && o.platform.clusters.some((c) => !live.has(`${c.location}/${c.name}`));
  const certain = creates && missing.includes('container.clusters.create');
  return {
    name,
    found: `missing ${missing.join(', ')}`,
    verdict: certain ? 'failure' : 'warning',
    todo: `grant the identity running Spillway ${roles.join(', ')} on project ${o.platform.projectId}`,
  };
}
