import type { SpecIssue } from './errors.js';
import type { Typed } from './rules.js';
import type { PlatformDoc, ServiceDoc } from './schema.js';
import { capacityWarnings } from './capacity-warnings.js';

/**
 * What a valid spec should still change: each is reported by validate and changes nothing.
 * An absent `pool.inferenceExtension` keeps the seeds' v1.0.1 chart (CONTRACT.md §1b); capacity
 * that may not arrive is capacity-warnings.ts's.
 */
export function specWarnings(platforms: Typed<PlatformDoc>[], services: Typed<ServiceDoc>[]): SpecIssue[] {
  return [...extensionWarnings(services), ...capacityWarnings(platforms, services)];
}

function extensionWarnings(services: Typed<ServiceDoc>[]): SpecIssue[] {
  return services
    .filter(({ value }) => value.spec.pool.inferenceExtension === undefined)
    .map(({ doc }) => {
      return {
        file: doc.file,
        // At spec.pool when the document has one, else at the nearest parent that is there.
        ...doc.locate(['spec', 'pool'], { key: true }),
        path: 'spec.pool.inferenceExtension',
        message:
          'not set, so the pool is rendered as the inferencepool chart v1.0.1; Google’s multi-cluster guide now installs v1.5.0',
        hint: 'set spec.pool.inferenceExtension: v1.5.0 to upgrade (README: "Which Inference Gateway version"), or v1.0.1 to keep it',
      };
    });
}
