// What the sandbox holds after a scenario, compared with the desired state: duplicates, orphans,
// missing resources and lost IAM bindings, counted from the sandbox's own state (not from what
// Spillway reports about itself).
import { ids } from '@spillway/shared';

const OWNED_KUBE_LABEL = 'app.kubernetes.io/managed-by';

/** Every IAM binding as `role member`, from the project's policy in the sandbox. */
export function policyBindings(sandbox, project) {
  const policy = sandbox.google.states.cloudresourcemanager.projects[project]?.policy;
  return (policy?.bindings ?? []).flatMap((b) => b.members.map((m) => `${b.role} ${m}`));
}

/** Live resources of the kinds Spillway manages, by the ids desired states use, with what marks them as Spillway's. */
function liveResources(sandbox, project) {
  const live = [];
  for (const c of Object.values(sandbox.gke.model.state.clusters)) {
    const owned = c.resourceLabels?.['managed-by'] === 'spillway';
    live.push({ id: ids.cluster(project, c.location, c.name), owned, identity: `cluster ${c.name}` });
    for (const pool of c.nodePools) {
      if (pool.name === 'default-pool') continue; // comes with every cluster
      live.push({ id: ids.nodePool(project, c.location, c.name, pool.name), owned });
    }
  }
  const hub = sandbox.google.states.gkehub;
  for (const [name, m] of Object.entries(hub.memberships)) {
    live.push({
      id: ids.membership(project, name.split('/').pop()),
      owned: m.labels?.['managed-by'] === 'spillway',
      identity: `membership of ${m.endpoint?.gkeCluster?.resourceLink}`,
    });
  }
  for (const name of Object.keys(hub.features))
    live.push({ id: ids.feature(project, name.split('/').pop()), owned: true });
  const subnets = sandbox.google.states.compute.projects[project]?.subnetworks ?? {};
  for (const [key, s] of Object.entries(subnets)) {
    if (s.resource.purpose !== 'GLOBAL_MANAGED_PROXY') continue;
    const [region, name] = key.split('/');
    live.push({
      id: ids.subnetwork(project, region, name),
      owned: name.startsWith('spillway-'),
      identity: `proxy-only subnet in ${region}`,
    });
  }
  for (const server of sandbox.kube.values()) {
    // The store keeps objects by `group/Kind` → `namespace/name`.
    for (const [groupKind, objects] of server.store.objects) {
      const [group, kind] = groupKind.split('/');
      for (const o of objects.values()) {
        if (o.metadata.labels?.[OWNED_KUBE_LABEL] !== 'spillway' || o.metadata.ownerReferences?.length)
          continue;
        const apiVersion = group ? `${group}/v1` : 'v1';
        live.push({
          id: ids.kube(server.cluster, { apiVersion, kind, metadata: o.metadata }),
          owned: true,
        });
      }
    }
  }
  return live;
}

/**
 * Counts, for a scenario's end state:
 * - duplicates: more than one live object for one identity (cluster name, membership target,
 *   proxy-only subnet per region);
 * - orphans: Spillway-marked objects that the desired state does not have;
 * - missing: desired resources the sandbox does not have (0 when the scenario converged);
 * - bindingsLost: IAM bindings present before the scenario, or desired, that are gone.
 */
export function inventory(sandbox, state, { project = 'my-project', bindingsBefore = [] } = {}) {
  const live = liveResources(sandbox, project);
  const liveIds = new Set(live.map((r) => r.id));
  const number = sandbox.google.states.cloudresourcemanager.projects[project]?.projectNumber;
  const desired = state.resources.map((r) => r.id.replaceAll('{projectNumber}', number));
  const desiredIds = new Set(desired);

  const perIdentity = new Map();
  for (const r of live.filter((r) => r.identity))
    perIdentity.set(r.identity, (perIdentity.get(r.identity) ?? 0) + 1);
  const duplicates = [...perIdentity].filter(([, n]) => n > 1).map(([identity, n]) => `${n}× ${identity}`);
  const orphans = live.filter((r) => r.owned && !desiredIds.has(r.id)).map((r) => r.id);

  const enabled = new Set(sandbox.google.states.serviceusage.enabled[project] ?? []);
  const bindings = new Set(policyBindings(sandbox, project));
  const missing = desired.filter((id) => {
    if (id.startsWith('serviceusage.service/')) return !enabled.has(id.split('/')[2]);
    if (id.startsWith('iam.binding/')) return false; // counted as bindings below
    return !liveIds.has(id);
  });
  const iamWanted = state.resources
    .filter((r) => r.type === 'iam.binding')
    .map((r) => iamKey(r.id.replaceAll('{projectNumber}', number)));
  const bindingsLost = [...new Set([...bindingsBefore, ...iamWanted])].filter((b) => !bindings.has(b));
  return { duplicates, orphans, missing, bindingsLost };
}

/** `iam.binding/PROJECT/roles/NAME/MEMBER` → `roles/NAME MEMBER`. */
function iamKey(id) {
  const [, , roles, role, ...member] = id.split('/');
  return `${roles}/${role} ${member.join('/')}`;
}
