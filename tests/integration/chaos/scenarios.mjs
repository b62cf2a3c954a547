/* global clearTimeout */
// The fault scenarios: each starts its own sandbox, applies the example with the real clients under
// a seeded fault plan, and judges the end state from the sandbox's own state (inventory.mjs).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  applySpec,
  checkSpec,
  cloudFromEnv,
  destroySpec,
  EMULATOR_TIMING,
  planSpec,
  renderDesiredState,
} from '@spillway/shared';
import { startSandbox } from '@spillway/sandbox';
import { inventory, policyBindings } from './inventory.mjs';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
const upstreamDir = `${repo}../shared/upstream`;
export const examplePath = `${repo}examples/food-review.yaml`;
const cli = `${repo}packages/cli/dist/main.js`;
export const PROJECT = 'my-project';
export const TIMING = { ...EMULATOR_TIMING, pollIntervalMs: 10, initialBackoffMs: 10, maxBackoffMs: 100 };

const checked = checkSpec([{ file: 'food-review.yaml', text: readFileSync(examplePath, 'utf8') }]);
if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
const spec = checked.spec;
export const state = renderDesiredState(spec);

/** The APIs as the fault plan names them. */
export const APIS = ['container', 'gkehub', 'compute', 'cloudresourcemanager', 'serviceusage', 'kubernetes'];
const STATUSES = [429, 500, 503];

/** A sandbox, the real clients pointed at it, and the project's IAM bindings before anything ran. */
async function open(faults) {
  const sandbox = await startSandbox({
    msPerSecond: 1,
    ...(existsSync(upstreamDir) ? { upstreamDir } : {}),
    ...(faults ? { faults } : {}),
  });
  const env = { ...process.env, ...sandbox.env, HF_TOKEN: 'hf_chaos' };
  const cloud = cloudFromEnv(env);
  // The sandbox makes the project on first use: read its policy once so the baseline exists.
  await fetch(
    `http://${sandbox.env.CLOUDRESOURCEMANAGER_EMULATOR_HOST}/v3/projects/${PROJECT}:getIamPolicy`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
  );
  sandbox.faults.calls.clear(); // that read is not the scenario's
  return {
    sandbox,
    cloud,
    env,
    bindingsBefore: policyBindings(sandbox, PROJECT),
    apply: (timing = TIMING, onEvent) =>
      applySpec(spec, { cloud, env, timing, allowReplace: false, ...(onEvent ? { onEvent } : {}) }),
    /** Another spec (a lifecycle step); `--yes` is given: the steps drop clusters and pools on purpose. */
    applyOther: (other) => applySpec(other, { cloud, env, timing: TIMING, allowReplace: true }),
    destroy: (other = spec) => destroySpec(other, { cloud, env, timing: TIMING, allowReplace: true }),
    close: async () => {
      await cloud.close();
      await sandbox.close();
    },
  };
}

export const failures = (report) =>
  report.resources.filter((r) => r.state === 'failed').map((r) => `${r.title}: ${r.error}`);

/** A scenario with no outcome by then has failed (the rest of the run goes on). */
const LIMIT_MS = 120_000;

/**
 * Runs one scenario and counts what its end state holds; `run` returns { ok, outcome } and, when
 * it ends on another spec than the example, `desired`: the state the counts are taken against.
 */
export async function scenario(name, faults, run, limitMs = LIMIT_MS) {
  const started = performance.now();
  const s = await open(faults);
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, outcome: `no outcome within ${limitMs / 1000} s (stopped)` }),
      limitMs,
    );
  });
  try {
    const { ok, outcome, desired = state } = await Promise.race([run(s), limit]);
    const counts = inventory(s.sandbox, desired, { project: PROJECT, bindingsBefore: s.bindingsBefore });
    const injected = s.sandbox.faults.log.length;
    return { name, ok, outcome, injected, seconds: (performance.now() - started) / 1000, ...counts };
  } catch (error) {
    return {
      name,
      ok: false,
      outcome: `crashed: ${String(error?.stack ?? error).split('\n')[0]}`,
      injected: s.sandbox.faults.log.length,
      seconds: (performance.now() - started) / 1000,
      duplicates: [],
      orphans: [],
      missing: [],
      bindingsLost: [],
    };
  } finally {
    clearTimeout(timer);
    await s.close();
  }
}

