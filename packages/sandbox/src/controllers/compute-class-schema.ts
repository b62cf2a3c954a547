/**
 * The ComputeClass fields the sandbox reads, as an openAPIV3Schema: what GKE's CRD says of them
 * (../shared/upstream/cloud.google.com/computeclass_v1.json), written here rather than copied, and
 * open elsewhere (x-kubernetes-preserve-unknown-fields) so a class using fields the sandbox ignores
 * is still accepted. When the API server is given the upstream schemas it checks the whole object
 * against GKE's instead (kube/validate.ts).
 */
const open = { 'x-kubernetes-preserve-unknown-fields': true } as const;
const string = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;

const priority = {
  type: 'object',
  ...open,
  properties: {
    machineType: { type: 'string', maxLength: 100 },
    spot: { type: 'boolean' },
    maxRunDurationSeconds: { type: 'integer' },
    capacityCheckWaitTimeSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
    flexStart: { type: 'object', ...open, properties: { enabled: { type: 'boolean' } } },
    gpu: {
      type: 'object',
      ...open,
      properties: { type: string, count, driverVersion: { type: 'string', enum: ['default', 'latest'] } },
    },
    tpu: {
      type: 'object',
      ...open,
      properties: { type: string, count: { type: 'integer' }, topology: string },
    },
    reservations: {
      type: 'object',
      ...open,
      required: ['affinity'],
      properties: {
        affinity: { type: 'string', enum: ['Specific', 'AnyBestEffort', 'None'] },
        specific: {
          type: 'array',
          items: {
            type: 'object',
            ...open,
            required: ['name'],
            properties: { name: string, project: string },
          },
        },
      },
    },
  },
} as const;

export const COMPUTE_CLASS_SCHEMA = {
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: string,
    kind: string,
    metadata: { type: 'object', ...open },
    spec: {
      type: 'object',
      ...open,
      required: ['whenUnsatisfiable'],
      properties: {
        priorities: { type: 'array', items: priority },
        whenUnsatisfiable: { type: 'string', enum: ['ScaleUpAnyway', 'DoNotScaleUp'] },
        nodePoolAutoCreation: { type: 'object', ...open, properties: { enabled: { type: 'boolean' } } },
      },
    },
    status: { type: 'object', ...open },
  },
} as const;
