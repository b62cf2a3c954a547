import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const fetchPlatformExamples: TemplateExample[] = [
  {
    description:
      "Put the chosen platform's spec beside the service, for the workflow's `platform: platform.yaml`.",
    example: stringify({
      steps: [
        {
          id: 'platform',
          action: 'spillway:fetch:platform',
          name: 'Fetch the platform spec',
          input: { platform: 'inference-prod' },
        },
      ],
    }),
  },
  {
    description: 'Write it somewhere else in the workspace.',
    example: stringify({
      steps: [
        {
          id: 'platform',
          action: 'spillway:fetch:platform',
          name: 'Fetch the platform spec',
          input: { platform: 'inference-prod', targetPath: './spillway/platform.yaml' },
        },
      ],
    }),
  },
];
