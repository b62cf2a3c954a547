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
import type { Handler } from './types.js';

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

export const handlerFor = (r: Resource): Handler<Resource, unknown> => HANDLERS[r.type];
