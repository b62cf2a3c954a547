import type { KubeManifest } from './graph.js';

/**
 * The InferenceObjective CRD (inference.networking.x-k8s.io/v1alpha2) as gateway-api-inference-extension
 * v1.0.1 defines it, written out here because GKE manages only the InferencePool CRD (GKE-FACTS.md §5).
 * The conformance test checks this schema against the upstream file, field by field.
 */
const DNS_SUBDOMAIN = '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const CONDITION_TYPE =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$';

export const INFERENCE_OBJECTIVE_BUNDLE_VERSION = 'v1.0.1';

export function inferenceObjectiveCrd(labels: Record<string, string>): KubeManifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: 'inferenceobjectives.inference.networking.x-k8s.io',
      labels,
      annotations: { 'inference.networking.k8s.io/bundle-version': INFERENCE_OBJECTIVE_BUNDLE_VERSION },
    },
    spec: {
      group: 'inference.networking.x-k8s.io',
      names: {
        kind: 'InferenceObjective',
        listKind: 'InferenceObjectiveList',
        plural: 'inferenceobjectives',
        singular: 'inferenceobjective',
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha2',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { jsonPath: '.spec.poolRef.name', name: 'Inference Pool', type: 'string' },
            { jsonPath: '.spec.priority', name: 'Priority', type: 'string' },
            { jsonPath: '.metadata.creationTimestamp', name: 'Age', type: 'date' },
          ],
          schema: {
            openAPIV3Schema: {
              description: 'InferenceObjective is the Schema for the InferenceObjectives API.',
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['poolRef'],
                  properties: {
                    poolRef: {
                      description: 'The InferencePool this objective applies to.',
                      type: 'object',
                      required: ['name'],
                      properties: {
                        group: {
                          default: 'inference.networking.k8s.io',
                          maxLength: 253,
                          pattern: DNS_SUBDOMAIN,
                          type: 'string',
                        },
                        kind: {
                          default: 'InferencePool',
                          maxLength: 63,
                          minLength: 1,
                          pattern: '^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$',
                          type: 'string',
                        },
                        name: { maxLength: 253, minLength: 1, type: 'string' },
                      },
                    },
                    priority: {
                      description: 'Higher values are served first when the pool is saturated.',
                      type: 'integer',
                    },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    conditions: {
                      type: 'array',
                      maxItems: 8,
                      'x-kubernetes-list-map-keys': ['type'],
                      'x-kubernetes-list-type': 'map',
                      default: [
                        {
                          lastTransitionTime: '1970-01-01T00:00:00Z',
                          message: 'Waiting for controller',
                          reason: 'Pending',
                          status: 'Unknown',
                          type: 'Ready',
                        },
                      ],
                      items: {
                        type: 'object',
                        required: ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
                        properties: {
                          lastTransitionTime: { format: 'date-time', type: 'string' },
                          message: { maxLength: 32768, type: 'string' },
                          observedGeneration: { format: 'int64', minimum: 0, type: 'integer' },
                          reason: {
                            maxLength: 1024,
                            minLength: 1,
                            pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
                            type: 'string',
                          },
                          status: { enum: ['True', 'False', 'Unknown'], type: 'string' },
                          type: { maxLength: 316, pattern: CONDITION_TYPE, type: 'string' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
