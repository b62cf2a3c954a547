import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const validateExamples: TemplateExample[] = [
  {
    description: 'Validate the spec that fetch:template wrote to the workspace, before anything is created.',
    example: stringify({
      steps: [
        {
          id: 'validate',
          action: 'spillway:validate',
          name: 'Validate the Spillway spec',
          input: { spec: './spillway.yaml', platform: 'inference-prod' },
        },
      ],
    }),
  },
  {
    description: 'Validate a service given inline, from the template parameters.',
    example: stringify({
      steps: [
        {
          id: 'validate',
          action: 'spillway:validate',
          name: 'Validate the Spillway spec',
          input: {
            spec: {
              apiVersion: 'spillway.dev/v1alpha1',
              kind: 'InferenceService',
              metadata: { name: 'food-review', namespace: 'default' },
              spec: {
                platform: 'inference-prod',
                regions: ['us-east4', 'europe-west3'],
                model: {
                  id: 'meta-llama/Llama-3.1-8B-Instruct',
                  image: 'vllm/vllm-openai:v0.10.2',
                  huggingFaceToken: { secretName: 'hf-token', fromEnv: 'HF_TOKEN' },
                },
                balancing: {
                  mode: 'CUSTOM_METRICS',
                  maxUtilizationPercent: 80,
                  preferredRegions: ['us-east4'],
                },
              },
            },
          },
        },
      ],
    }),
  },
];
