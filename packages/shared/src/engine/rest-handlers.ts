import type {
  ApiServiceResource,
  FeatureResource,
  IamBindingResource,
  MembershipResource,
  SubnetworkResource,
} from '../render/graph.js';
import { unlessNotFound } from '../cloud/errors.js';
import type { Change, EngineContext, Handler, Pending } from './types.js';

/** GKE Hub, Compute, Resource Manager and Service Usage, as plain REST (GKE-FACTS.md). */
/** google.longrunning.Operation, polled at its name (GKE Hub, Service Usage). */
function longRunning(ctx: EngineContext, api: 'gkehub' | 'serviceusage', op: any, prefix: string): Pending {
  return {
    describe: `operation ${op.name}`,
    async poll() {
      const current = op.done ? op : await ctx.cloud.rest(api).request('GET', `${prefix}/${op.name}`);
      if (!current.done) return { done: false };
      return current.error
        ? { done: true, error: `${current.error.message ?? 'operation failed'}` }
        : { done: true };
    },
  };
}

export const apiServiceHandler: Handler<ApiServiceResource, { state: string }> = {
  read: (r, ctx) =>
    unlessNotFound(() =>
      ctx.cloud.rest('serviceusage').request('GET', `/v1/projects/${r.project}/services/${r.service}`),
    ),
  diff: (_r, live): Change =>
    live?.state === 'ENABLED'
      ? { action: 'noop', reason: 'enabled' }
      : { action: 'create', reason: 'not enabled' },
  async create(r, ctx) {
    const op = await ctx.cloud
      .rest('serviceusage')
      .request('POST', `/v1/projects/${r.project}/services/${r.service}:enable`, {});
    return longRunning(ctx, 'serviceusage', op, '/v1');
  },
  async update(r, _live, ctx) {
    return apiServiceHandler.create(r, ctx);
  },
  // APIs stay enabled: other workloads in the project may use them.
  delete: async () => undefined,
  ready: (_r, live) => live?.state === 'ENABLED',
  owned: () => false,
};

const hubPath = (project: string) => `/v1/projects/${project}/locations/global`;

export const membershipHandler: Handler<MembershipResource, any> = {
  read: (r, ctx) =>
    unlessNotFound(() =>
      ctx.cloud.rest('gkehub').request('GET', `${hubPath(r.project)}/memberships/${r.membershipId}`),
    ),
  diff(r, live): Change {
    if (!live) return { action: 'create', reason: 'not registered' };
    const want = (r.body as any).endpoint.gkeCluster.resourceLink;
    const have = live.endpoint?.gkeCluster?.resourceLink;
    if (have !== want) return { action: 'replace', reason: `registers ${have}, not ${want}` };
    if (live.state?.code === 'CREATING') return { action: 'noop', reason: 'being registered; waiting' };
    return { action: 'noop', reason: 'registered' };
  },
  async create(r, ctx) {
    const query = `membershipId=${r.membershipId}&requestId=${ctx.requestId(r.id, 'create')}`;
    const op = await ctx.cloud
      .rest('gkehub')
      .request('POST', `${hubPath(r.project)}/memberships?${query}`, r.body);
    return longRunning(ctx, 'gkehub', op, '/v1');
  },
  async update(r, live, ctx) {
    return membershipHandler.delete(r, live, ctx);
  },
  async delete(r, _live, ctx) {
    const op = await ctx.cloud
      .rest('gkehub')
      .request('DELETE', `${hubPath(r.project)}/memberships/${r.membershipId}`);
    return longRunning(ctx, 'gkehub', op, '/v1');
  },
  ready: (_r, live) => live?.state?.code === 'READY',
  owned: (_r, live) => live?.labels?.['managed-by'] === 'spillway',
};

