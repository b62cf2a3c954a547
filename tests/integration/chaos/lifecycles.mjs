// The lifecycles a platform team runs (issue 13), under faults: apply → destroy → apply, a region,
// a service and a pool dropped then added back, two CLI runs at once, a destroy killed mid-way, and
// quotas. Each ends judged from the sandbox's own state, like the rest of the matrix.
import { readFileSync } from 'node:fs';
import { checkSpec, renderDesiredState } from '@spillway/shared';
import { inventory } from './inventory.mjs';
import {
  APIS,
  convergedOutcome,
  examplePath,
  failures,
  PROJECT,
  runCli,
  scenario,
  seeded,
  transientRules,
} from './scenarios.mjs';

const exampleText = readFileSync(examplePath, 'utf8');
const [platformText] = exampleText.split(/^---$/m);
const threeRegionsText = exampleText.replace(
  '---\n',
  `    - name: gke-central
      location: us-central1-a
      proxySubnet: { cidr: 10.9.0.0/23 }
      acceleratorPools:
        - name: h100
          accelerator: { type: nvidia-h100-80gb, count: 2 }
          machineType: a3-highgpu-2g
          spot: true
          nodes: { initial: 1, min: 1, max: 2 }
---
`,
);
const at = platformText.lastIndexOf('- name: h100');
const otherPoolText = `${platformText.slice(0, at)}- name: h100-spare${platformText.slice(at + '- name: h100'.length)}`;

function parsed(file, text) {
  const checked = checkSpec([{ file, text }]);
  if (!checked.ok) throw new Error(`${file}: ${JSON.stringify(checked.issues)}`);
  return checked.spec;
}
const example = parsed('food-review.yaml', exampleText);
const EMPTY = { resources: [] };

/** 10% of every API's calls fail with 429/500/503, seeded. */
const everyApiFails = (seed, rate = 0.1) => ({
  seed,
  rules: APIS.flatMap((api) => transientRules(api, rate)),
});

/** Applies `steps` in order under the scenario's faults; each must converge with a clean plan after it. */
async function steps(s, list, faults) {
  const done = [];
  for (const [name, spec] of list) {
    s.sandbox.faults.setPlan(faults);
    const result = await convergedOutcome(s, await s.applyOther(spec), spec);
    if (!result.ok) return { ok: false, outcome: `${[...done, name].join(' → ')}: ${result.outcome}` };
    done.push(name);
  }
  return { ok: true, outcome: `${done.join(' → ')}: each converged, plan all noop after each` };
}

function applyDestroyApply() {
  const name = 'apply → destroy → apply, 10% of every API’s calls fail';
  return {
    name,
    run: () =>
      scenario(name, everyApiFails(401), async (s) => {
        const first = await convergedOutcome(s, await s.apply());
        if (!first.ok) return { ok: false, outcome: `first apply: ${first.outcome}` };
        s.sandbox.faults.setPlan(everyApiFails(402));
        const destroyed = await s.destroy();
        const left = inventory(s.sandbox, EMPTY, { project: PROJECT });
        const clusters = Object.keys(s.sandbox.gke.model.state.clusters).length;
        if (!destroyed.converged || left.orphans.length || clusters)
          return {
            ok: false,
            outcome: `destroy: converged ${destroyed.converged}, ${clusters} cluster(s) and ${left.orphans.length} marked object(s) left; ${failures(destroyed).join('; ')}`,
          };
        s.sandbox.faults.setPlan(everyApiFails(403));
        const again = await convergedOutcome(s, await s.apply());
        return { ...again, outcome: `apply, destroy (nothing left), apply again: ${again.outcome}` };
      }),
  };
}

function shrinkAndGrow() {
  const name = 'a region, a service and a pool dropped, then added back, 10% of every API’s calls fail';
  const three = parsed('three-regions.yaml', threeRegionsText);
  return {
    name,
    run: () =>
      scenario(
        name,
        undefined,
        async (s) => ({
          ...(await steps(
            s,
            [
              ['3 regions', three],
              ['2 regions', example],
              ['no service', parsed('platform.yaml', platformText)],
              ['another pool', parsed('other-pool.yaml', otherPoolText)],
              ['all back', three],
            ],
            everyApiFails(404),
          )),
          desired: renderDesiredState(three),
        }),
        240_000,
      ),
  };
}

