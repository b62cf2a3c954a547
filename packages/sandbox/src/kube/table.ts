/**
 * meta.k8s.io/v1 Table, which kubectl asks for (`Accept: …;as=Table`) to print `kubectl get`.
 */
import type { ResourceInfo } from './discovery.js';
import type { KubeObject } from './store.js';

type Column = [name: string, cell: (o: KubeObject) => string | number];

const count = (v: unknown) => Object.keys((v ?? {}) as object).length;

const EXTRA: Record<string, Column[]> = {
  '/Namespace': [['Status', (o) => o.status?.phase ?? '']],
  '/Secret': [
    ['Type', (o) => o.type ?? 'Opaque'],
    ['Data', (o) => count(o.data)],
  ],
  '/ConfigMap': [['Data', (o) => count(o.data) + count(o.binaryData)]],
  '/Service': [['Type', (o) => o.spec?.type ?? 'ClusterIP']],
  '/Pod': [['Status', (o) => o.status?.phase ?? 'Pending']],
  'apps/Deployment': [
    ['Ready', (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`],
    ['Up-to-date', (o) => o.status?.updatedReplicas ?? 0],
    ['Available', (o) => o.status?.availableReplicas ?? 0],
  ],
};

export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

/** `5s`, `3m`, `2h`, `4d`: kubectl's short ages. */
export function age(since: string | undefined, now: Date): string {
  if (!since) return '<unknown>';
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function toTable(
  info: ResourceInfo,
  objects: KubeObject[],
  now: Date,
  includeObject: string | null,
  resourceVersion: string,
) {
  const columns: Column[] = [
    ['Name', (o) => o.metadata.name],
    ...(EXTRA[`${info.group}/${info.kind}`] ?? []),
    ['Age', (o) => age(o.metadata.creationTimestamp, now)],
  ];
  const object = (o: KubeObject) => {
    if (includeObject === 'None') return undefined;
    if (includeObject === 'Object') return o;
    return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(([name], i) => ({
      name,
      type: name === 'Up-to-date' || name === 'Available' || name === 'Data' ? 'integer' : 'string',
      format: i === 0 ? 'name' : '',
      description: '',
      priority: 0,
    })),
    rows: objects.map((o) => ({ cells: columns.map(([, cell]) => cell(o)), object: object(o) })),
  };
}
