import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkSpec,
  cloudFromEnv,
  EMULATOR_TIMING,
  type Cloud,
  type Spec,
  type Timing,
} from '@spillway/shared';
import { addReservation, startSandbox, type Sandbox, type SandboxOptions } from '@spillway/sandbox';

export const repo = fileURLToPath(new URL('../../..', import.meta.url));
export const upstreamDir = resolve(repo, '..', 'shared', 'upstream');
export const exampleText = readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8');

export function exampleSpec(text = exampleText): Spec {
  const result = checkSpec([{ file: 'food-review.yaml', text }]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

export const TIMING: Timing = {
  ...EMULATOR_TIMING,
  pollIntervalMs: 10,
  initialBackoffMs: 10,
  maxBackoffMs: 100,
};

/** A sandbox at 1 ms per simulated second and a Cloud pointed at it, as CONTRACT.md §3 says. */
export async function sandboxAndCloud(
  options: SandboxOptions = {},
): Promise<{ sandbox: Sandbox; cloud: Cloud; env: NodeJS.ProcessEnv }> {
  const sandbox = await startSandbox({
    msPerSecond: 1,
    ...(existsSync(upstreamDir) ? { upstreamDir } : {}),
    ...options,
  });
  const env = { ...sandbox.env, HF_TOKEN: CANARY };
  return { sandbox, cloud: cloudFromEnv(env), env };
}

export const capacityExampleText = readFileSync(join(repo, 'examples/capacity-classes.yaml'), 'utf8');

/**
 * The sandbox for examples/capacity-classes.yaml: the H100 reservation its class names is in
 * Compute (preflight checks it is there), whatever the faults do to its capacity.
 */
export async function capacityExampleSandbox(options: SandboxOptions = {}) {
  const made = await sandboxAndCloud(options);
  addReservation(made.sandbox.google.states.compute.capacity!, 'my-project', {
    name: 'h100-block',
    zone: 'us-east4-a',
    machineType: 'a3-highgpu-8g',
    count: 2,
    accelerator: { type: 'nvidia-h100-80gb', count: 8 },
  });
  return made;
}

/** A token value that must never appear in any output, event, plan, error or log. */
export const CANARY = 'hf_CANARY_4f1e9b2c7d_never_print';
