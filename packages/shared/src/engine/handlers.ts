import type { Resource, ResourceType } from '../render/graph.js';
import { clusterHandler, nodePoolHandler } from './gke-handlers.js';
import { kubeObjectHandler } from './kube-handler.js';
import {
  apiServiceHandler,
  featureHandler,
  iamBindingHandler,
  membershipHandler,
  subnetworkHandler,
} from './rest-handlers.js';
import type { EngineContext, Handler } from './types.js';

const HANDLERS: Record<ResourceType, Handler<any, any>> = {
  'serviceusage.service': apiServiceHandler,
  'container.cluster': clusterHandler,
  'container.nodePool': nodePoolHandler,
  'gkehub.membership': membershipHandler,
  'gkehub.feature': featureHandler,
  'compute.subnetwork': subnetworkHandler,
  'iam.binding': iamBindingHandler,
  'kubernetes.object': kubeObjectHandler,
};

/** The handler for a resource: the context's own (in-memory handlers in engine tests), else the real one. */
export const handlerFor = (r: Resource, ctx?: Pick<EngineContext, 'handlers'>): Handler<Resource, unknown> =>
  ctx?.handlers?.[r.type] ?? HANDLERS[r.type];