export const featureHandler: Handler<FeatureResource, any> = {
  read: (r, ctx) =>
    unlessNotFound(() =>
      ctx.cloud.rest('gkehub').request('GET', `${hubPath(r.project)}/features/${r.featureId}`),
    ),
  diff(r, live): Change {
    if (!live) return { action: 'create', reason: 'not enabled' };
    const want = (r.body as any).spec?.multiclusteringress?.configMembership;
    const have = live.spec?.multiclusteringress?.configMembership;
    if (want && have?.split('/').pop() !== want.split('/').pop())
      return { action: 'update', reason: `config membership ${have} → ${want}` };
    return {
      action: 'noop',
      reason: live.resourceState?.state === 'ACTIVE' ? 'active' : `${live.resourceState?.state}; waiting`,
    };
  },
  async create(r, ctx) {
    const op = await ctx.cloud
      .rest('gkehub')
      .request(
        'POST',
        `${hubPath(r.project)}/features?featureId=${r.featureId}&requestId=${ctx.requestId(r.id, 'create')}`,
        r.body,
      );
    return longRunning(ctx, 'gkehub', op, '/v1');
  },
  async update(r, _live, ctx) {
    const op = await ctx.cloud
      .rest('gkehub')
      .request('PATCH', `${hubPath(r.project)}/features/${r.featureId}?updateMask=spec`, {
        spec: (r.body as any).spec,
      });
    return longRunning(ctx, 'gkehub', op, '/v1');
  },
  async delete(r, _live, ctx) {
    const op = await ctx.cloud
      .rest('gkehub')
      .request('DELETE', `${hubPath(r.project)}/features/${r.featureId}`);
    return longRunning(ctx, 'gkehub', op, '/v1');
  },
  ready: (_r, live) => live?.resourceState?.state === 'ACTIVE',
  owned: (_r, live) => live?.labels?.['managed-by'] === 'spillway',
};

/** Spillway's mark on the subnets it creates: subnetworks have no labels. */
export const SUBNET_MARK = 'managed-by: spillway';

interface SubnetView {
  subnet: any;
  /** A proxy-only subnet that was there before Spillway: adopted, never deleted. */
  adopted: boolean;
}

function computeOperation(ctx: EngineContext, project: string, region: string, op: any): Pending {
  return {
    describe: `Compute operation ${op.name}`,
    async poll() {
      const current = await ctx.cloud
        .rest('compute')
        .request('POST', `/compute/v1/projects/${project}/regions/${region}/operations/${op.name}/wait`);
      if (current.status !== 'DONE') return { done: false };
      const error = current.error?.errors?.[0];
      return error ? { done: true, error: `${error.code}: ${error.message}` } : { done: true };
    },
  };
}

export const subnetworkHandler: Handler<SubnetworkResource, SubnetView> = {
  async read(r, ctx) {
    const network = String((r.body as any).network)
      .split('/')
      .pop();
    const filter = encodeURIComponent('purpose = "GLOBAL_MANAGED_PROXY"');
    const list = await ctx.cloud
      .rest('compute')
      .request('GET', `/compute/v1/projects/${r.project}/regions/${r.region}/subnetworks?filter=${filter}`);
    const inNetwork = (list.items ?? []).filter(
      (s: any) => String(s.network).split('/').pop() === network && s.purpose === 'GLOBAL_MANAGED_PROXY',
    );
    const subnet =
      inNetwork.find((s: any) => s.name === r.name) ??
      inNetwork.find((s: any) => s.role === 'ACTIVE') ??
      inNetwork[0];
    if (!subnet) return undefined;
    return { subnet, adopted: !String(subnet.description ?? '').includes(SUBNET_MARK) };
  },
  diff(r, live): Change {
    if (!live) return { action: 'create', reason: 'no proxy-only subnet in the region' };
    if (live.adopted)
      return {
        action: 'noop',
        reason: `adopted the existing proxy-only subnet ${live.subnet.name} (${live.subnet.ipCidrRange})`,
      };
    const want = (r.body as any).ipCidrRange;
    if (live.subnet.ipCidrRange !== want)
      return { action: 'replace', reason: `range ${live.subnet.ipCidrRange} → ${want} forces replacement` };
    return { action: 'noop', reason: 'up to date' };
  },
  async create(r, ctx) {
    const op = await ctx.cloud
      .rest('compute')
      .request(
        'POST',
        `/compute/v1/projects/${r.project}/regions/${r.region}/subnetworks?requestId=${ctx.requestId(r.id, 'create')}`,
        r.body,
      );
    return computeOperation(ctx, r.project, r.region, op);
  },
  async update(r, live, ctx) {
    return subnetworkHandler.delete(r, live, ctx);
  },
  async delete(r, live, ctx) {
    const op = await ctx.cloud
      .rest('compute')
      .request(
        'DELETE',
        `/compute/v1/projects/${r.project}/regions/${r.region}/subnetworks/${live.subnet.name}`,
      );
    return computeOperation(ctx, r.project, r.region, op);
  },
  ready: (_r, live) => !!live && live.subnet.state !== 'DRAINING',
  owned: (_r, live) => !live.adopted,
};

