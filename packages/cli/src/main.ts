#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, processIo, type Io } from './io.js';
import { render, validate, type Output } from './commands.js';
import type { SandboxUpOptions } from './sandbox-up.js';
import type { EngineCommandOptions } from './engine-commands.js';
import { cliVersion } from './version.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** Runs the spillway command line; returns the exit code (CONTRACT.md §2). */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('spillway')
    .description('Multi-region GKE Inference Gateway from one spec.')
    .version(cliVersion(), '-V, --version', 'print the version of spillway')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run spillway --help for usage)');
  const common = (cmd: Command) =>
    cmd
      .requiredOption('-f, --file <path>', 'spec file (repeat for several)', collect, [])
      .option(
        '--platform <path>',
        "a platform's spec, read-only: its services use it, nothing of it is changed (repeat for several)",
        collect,
        [],
      )
      .addOption(
        new Option('--output <format>', 'text, or json on stdout').choices(['text', 'json']).default('text'),
      );

  common(
    program.command('validate').description('parse and check the spec; reads and writes nothing else'),
  ).action(async (opts: { file: string[]; platform: string[]; output: Output }) => {
    code = await validate(opts.file, opts.output, io, opts.platform);
  });
  common(
    program
      .command('render')
      .description(
        'write every Kubernetes manifest per cluster and an equivalent gcloud/kubectl script, offline',
      )
      .requiredOption('--out <dir>', 'directory to write into'),
  ).action(async (opts: { file: string[]; platform: string[]; out: string; output: Output }) => {
    code = await render(opts.file, opts.out, opts.output, io, opts.platform);
  });

  const engine = (cmd: Command) =>
    common(cmd)
      .option('--yes', 'go on without a prompt where something is replaced or destroyed')
      .option(
        '--allow-in-use',
        "delete a platform's clusters although services outside this spec still run there (--yes alone never does)",
      )
      .option(
        '--lock-timeout <seconds>',
        'how long to wait while another run changes the same platform or service (default 1800)',
        (v: string) => {
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number of seconds');
          return n;
        },
      )
      .option('--sandbox [dir]', 'use the sandbox started with `spillway sandbox up` (its --state-dir)');
  const runEngine = (name: 'plan' | 'apply' | 'destroy') => async (opts: EngineCommandOptions) => {
    const commands = await import('./engine-commands.js');
    const run = {
      plan: commands.planCommand,
      apply: commands.applyCommand,
      destroy: commands.destroyCommand,
    }[name];
    code = await run(opts, io);
  };
  common(
    program
      .command('preflight')
      .description(
        'read only: per region, what would stop an apply (quota, accelerators offered, GKE version, reservations, network, APIs, permissions); exit 1 on a certain failure',
      )
      .option('--sandbox [dir]', 'use the sandbox started with `spillway sandbox up` (its --state-dir)'),
  ).action(async (opts: EngineCommandOptions) => {
    const { preflightCommand } = await import('./preflight-commands.js');
    code = await preflightCommand(opts, io);
  });
  engine(
    program
      .command('plan')
      .description('read live state; print create / update / replace / delete / no-op per resource'),
  ).action(runEngine('plan'));
  engine(
    program
      .command('apply')
      .description('converge live state to the spec; idempotent and safe to re-run after any failure'),
  ).action(runEngine('apply'));
  const runHealth = (name: 'status' | 'verify') => async (opts: EngineCommandOptions & { from?: string }) => {
    const from = opts.from ?? 'cluster';
    if (from !== 'cluster' && from !== 'runner') {
      io.stderr(`spillway: --from must be cluster or runner, not ${from}\n`);
      code = EXIT.invalid;
      return;
    }
    if ((opts as { failoverDrill?: boolean }).failoverDrill && !opts.yes) {
      io.stderr(
        "spillway: --failover-drill takes the preferred region's model servers away for a while: pass --yes to go ahead\n",
      );
      code = EXIT.invalid;
      return;
    }
    const commands = await import('./health-commands.js');
    code = await (name === 'status' ? commands.statusCommand : commands.verifyCommand)({ ...opts, from }, io);
  };
  engine(
    program
      .command('verify')
      .description('check every region end to end and send a test completion through each gateway address'),
  )
    .option(
      '--from <where>',
      'send the test completion from a Job in the config cluster (cluster) or from here (runner)',
      'cluster',
    )
    .option('--load-test', 'ramp load on the gateway and check that it spills over only at the threshold')
    .option(
      '--failover-drill',
      "take the preferred region's model servers away, check the others serve, restore them (needs --yes)",
    )
    .option('--report-dir <dir>', 'where the load test chart (SVG) is written', '.spillway/verify')
    .action(runHealth('verify'));
  engine(
    program.command('status').description('one health snapshot per region: reads only, in parallel'),
  ).action(runHealth('status'));
  engine(
    program.command('destroy').description('delete what Spillway created for the spec, dependents first'),
  ).action(runEngine('destroy'));

  program
    .command('sandbox')
    .description('the local stand-in for Google Cloud and Kubernetes')
    .command('up')
    .description('start the sandbox and print the environment that reaches it; runs until stopped')
    .option(
      '--state-dir <dir>',
      'where the gcloud configuration, kubeconfig and state are kept while it runs',
      '.spillway/sandbox',
    )
    .option(
      '--faults <file>',
      'a JSON fault plan: error rates, latency, operation errors, lost responses, dark regions',
    )
    .option(
      '--time-scale <ms>',
      'wall milliseconds per simulated second (10 makes a 7-minute cluster creation take 4 s)',
      '10',
    )
    .option('--schemas <dir>', 'check Kubernetes objects against the upstream schemas in this folder')
    .option(
      '--no-region-header',
      "the gateways do not name the serving region in their answers, as on GKE (the model servers' request counters tell)",
    )
    .action(
      async (opts: {
        stateDir: string;
        faults?: string;
        timeScale: string;
        schemas?: string;
        regionHeader: boolean;
      }) => {
        const options: SandboxUpOptions = {
          stateDir: opts.stateDir,
          msPerSecond: opts.timeScale,
          ...(opts.faults ? { faults: opts.faults } : {}),
          ...(opts.schemas ? { schemas: opts.schemas } : {}),
          ...(opts.regionHeader === false ? { regionHeader: false } : {}),
        };
        // Loaded on demand: the sandbox brings gRPC and the Google clients, which validate does not need.
        const { sandboxUp } = await import('./sandbox-up.js');
        code = await sandboxUp(options, io, stopSignal());
      },
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    }
    io.stderr(`spillway: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  return code;
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<unknown> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

const invokedDirectly =
  process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
