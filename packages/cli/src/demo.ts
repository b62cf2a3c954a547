import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { BACKEND_REGION_HEADER, startSandbox } from '@spillway/sandbox';
import { applyCommand } from './engine-commands.js';
import { processIo } from './io.js';

/**
 * `npm run demo`: the golden path on a laptop. Starts the sandbox in this process, applies
 * examples/food-review.yaml with live progress, prints each region's gateway address, and sends
 * the seed's test completion through each of them.
 */
const example = fileURLToPath(new URL('../../../examples/food-review.yaml', import.meta.url));

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
    const code = await applyCommand(
      { file: [relative(process.cwd(), example)], output: 'text' },
      processIo,
      env,
    );
    if (code !== 0) return code;
    const gateway = [...sandbox.kube.values()]
      .flatMap((k) => k.store.list('gateway.networking.k8s.io/v1', 'Gateway'))
      .find((g) => g.status?.addresses?.length);
    process.stdout.write('\nA test completion through each region address (as the seed sends it):\n');
    for (const address of gateway?.status.addresses ?? []) {
      const region = String(address.type).split('/').pop();
      const answer = await completion(`http://${address.value}/v1/completions`);
      process.stdout.write(
        `  via ${region?.padEnd(14)} → HTTP ${answer.status}, served in ${answer.servedBy}\n`,
      );
    }
    return 0;
  } finally {
    await sandbox.close();
  }
}

async function completion(url: string): Promise<{ status: number; servedBy: string }> {
  // The model servers pass their first health checks a moment after the Gateway is programmed.
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gateway-inference-objective': 'food-review' },
      body: JSON.stringify({
        model: 'food-review-1',
        prompt: 'What is the best pizza in the world?',
        max_tokens: 100,
        temperature: 0,
      }),
    });
    if (response.status === 200 || attempt >= 50)
      return { status: response.status, servedBy: response.headers.get(BACKEND_REGION_HEADER) ?? '?' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`demo failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
