import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const validatePlatformExamples: TemplateExample[] = [
  {
    description: 'Check the platform spec that fetch:template wrote, before its repository is created.',
    example: stringify({
      steps: [
        {
          id: 'validate',
          action: 'spillway:validate:platform',
          name: 'Check the platform spec',
          input: { spec: './platform.yaml' },
        },
      ],
    }),
  },
];
