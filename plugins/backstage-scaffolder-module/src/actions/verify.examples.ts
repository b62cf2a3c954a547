import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const verifyExamples: TemplateExample[] = [
  {
    description:
      'Verify every region of the service after apply, with a test completion from the config cluster.',
    example: stringify({
      steps: [
        {
          id: 'verify',
          action: 'spillway:verify',
          name: 'Verify the Spillway service',
          input: { spec: './spillway.yaml', from: 'cluster' },
        },
      ],
      output: { text: [{ title: 'Verified', content: '${{ steps.verify.output.ok }}' }] },
    }),
  },
];
