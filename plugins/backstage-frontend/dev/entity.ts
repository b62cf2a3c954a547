import type { Entity } from '@backstage/catalog-model';

/** The catalog entity the harness shows: the example's service, on the example's platform. */
export const foodReviewEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'food-review',
    namespace: 'default',
    title: 'Food review',
    annotations: {
      'spillway.dev/service': 'default/food-review',
      'spillway.dev/platform': 'inference-prod',
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/ml-platform' },
};
