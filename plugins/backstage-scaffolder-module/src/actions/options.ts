import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  cloudFromEnv,
  EMULATOR_TIMING,
  REAL_TIMING,
  redactor,
  type Cloud,
  type ProgressEvent,
  type Timing,
} from '@spillway/shared';
import type { PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';
import { loadServiceSpec, type LoadedSpec, type SpecInput } from './spec.js';
import type { z as zod } from 'zod/v3';

/** What every Spillway action needs from the backend that installs it. */
export interface SpillwayActionsOptions {
  platforms: PlatformRegistry;
  /** Environment variables a `fromEnv` token source may name (spillway.tokenEnvironmentVariables). */
  tokenVariables: string[];
  /** Where the Google Cloud endpoints (CONTRACT.md §3) and the tokens are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** The inputs every action shares (zod callbacks, as createTemplateAction takes them). */
export const specInputs = {
  spec: (z: typeof zod) =>
    z
      .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))])
      .describe(
        'The service spec: a path in the workspace (e.g. ./spillway.yaml), or the InferenceService document(s) as an object. Its spec.platform names a platform configured in spillway.platforms.',
      ),
  platform: (z: typeof zod) =>
    z
      .string()
      .optional()
      .describe(
        'A configured platform (spillway.platforms[].name) the service must name in spec.platform; the platform spec itself always comes from the Backstage configuration.',
      ),
};

/** A Cloud pointed where the environment says, the matching timing, and its closing. */
export async function withCloud<T>(
  env: NodeJS.ProcessEnv,
  run: (cloud: Cloud, timing: Timing) => Promise<T>,
): Promise<T> {
  const cloud = cloudFromEnv(env);
  try {
    return await run(cloud, cloud.emulated ? EMULATOR_TIMING : REAL_TIMING);
  } finally {
    await cloud.close();
  }
}

/** Only the token variables the operator allows reach the engine (see readTokenVariables). */
export function tokenEnv(env: NodeJS.ProcessEnv, tokenVariables: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(tokenVariables.filter((v) => env[v]).map((v) => [v, env[v]]));
}

/** The values of the allowed token variables, for redacting whatever this action prints. */
export function redactTokens(env: NodeJS.ProcessEnv, tokenVariables: string[]): (text: string) => string {
  return redactor(Object.values(tokenEnv(env, tokenVariables)) as string[]);
}

/** The core's progress as task-log lines: changes, waits that matter, retries and failures. */
export function progressToLog(logger: LoggerService, redact: (text: string) => string) {
  return (e: ProgressEvent) => {
    if (
      !['creating', 'updating', 'replacing', 'deleting', 'retrying', 'done', 'failed', 'blocked'].includes(
        e.state,
      )
    )
      return;
    if (e.state === 'done' && e.action === 'noop') return;
    const line = redact(
      `${e.state.padEnd(9)} ${e.title}${e.detail ? ` — ${e.detail}` : ''}${e.elapsedMs ? ` (${seconds(e.elapsedMs)})` : ''}`,
    );
    if (e.state === 'failed' || e.state === 'blocked') logger.warn(line);
    else logger.info(line);
  };
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The service spec an action was given (`spec`, `platform`), checked against the configured platform. */
export function loadActionSpec(
  input: { spec: SpecInput; platform?: string | undefined },
  workspacePath: string,
  options: SpillwayActionsOptions,
): Promise<LoadedSpec> {
  return loadServiceSpec(input.spec, {
    workspacePath,
    platforms: options.platforms,
    tokenVariables: options.tokenVariables,
    ...(input.platform !== undefined ? { platform: input.platform } : {}),
  });
}

/** `NS/NAME, …` of the spec's services, for log lines. */
export function serviceNames(loaded: LoadedSpec): string {
  return loaded.spec.services.map((s) => `${s.namespace}/${s.name}`).join(', ');
}
