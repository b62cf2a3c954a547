/**
 * Fixtures of the Backstage packages' tests: the example fleet applied to the sandbox, the platform
 * team's and the application team's halves of examples/food-review.yaml, a logger that keeps its lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendFeature, LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import {
  applySpec,
  checkSpec,
  cloudFromEnv,
  EMULATOR_TIMING,
  type Cloud,
  type Spec,
  type Timing,
} from '@spillway/shared';
import { startSandbox, type Sandbox } from '@spillway/sandbox';
import { loadPlatforms, type PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';

export const repo = fileURLToPath(new URL('../../..', import.meta.url));
const upstreamDir = resolve(repo, '..', 'shared', 'upstream');
const exampleText = readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8');

/** examples/food-review.yaml holds the platform and the service: the platform team's file and the app team's. */
const [platformPart, servicePart] = exampleText.split(/^---$/m) as [string, string];
export const PLATFORM_TEXT = platformPart;
export const SERVICE_TEXT = servicePart.trimStart();
export const PLATFORM = { name: 'inference-prod', projectId: 'my-project' };

/** A token value that must never appear in any output, event, plan, error or log. */
export const CANARY = 'hf_CANARY_4f1e9b2c7d_never_print';

export const TIMING: Timing = {
  ...EMULATOR_TIMING,
  pollIntervalMs: 10,
  initialBackoffMs: 10,
  maxBackoffMs: 100,
};

export function specOf(text: string, file = 'food-review.yaml'): Spec {
  const result = checkSpec([{ file, text }]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

export interface Fleet {
  sandbox: Sandbox;
  cloud: Cloud;
  /** The sandbox's endpoints and the canary token, as the backend's environment would hold them. */
  env: NodeJS.ProcessEnv;
  /** A directory holding the platform's spec file, as an operator's specFile points at it. */
  dir: string;
  platformFile: string;
  close(): Promise<void>;
}

/** A sandbox at 1 ms per simulated second with `text` applied (the platform alone, or the whole example). */
export async function startFleet(text: string): Promise<Fleet> {
  const sandbox = await startSandbox({ msPerSecond: 1, ...(existsSync(upstreamDir) ? { upstreamDir } : {}) });
  const env = { ...sandbox.env, HF_TOKEN: CANARY };
  const cloud = cloudFromEnv(env);
  const dir = await mkdtemp(join(tmpdir(), 'spillway-backstage-'));
  const platformFile = join(dir, 'inference-prod.yaml');
  await writeFile(platformFile, PLATFORM_TEXT);
  const close = async () => {
    await cloud.close();
    await sandbox.close();
  };
  try {
    const report = await applySpec(specOf(text), { cloud, timing: TIMING, env, allowReplace: false });
    if (!report.converged) throw new Error('setup: the sandbox did not converge');
  } catch (error) {
    await close();
    throw error;
  }
  return { sandbox, cloud, env, dir, platformFile, close };
}

export function appConfig(platformFile: string, extra: Record<string, unknown> = {}) {
  return { spillway: { platforms: [{ ...PLATFORM, specFile: platformFile }], ...extra } };
}

export function registryOf(platformFile: string): Promise<PlatformRegistry> {
  return loadPlatforms(new ConfigReader(appConfig(platformFile)));
}

/** A LoggerService that keeps every line (message and fields), as the task log would show them. */
export function capturingLogger(lines: string[] = []): LoggerService & { lines: string[] } {
  const keep = (level: string) => (message: string, meta?: Error | Record<string, unknown>) =>
    void lines.push(`${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}`);
  const logger = {
    lines,
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    debug: keep('debug'),
    child: () => logger,
  };
  return logger;
}

/** A CommonJS Backstage package's default export: `exports.default` (jest) or inside `module.exports` (Node). */
export function featureOf(module: unknown): BackendFeature {
  const outer = (module as { default: unknown }).default as { default?: BackendFeature };
  return outer.default ?? (outer as BackendFeature);
}
