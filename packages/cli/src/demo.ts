import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { cloudFromEnv, loadSpecOrThrow, verifySpec, type HealthReport } from '@spillway/shared';
import { startSandbox } from '@spillway/sandbox';
import { applyCommand } from './engine-commands.js';
import { healthTable } from './health-commands.js';
import { processIo } from './io.js';

/**
 * `npm run demo`: the golden path on a laptop. Starts the sandbox in this process, applies
 * examples/food-review.yaml with live progress, then verifies every region: its checks and the
 * seed's test completion through each region's gateway address.
 */
const example = relative(
  process.cwd(),
  fileURLToPath(new URL('../../../examples/food-review.yaml', import.meta.url)),
);

async function main(): Promise<number> {
  // 5 ms per simulated second: a 7-minute cluster creation takes about 2 s, so the progress shows.
  const sandbox = await startSandbox({ msPerSecond: 5 });
  try {
    process.stderr.write(
      'Spillway demo: Google Cloud and Kubernetes simulated on 127.0.0.1 (the sandbox).\n\n',
    );
    const env = {
      ...process.env,
      ...sandbox.env,
      HF_TOKEN: process.env.HF_TOKEN || 'hf_demo_token_for_the_sandbox',
    };
    const code = await applyCommand({ file: [example], output: 'text' }, processIo, env);
    if (code !== 0) return code;
    process.stdout.write(
      '\nVerifying every region (a test completion through each gateway address, as the seed sends it):\n\n',
    );
    const report = await verifyWhenServing(await loadSpecOrThrow([example]), env);
    process.stdout.write(healthTable(report, true));
    return report.ok ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}

/** The model servers pass their first health checks a moment after the Gateway is programmed. */
async function verifyWhenServing(
  spec: Awaited<ReturnType<typeof loadSpecOrThrow>>,
  env: NodeJS.ProcessEnv,
): Promise<HealthReport> {
  const cloud = cloudFromEnv(env);
  try {
    for (let attempt = 0; ; attempt++) {
      const report = await verifySpec(spec, { cloud, regionTimeoutMs: 10_000, from: 'runner' });
      if (report.ok || attempt >= 30) return report;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await cloud.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