/** Converged, and a plan afterwards (an observer: without faults) finds nothing to do. */
export async function convergedOutcome(s, report, desiredSpec = spec) {
  if (!report.converged) return { ok: false, outcome: `did not converge: ${failures(report).join('; ')}` };
  s.sandbox.faults.setPlan({});
  const plan = await planSpec(desiredSpec, { cloud: s.cloud, env: s.env, timing: TIMING });
  const left = plan.resources.filter((r) => r.action !== 'noop');
  if (left.length) return { ok: false, outcome: `converged, but a plan still has ${left.length} change(s)` };
  return { ok: true, outcome: 'converged' };
}

/** An error rate split over 429, 500 and 503 so that a call fails with probability `rate`. */
export function transientRules(api, rate) {
  const each = 1 - Math.pow(1 - rate, 1 / STATUSES.length);
  return STATUSES.map((status) => ({ api, errorRate: each, status }));
}

export function transientScenarios() {
  return APIS.flatMap((api) =>
    [0.1, 0.3, 0.5].map((rate, i) => ({
      name: `${api}: ${rate * 100}% of calls fail (429/500/503)`,
      run: () =>
        scenario(
          `${api}: ${rate * 100}% of calls fail (429/500/503)`,
          { seed: 100 + APIS.indexOf(api) * 10 + i, rules: transientRules(api, rate) },
          async (s) => convergedOutcome(s, await s.apply()),
        ),
    })),
  );
}

/** A converged fleet re-applied while one API fails at `rate`: nothing to change, it must still finish. */
export function reapplyScenario(api, rate) {
  const name = `re-apply of a converged fleet, ${api}: ${rate * 100}% of calls fail`;
  return {
    name,
    run: () =>
      scenario(name, undefined, async (s) => {
        const first = await s.apply();
        if (!first.converged) return { ok: false, outcome: 'the fault-free apply did not converge' };
        s.sandbox.faults.setPlan({ seed: 300, rules: transientRules(api, rate) });
        const started = performance.now();
        const again = await convergedOutcome(s, await s.apply());
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        return { ...again, outcome: `${again.outcome} in ${seconds} s` };
      }),
  };
}

/**
 * The first response of every create is lost (applied on the server, a 503 for the client): each
 * create method loses as many responses as a clean apply makes calls to it.
 */
export function lostResponsesScenario(createCounts) {
  const total = [...createCounts.values()].reduce((a, b) => a + b, 0);
  const name = `first response of every create lost (${total} calls, ${createCounts.size} methods)`;
  return {
    name,
    run: () =>
      scenario(
        name,
        {
          seed: 7,
          rules: [...createCounts].map(([key, times]) => {
            const [api, ...method] = key.split(' ');
            return { api, method: method.join(' '), lostResponseRate: 1, times };
          }),
        },
        async (s) => {
          const result = await convergedOutcome(s, await s.apply());
          const lost = s.sandbox.faults.log.filter((f) => f.fault === 'lost response').length;
          return { ...result, outcome: `${result.outcome} (${lost} responses lost)` };
        },
      ),
  };
}

