/**
 * The dev harness's fleet: the sandbox with examples/food-review.yaml applied and verified once
 * (so the card has a last verify to show), and a load driver that makes the preferred region spill.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applySpec,
  checkSpec,
  cloudFromEnv,
  completionRequest,
  EMULATOR_TIMING,
  readServiceHealth,
  verifySpec,
  type Cloud,
  type HealthReport,
  type Spec,
} from '@spillway/shared';
import { runLoad, startSandbox, type Sandbox } from '@spillway/sandbox';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const upstreamDir = resolve(repo, '..', 'shared', 'upstream');
export const EXAMPLE_FILE = join(repo, 'examples/food-review.yaml');
export const SERVICE = { namespace: 'default', name: 'food-review' };
export const PLATFORM = { name: 'inference-prod', projectId: 'my-project' };
/** The token apply puts in the sandbox's Secret: a canary the browser test looks for on the page. */
export const SANDBOX_HF_TOKEN = 'hf_CANARY_card_harness_never_shown';

export interface Fleet {
  sandbox: Sandbox;
  cloud: Cloud;
  /** The `*_EMULATOR_HOST` variables (CONTRACT.md §3) the backend must read Google Cloud with. */
  env: Record<string, string>;
  spec: Spec;
  /** The platform alone, as the backend's `spillway.platforms[].specFile` wants it. */
  platformFile: string;
  readHealth(): Promise<HealthReport>;
  /** Drives load at the preferred region's gateway until the health read shows traffic spilling. */
  spill(options?: { timeoutMs?: number }): Promise<HealthReport>;
  /** Stops the load. */
  calm(): Promise<void>;
  close(): Promise<void>;
}

export interface FleetOptions {
  /** Wall milliseconds per simulated second (see SandboxOptions). */
  msPerSecond?: number;
  /** Completions kept in flight by spill(). */
  spillConcurrency?: number;
  log?: (line: string) => void;
}

export async function startFleet({
  msPerSecond = Number(process.env.SPILLWAY_MS_PER_SECOND ?? 10),
  spillConcurrency = Number(process.env.SPILLWAY_SPILL_CONCURRENCY ?? 48),
  log = () => undefined,
}: FleetOptions = {}): Promise<Fleet> {
  const text = readFileSync(EXAMPLE_FILE, 'utf8');
  const checked = checkSpec([{ file: 'examples/food-review.yaml', text }]);
  if (!checked.ok) throw new Error(`examples/food-review.yaml: ${JSON.stringify(checked.issues)}`);
  const spec = checked.spec;

  // Small KV caches (4 sequences) and 60-simulated-second requests, as the load test uses, so a few
  // dozen concurrent requests fill the preferred region; 1 ms per simulated second keeps apply short.
  const sandbox = await startSandbox({
    msPerSecond,
    modelServers: { capacity: 4, secondsPerRequest: 60 },
    ...(existsSync(upstreamDir) ? { upstreamDir } : {}),
  });
  const env = { ...sandbox.env };
  const cloud = cloudFromEnv(env);
  const dir = await mkdtemp(join(tmpdir(), 'spillway-card-'));
  const platformFile = join(dir, 'inference-prod.yaml');
  const load = new LoadDriver();
  try {
    log('applying examples/food-review.yaml to the sandbox');
    const timing = { ...EMULATOR_TIMING, pollIntervalMs: 10, initialBackoffMs: 10, maxBackoffMs: 100 };
    const applied = await applySpec(spec, {
      cloud,
      timing,
      env: { ...env, HF_TOKEN: SANDBOX_HF_TOKEN },
      allowReplace: false,
    });
    if (!applied.converged)
      throw new Error('applying examples/food-review.yaml to the sandbox did not converge');
    log('verifying every region once, so the card has a last verify to show');
    await verifyUntilServing(spec, cloud);
    await writeFile(platformFile, platformDocument(text));
  } catch (error) {
    await cloud.close();
    await sandbox.close();
    throw error;
  }

  const readHealth = () =>
    readServiceHealth({ file: platformFile, text: readFileSync(platformFile, 'utf8') }, SERVICE, {
      cloud,
      regionTimeoutMs: 5_000,
    });

  return {
    sandbox,
    cloud,
    env,
    spec,
    platformFile,
    readHealth,
    async spill({ timeoutMs = 60_000 } = {}) {
      const service = spec.services[0]!;
      const preferred = (await readHealth()).regions.find((r) => r.preferred && r.gatewayAddress);
      if (!preferred?.gatewayAddress) throw new Error('the preferred region has no gateway address to load');
      const host = preferred.gatewayAddress.includes(':')
        ? preferred.gatewayAddress
        : `${preferred.gatewayAddress}:${service.gateway.port}`;
      load.start(`http://${host}/v1/completions`, completionRequest(service), spillConcurrency);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const report = await readHealth();
        if (report.regions.some((r) => r.spilling)) return report;
        if (Date.now() > deadline) {
          throw new Error(
            `no region took overflow within ${timeoutMs / 1000} s of load: ${JSON.stringify(
              report.regions.map((r) => [r.region, r.utilization, r.modelServers]),
            )}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    calm: () => load.stop(),
    async close() {
      await load.stop();
      await cloud.close();
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The InferencePlatform document of a multi-document YAML text, as its own file. */
function platformDocument(text: string): string {
  const platform = text.split(/^---[ \t]*$/m).find((doc) => /^kind:\s*InferencePlatform\s*$/m.test(doc));
  if (!platform) throw new Error('examples/food-review.yaml has no InferencePlatform document');
  return platform.trim() + '\n';
}

/** The model servers pass their first health checks a moment after the Gateway is programmed. */
async function verifyUntilServing(spec: Spec, cloud: Cloud): Promise<HealthReport> {
  for (let attempt = 0; ; attempt++) {
    const report = await verifySpec(spec, { cloud, regionTimeoutMs: 10_000, from: 'runner' });
    if (report.ok || attempt >= 50) return report;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Keeps many completions in flight at once, batch after batch, until stopped. */
class LoadDriver {
  private running?: Promise<void>;
  private stopping = false;

  start(url: string, request: { body: object; headers: Record<string, string> }, concurrency: number) {
    if (this.running) return;
    this.stopping = false;
    this.running = (async () => {
      while (!this.stopping) {
        await runLoad({
          url,
          concurrency,
          requests: concurrency * 4,
          timeoutSeconds: 30,
          body: request.body,
          headers: request.headers,
        });
      }
    })();
  }

  async stop() {
    this.stopping = true;
    await this.running;
    this.running = undefined;
  }
}