function twoAtOnce() {
  const name =
    'two CLI applies at once, twice (a first apply, then a re-apply), 10% of every API’s calls fail';
  const args = ['apply', '-f', examplePath, '--output', 'json'];
  const both = async (env) => {
    const runs = await Promise.all([runCli(args, env), runCli(args, env)]);
    return {
      codes: runs.map((r) => r.code),
      waited: runs.some((r) => /is being changed by .* since/.test(r.output)),
      tails: runs.map((r) => r.output.slice(-200)).join(' | '),
    };
  };
  return {
    name,
    run: () =>
      scenario(name, everyApiFails(405), async (s) => {
        // No config cluster yet, so no claim: both race, and must still create nothing twice.
        const first = await both(s.env);
        if (first.codes.some((c) => c !== 0))
          return { ok: false, outcome: `first pair exit ${first.codes.join(', ')}: ${first.tails}` };
        // The config cluster holds claims now: one run waits for the other.
        const second = await both(s.env);
        if (second.codes.some((c) => c !== 0) || !second.waited)
          return {
            ok: false,
            outcome: `second pair exit ${second.codes.join(', ')}, waited ${second.waited}: ${second.tails}`,
          };
        const result = await convergedOutcome(s, await s.apply());
        return {
          ...result,
          outcome: `first pair (no claim possible yet) both exit 0; second pair both exit 0, one waited for the other; ${result.outcome}`,
        };
      }),
  };
}

function destroyKilled(points = 8) {
  const name = `CLI destroy killed (SIGKILL) at ${points} seeded points, then re-run`;
  return {
    name,
    run: () =>
      scenario(
        name,
        undefined,
        async (s) => {
          if (!(await s.apply()).converged) return { ok: false, outcome: 'the apply did not converge' };
          const random = seeded(2027);
          let killed = 0;
          for (let i = 0; i < points; i++) {
            const run = await runCli(
              ['destroy', '-f', examplePath, '--yes'],
              s.env,
              300 + Math.floor(random() * 1500),
            );
            if (run.signal === 'SIGKILL') killed++;
          }
          const last = await runCli(['destroy', '-f', examplePath, '--yes'], s.env);
          const left = inventory(s.sandbox, EMPTY, { project: PROJECT });
          const clusters = Object.keys(s.sandbox.gke.model.state.clusters).length;
          const ok = last.code === 0 && !left.orphans.length && !clusters;
          return {
            ok,
            outcome: `${killed} killed mid-destroy; re-run exit ${last.code}, ${clusters} cluster(s) and ${left.orphans.length} marked object(s) left`,
            desired: EMPTY,
          };
        },
        300_000,
      ),
  };
}

function quotas() {
  const name =
    'a hard GPU quota fails at once, named; raised, the re-run converges; per-minute quotas retried';
  const hard = {
    api: 'container',
    method: 'CreateNodePool',
    quota: { metric: 'PREEMPTIBLE_NVIDIA_H100_GPUS', region: 'us-east4', limit: 2, usage: 2 },
  };
  const perMinute = [
    'gkehub memberships.create',
    'compute subnetworks.insert',
    'container CreateCluster',
  ].map((key) => {
    const [api, method] = key.split(' ');
    return { api, method, rateLimit: {}, times: 2 };
  });
  return {
    name,
    run: () =>
      scenario(name, { rules: [hard, ...perMinute] }, async (s) => {
        const first = await s.apply();
        const failed = failures(first);
        const named =
          failed.length === 1 &&
          /quota PREEMPTIBLE_NVIDIA_H100_GPUS in us-east4 is exhausted/.test(failed[0]);
        const limited = s.sandbox.faults.log.filter((f) => f.fault === 'rate limit').length;
        if (first.converged || !named)
          return { ok: false, outcome: `first apply: ${first.converged ? 'converged' : failed.join('; ')}` };
        s.sandbox.faults.setPlan({});
        const second = await convergedOutcome(s, await s.apply());
        return {
          ...second,
          outcome: `failed once naming the quota (and ${limited} per-minute quota answers retried), then re-run: ${second.outcome}`,
        };
      }),
  };
}

export const lifecycleScenarios = () => [
  applyDestroyApply(),
  shrinkAndGrow(),
  twoAtOnce(),
  destroyKilled(),
  quotas(),
];