/** An operation that ends in an error: apply must fail naming its cause; a re-run once it clears converges. */
function operationFailure(name, method, code, message) {
  return {
    name,
    run: () =>
      scenario(
        name,
        { rules: [{ api: 'container', method, operationError: { code, message }, times: 1 }] },
        async (s) => {
          const first = await s.apply();
          const failed = failures(first);
          const named = failed.length > 0 && failed.every((f) => f.includes(code));
          if (first.converged || !named)
            return {
              ok: false,
              outcome: `first apply: ${first.converged ? 'converged' : failed.join('; ')}`,
            };
          s.sandbox.faults.setPlan({});
          const second = await convergedOutcome(s, await s.apply());
          return {
            ok: second.ok,
            outcome: `failed with ${code} (${failed.length} resource), then re-run: ${second.outcome}`,
          };
        },
      ),
  };
}

export const operationScenarios = () => [
  operationFailure(
    'node pool create ends in GCE_STOCKOUT (H100s)',
    'CreateNodePool',
    'GCE_STOCKOUT',
    'The zone does not have enough resources available to fulfill the request (nvidia-h100-80gb).',
  ),
  operationFailure(
    'cluster create ends in a quota error',
    'CreateCluster',
    'GCE_QUOTA_EXCEEDED',
    "Insufficient regional quota to satisfy request: resource 'CPUS'.",
  ),
];

