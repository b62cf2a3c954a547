import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startSandbox, type FaultPlan } from '@spillway/sandbox';
import { EXIT, type Io } from './io.js';

export interface SandboxUpOptions {
  stateDir: string;
  faults?: string;
  msPerSecond: string;
  schemas?: string;
  /** false: the gateways name no serving region in their answers, as on GKE. */
  regionHeader?: boolean;
}

/**
 * `spillway sandbox up`: Google Cloud and Kubernetes on 127.0.0.1 until stopped. Prints the
 * environment to reach it, as `gcloud beta emulators … env-init` does, and keeps a gcloud
 * configuration and a kubeconfig in the state directory while it runs.
 */
export async function sandboxUp(options: SandboxUpOptions, io: Io, stop: Promise<unknown>): Promise<number> {
  const msPerSecond = Number(options.msPerSecond);
  if (!(msPerSecond > 0)) {
    io.stderr(
      `spillway: --time-scale must be a positive number of milliseconds per simulated second, not ${options.msPerSecond}\n`,
    );
    return EXIT.invalid;
  }
  let faults: FaultPlan | undefined;
  if (options.faults) {
    try {
      faults = JSON.parse(await readFile(resolve(io.cwd, options.faults), 'utf8')) as FaultPlan;
    } catch (error) {
      io.stderr(
        `spillway: --faults ${options.faults}: ${(error as Error).message} — give a JSON fault plan (see packages/sandbox/src/faults.ts)\n`,
      );
      return EXIT.invalid;
    }
  }
  const stateDir = resolve(io.cwd, options.stateDir);
  const sandbox = await startSandbox({
    msPerSecond,
    ...(faults ? { faults } : {}),
    stateDir,
    ...(options.schemas ? { upstreamDir: resolve(io.cwd, options.schemas) } : {}),
    ...(options.regionHeader === false ? { regionHeader: false } : {}),
  });
  const env = {
    ...sandbox.env,
    CLOUDSDK_CONFIG: resolve(stateDir, 'gcloud'),
    KUBECONFIG: resolve(stateDir, 'kubeconfig'),
  };
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${value}\n`);
  // `spillway apply --sandbox` reads this file to reach the sandbox.
  await writeFile(join(stateDir, 'env'), exports.join(''));
  for (const line of exports) io.stdout(line);
  io.stderr(
    `# Spillway sandbox running (1 simulated second = ${msPerSecond} ms); state in ${stateDir}. Stop with Ctrl-C.\n`,
  );
  await stop;
  await sandbox.close();
  await rm(stateDir, { recursive: true, force: true });
  io.stderr('# Spillway sandbox stopped.\n');
  return EXIT.ok;
}