/** The project number, read once per run (IAM principals name it). */
export function projectNumber(ctx: EngineContext, project: string): Promise<string> {
  const key = `projectNumber/${project}`;
  if (!ctx.memo.has(key)) {
    const lookup = ctx.cloud
      .rest('cloudresourcemanager')
      .request('GET', `/v3/projects/${project}`)
      .then((p: any) => String(p.name).split('/')[1]!);
    // A failed lookup (a 429) is forgotten, so the engine's retry asks again instead of replaying it.
    lookup.catch(() => ctx.memo.delete(key));
    ctx.memo.set(key, lookup);
  }
  return ctx.memo.get(key) as Promise<string>;
}

export async function memberOf(r: IamBindingResource, ctx: EngineContext) {
  return r.member.includes('{projectNumber}')
    ? r.member.replace('{projectNumber}', await projectNumber(ctx, r.project))
    : r.member;
}

export const getPolicy = (ctx: EngineContext, project: string) =>
  ctx.cloud
    .rest('cloudresourcemanager')
    .request('POST', `/v3/projects/${project}:getIamPolicy`, { options: { requestedPolicyVersion: 3 } });

/** The member holds the role without a condition. */
export const bindingPresent = (policy: any, role: string, member: string): boolean =>
  (policy.bindings ?? []).some(
    (b: any) => b.role === role && !b.condition && (b.members ?? []).includes(member),
  );

/**
 * One member in one role: read-modify-write on the etag, never dropping a binding Spillway did not
 * add. A 409 ABORTED (another writer won) surfaces to the engine, which redoes the whole cycle.
 */
export const iamBindingHandler: Handler<IamBindingResource, { present: boolean }> = {
  async read(r, ctx) {
    const member = await memberOf(r, ctx);
    const policy = await getPolicy(ctx, r.project);
    return { present: bindingPresent(policy, r.role, member) };
  },
  diff: (_r, live): Change =>
    live?.present ? { action: 'noop', reason: 'granted' } : { action: 'create', reason: 'not granted' },
  async create(r, ctx) {
    const member = await memberOf(r, ctx);
    const policy = await getPolicy(ctx, r.project);
    const bindings: any[] = policy.bindings ?? [];
    const binding = bindings.find((b) => b.role === r.role && !b.condition);
    if (binding?.members?.includes(member)) return;
    if (binding) binding.members = [...binding.members, member];
    else bindings.push({ role: r.role, members: [member] });
    await ctx.cloud.rest('cloudresourcemanager').request('POST', `/v3/projects/${r.project}:setIamPolicy`, {
      policy: { ...policy, bindings, version: Math.max(policy.version ?? 1, 3) },
    });
  },
  async update(r, _live, ctx) {
    return iamBindingHandler.create(r, ctx);
  },
  async delete(r, _live, ctx) {
    const member = await memberOf(r, ctx);
    const policy = await getPolicy(ctx, r.project);
    const bindings = (policy.bindings ?? [])
      .map((b: any) =>
        b.role === r.role && !b.condition
          ? { ...b, members: b.members.filter((m: string) => m !== member) }
          : b,
      )
      .filter((b: any) => b.members.length > 0);
    await ctx.cloud
      .rest('cloudresourcemanager')
      .request('POST', `/v3/projects/${r.project}:setIamPolicy`, { policy: { ...policy, bindings } });
  },
  ready: (_r, live) => !!live?.present,
  lockKey: (r) => `iam/${r.project}`,
  // Bindings carry no marks: destroy leaves them, as they may predate Spillway.
  owned: () => false,
};
