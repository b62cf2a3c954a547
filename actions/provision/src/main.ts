import * as core from '@actions/core';
import {
  applySpec,
  cloudFromEnv,
  destroySpec,
  EMULATOR_TIMING,
  planSpec,
  REAL_TIMING,
  type ProgressEvent,
  type Spec,
  planJson,
} from '@spillway/shared';
import { booleanInput, loadSpec, seconds } from '../../inputs.js';

/**
 * actions/provision: plan, apply or destroy a Spillway spec in a workflow step. Credentials come
 * from google-github-actions/auth earlier in the job (Application Default Credentials).
 */
export async function run(): Promise<void> {
  try {
    // Masked before anything else can print it.
    const token = core.getInput('hf_token');
    if (token) core.setSecret(token);
    const command = core.getInput('command') || 'plan';
    if (!['plan', 'apply', 'destroy'].includes(command))
      throw new Error(`input command must be plan, apply or destroy, not ${JSON.stringify(command)}`);
    const workingDirectory = core.getInput('working_directory') || '.';
    const spec = await loadSpec(
      core.getInput('spec', { required: true }),
      workingDirectory,
      core.getInput('platform'),
    );
    const env = withToken(spec, token);
    const cloud = cloudFromEnv(env);
    const timing = cloud.emulated ? EMULATOR_TIMING : REAL_TIMING;
    const onEvent = (e: ProgressEvent) => {
      if (
        ['creating', 'updating', 'replacing', 'deleting', 'retrying', 'done', 'failed', 'blocked'].includes(
          e.state,
        ) &&
        !(e.state === 'done' && e.action === 'noop')
      ) {
        core.info(
          `${e.state.padEnd(9)} ${e.title}${e.detail ? ` — ${e.detail}` : ''}${e.elapsedMs ? ` (${seconds(e.elapsedMs)})` : ''}`,
        );
      }
    };
    const allowReplace = booleanInput('allow_replace');
    const allowInUse = booleanInput('allow_in_use');
    try {
      const plan = await core.group('Plan', () => planSpec(spec, { cloud, timing, env }));
      const changes = plan.resources.filter((r) => r.action !== 'noop');
      core.setOutput('plan', JSON.stringify(planJson(plan)));
      if (command === 'plan') {
        core.setOutput('changed', String(changes.length > 0));
        await summary(
          'Spillway plan',
          changes.map((r) => [r.title, r.action, r.reason]),
          ['Resource', 'Action', 'Reason'],
          `${changes.length} change(s), ${plan.resources.length - changes.length} unchanged`,
        );
        return;
      }
      const result =
        command === 'apply'
          ? await core.group('Apply', () =>
              applySpec(spec, { cloud, timing, env, allowReplace, allowInUse, onEvent }),
            )
          : await core.group('Destroy', () => destroySpec(spec, { cloud, timing, env, allowInUse, onEvent }));
      if (result.refused)
        throw new Error(`${result.refused.replace('run again with --yes', "set allow_replace: 'true'")}`);
      const changed = result.resources.filter((r) => r.state === 'done' && r.action !== 'noop');
      core.setOutput('changed', String(changed.length > 0));
      const addresses =
        'gateway' in result
          ? (result as { gateway: { addresses: Record<string, string> } }).gateway.addresses
          : {};
      core.setOutput('gateway_addresses', JSON.stringify(addresses));
      const rows = result.resources
        .filter((r) => r.action !== 'noop' || r.state !== 'done')
        .map((r) => [
          r.title,
          r.action,
          r.state === 'done' ? seconds(r.elapsedMs) : `${r.state}${r.error ? `: ${r.error}` : ''}`,
        ]);
      await summary(
        `Spillway ${command}`,
        rows,
        ['Resource', 'Action', 'Time'],
        `${changed.length} changed, ${result.resources.length - changed.length} unchanged`,
        addresses,
      );
      const failed = result.resources.filter((r) => r.state === 'failed');
      if (!result.converged)
        throw new Error(
          `${failed.length} resource(s) failed: ${failed.map((r) => `${r.title}: ${r.error}`).join('; ')}`,
        );
    } finally {
      await cloud.close();
    }
  } catch (error) {
    core.setFailed(`spillway provision failed with: ${(error as Error).message}`);
  }
}

/** The token reaches the engine as the spec's fromEnv variable, and nowhere else. */
function withToken(spec: Spec, token: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!token) return env;
  for (const service of spec.services) {
    const source = service.model.huggingFaceToken;
    if (source.fromEnv) env[source.fromEnv] = token;
  }
  return env;
}

async function summary(
  title: string,
  rows: string[][],
  header: string[],
  totals: string,
  addresses: Record<string, string> = {},
) {
  core.summary.addHeading(title, 2).addRaw(`${totals}\n\n`, true);
  if (rows.length) core.summary.addTable([header.map((data) => ({ data, header: true })), ...rows]);
  if (Object.keys(addresses).length) {
    core.summary.addHeading('Gateway addresses', 3).addTable([
      [
        { data: 'Region', header: true },
        { data: 'Address', header: true },
      ],
      ...Object.entries(addresses).sort(),
    ]);
  }
  await core.summary.write();
}

await run();