/** mulberry32, seeded: the kill points are the same on every run. */
export function seeded(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runCli(args, env, killAfterMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

export function killScenario(points = 20) {
  const name = `CLI apply killed (SIGKILL) at ${points} seeded points, then re-run`;
  return {
    name,
    run: () =>
      scenario(
        name,
        undefined,
        async (s) => {
          const random = seeded(2026);
          let killed = 0;
          for (let i = 0; i < points; i++) {
            const run = await runCli(
              ['apply', '-f', examplePath, '--output', 'json'],
              s.env,
              300 + Math.floor(random() * 4000),
            );
            if (run.signal === 'SIGKILL') killed++;
          }
          const last = await runCli(['apply', '-f', examplePath, '--output', 'json'], s.env);
          if (last.code !== 0)
            return { ok: false, outcome: `re-run exited ${last.code}: ${last.output.slice(-300)}` };
          const result = await convergedOutcome(s, await s.apply());
          return { ...result, outcome: `${killed} killed mid-apply; re-run exit 0, ${result.outcome}` };
        },
        300_000,
      ),
  };
}

export function iamContentionScenario(writers = 20) {
  const name = `IAM policy contended by ${writers} concurrent writers during apply`;
  return {
    name,
    run: () =>
      scenario(name, undefined, async (s) => {
        const rm = `http://${s.sandbox.env.CLOUDRESOURCEMANAGER_EMULATOR_HOST}/v3/projects/${PROJECT}`;
        const post = async (path, body) => {
          const res = await fetch(`${rm}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          return { status: res.status, data: await res.json() };
        };
        const random = seeded(20);
        const writer = async (i) => {
          for (let attempt = 0; attempt < 500; attempt++) {
            const { data: policy } = await post(':getIamPolicy', { options: { requestedPolicyVersion: 3 } });
            policy.bindings = [
              ...(policy.bindings ?? []),
              { role: 'roles/viewer', members: [`user:writer-${i}@example.com`] },
            ];
            if ((await post(':setIamPolicy', { policy })).status === 200) return;
            await new Promise((r) => setTimeout(r, random() * 5));
          }
          throw new Error(`writer ${i} never won`);
        };
        const [report] = await Promise.all([
          s.apply(),
          ...Array.from({ length: writers }, (_, i) => writer(i)),
        ]);
        // The writers' bindings count as bindings that must not be lost.
        for (let i = 0; i < writers; i++) s.bindingsBefore.push(`roles/viewer user:writer-${i}@example.com`);
        return convergedOutcome(s, report);
      }),
  };
}

export function darkRegionScenario(region = 'us-east4', cluster = 'gke-east') {
  const name = `region ${region} goes dark mid-apply, then comes back`;
  // A short deadline for Kubernetes objects so the dark region fails in seconds, not minutes.
  const timing = { ...TIMING, timeoutMs: { ...TIMING.timeoutMs, 'kubernetes.object': 5_000 } };
  return {
    name,
    run: () =>
      scenario(name, undefined, async (s) => {
        let darkened = false;
        const first = await s.apply(timing, (event) => {
          // Once the cluster is up and its first object is being written.
          if (!darkened && event.id.startsWith(`kubernetes/${cluster}/`) && event.state !== 'pending') {
            darkened = true;
            s.sandbox.faults.setPlan({ darkRegions: [region] });
          }
        });
        const failed = first.resources.filter((r) => r.state === 'failed');
        const named = failed.every((r) => `${r.title} ${r.error}`.match(new RegExp(`${region}|${cluster}`)));
        if (!darkened || first.converged || failed.length === 0 || !named)
          return {
            ok: false,
            outcome: `first apply: ${first.converged ? 'converged' : failures(first).slice(0, 3).join('; ')}`,
          };
        s.sandbox.faults.setPlan({});
        const second = await convergedOutcome(s, await s.apply());
        return {
          ok: second.ok,
          outcome: `failed naming ${cluster}/${region} (${failed.length} failed, e.g. "${failed[0].error.slice(0, 90)}"), then re-run: ${second.outcome}`,
        };
      }),
  };
}

/**
 * The counters themselves: after a converged apply, plant one Spillway-marked stray object, a second
 * proxy-only subnet in a region and a removed owner binding; each must be counted exactly once.
 */
export function countersSelfCheck() {
  const name = 'self-check: a planted orphan, duplicate subnet and lost binding are each counted';
  return {
    name,
    run: async () => {
      let planted;
      const result = await scenario(name, undefined, async (s) => {
        if (!(await s.apply()).converged) return { ok: false, outcome: 'the apply did not converge' };
        const server = [...s.sandbox.kube.values()][0];
        server.store.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'stray',
            namespace: 'default',
            labels: { 'app.kubernetes.io/managed-by': 'spillway' },
          },
        });
        const compute = `http://${s.sandbox.env.COMPUTE_EMULATOR_HOST}/compute/v1/projects/${PROJECT}`;
        await fetch(`${compute}/regions/us-east4/subnetworks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'second-proxy',
            ipCidrRange: '10.9.0.0/23',
            network: `projects/${PROJECT}/global/networks/default`,
            purpose: 'GLOBAL_MANAGED_PROXY',
            role: 'BACKUP',
          }),
        });
        const record = s.sandbox.google.states.cloudresourcemanager.projects[PROJECT];
        record.policy.bindings = record.policy.bindings.filter((b) => b.role !== 'roles/owner');
        planted = inventory(s.sandbox, state, { project: PROJECT, bindingsBefore: s.bindingsBefore });
        return { ok: true, outcome: 'planted' };
      });
      const counted = [planted?.orphans.length, planted?.duplicates.length, planted?.bindingsLost.length];
      const ok = result.ok && counted.every((n) => n === 1) && !planted.missing.length;
      // The planted faults are this line's point: report them as counted, not as a failure.
      return {
        ...result,
        ok,
        outcome: `counted orphans ${counted[0]}, duplicates ${counted[1]}, bindings lost ${counted[2]} (each must be 1)`,
        duplicates: [],
        orphans: [],
        bindingsLost: [],
      };
    },
  };
}

const CREATE =
  /^(container Create|gkehub \S+\.create$|compute \S+\.insert$|serviceusage services\.(enable|batchEnable)$|kubernetes (apply|create) )/;

/** A clean apply: the control line, and the create methods the lost-response scenario targets. */
export async function cleanRun() {
  const creates = new Map();
  const result = await scenario('no faults (control)', undefined, async (s) => {
    const outcome = await convergedOutcome(s, await s.apply());
    for (const [key, count] of s.sandbox.faults.calls) if (CREATE.test(key)) creates.set(key, count);
    return outcome;
  });
  return { result, creates };
}
