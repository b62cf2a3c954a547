import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const planExamples: TemplateExample[] = [
  {
    description: 'Show what apply would change for the spec in the workspace.',
    example: stringify({
      steps: [
        {
          id: 'plan',
          action: 'spillway:plan',
          name: 'Plan the Spillway service',
          input: { spec: './spillway.yaml' },
        },
      ],
      output: {
        text: [{ title: 'Changes', content: '${{ steps.plan.output.changes }} resource(s) to change' }],
      },
    }),
  },
];
