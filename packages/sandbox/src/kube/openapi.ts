/**
 * A minimal OpenAPI v3 (/openapi/v3 and one document per group/version). kubectl does not cope
 * with a 404 there: before `apply` it checks, per kind, that the PATCH operation takes the
 * `fieldValidation` query parameter, and then leaves validation to the server. So each document
 * lists, per resource, the PATCH operation with its x-kubernetes-group-version-kind and query
 * parameters; no schemas (/openapi/v2 stays 404, which kubectl accepts when v3 is served).
 */
import { createHash } from 'node:crypto';
import { KUBE_VERSION, type Registry, type ResourceInfo } from './discovery.js';

const gvPath = (r: Pick<ResourceInfo, 'group' | 'version'>) =>
  r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;

function documents(registry: Registry): Map<string, ResourceInfo[]> {
  const out = new Map<string, ResourceInfo[]>();
  for (const r of registry.all()) out.set(gvPath(r), [...(out.get(gvPath(r)) ?? []), r]);
  return out;
}

const QUERY = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function document(path: string, resources: ResourceInfo[]) {
  const paths: Record<string, unknown> = {};
  for (const r of resources) {
    const at = `/${path}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.name}/{name}`;
    paths[at] = {
      patch: {
        operationId: `patch${r.namespaced ? 'Namespaced' : ''}${r.kind}`,
        parameters: QUERY,
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBE_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

const hashOf = (value: unknown) =>
  createHash('sha512').update(JSON.stringify(value)).digest('hex').toUpperCase().slice(0, 128);

/** The document for a request path under /openapi/v3, or undefined (404). */
export function openapiV3(registry: Registry, parts: string[]): unknown {
  const docs = documents(registry);
  if (parts.length === 0) {
    const paths = Object.fromEntries(
      [...docs].map(([p, rs]) => [
        p,
        { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(document(p, rs))}` },
      ]),
    );
    return { paths };
  }
  const path = parts.join('/');
  const resources = docs.get(path);
  return resources ? document(path, resources) : undefined;
}
