import { GkeError } from './model.js';

/** Resource names in either form ClusterManager accepts: `name`/`parent`, or the deprecated fields. */
export interface Target {
  project: string;
  location: string;
  cluster?: string;
  nodePool?: string;
  operation?: string;
}

export function parseTarget(req: any): Target {
  const path: string | undefined = req.name || req.parent;
  if (path) {
    const m =
      /^projects\/([^/]+)\/(?:locations|zones)\/([^/]+)(?:\/clusters\/([^/]+)(?:\/nodePools\/([^/]+))?|\/operations\/([^/]+))?$/.exec(
        path,
      );
    if (!m) throw new GkeError('INVALID_ARGUMENT', `Malformed resource name ${JSON.stringify(path)}.`);
    return clean({ project: m[1]!, location: m[2]!, cluster: m[3], nodePool: m[4], operation: m[5] });
  }
  if (!req.projectId || !req.zone)
    throw new GkeError('INVALID_ARGUMENT', 'Either name/parent or projectId and zone must be set.');
  return clean({
    project: req.projectId,
    location: req.zone,
    cluster: req.clusterId,
    nodePool: req.nodePoolId,
    operation: req.operationId,
  });
}

function clean(t: Target): Target {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as Target;
}

export function need<K extends keyof Target>(t: Target, field: K): string {
  const value = t[field];
  if (!value) throw new GkeError('INVALID_ARGUMENT', `The request must name a ${String(field)}.`);
  return value;
}
