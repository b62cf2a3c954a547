import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const applyExamples: TemplateExample[] = [
  {
    description:
      "Apply the service in the workspace to its platform; the token is read from the backend's HF_TOKEN (the spec's fromEnv).",
    example: stringify({
      steps: [
        {
          id: 'apply',
          action: 'spillway:apply',
          name: 'Apply the Spillway service',
          input: { spec: './spillway.yaml', platform: 'inference-prod' },
        },
      ],
      output: {
        text: [{ title: 'Gateway', content: '${{ steps.apply.output.gatewayAddresses | dump }}' }],
      },
    }),
  },
];
