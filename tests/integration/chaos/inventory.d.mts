import type { Sandbox } from '@spillway/sandbox';
import type { DesiredState } from '@spillway/shared';

export interface Inventory {
  duplicates: string[];
  orphans: string[];
  missing: string[];
  bindingsLost: string[];
}

export function policyBindings(sandbox: Sandbox, project: string): string[];
export function inventory(
  sandbox: Sandbox,
  state: DesiredState,
  options?: { project?: string; bindingsBefore?: string[] },
): Inventory;
