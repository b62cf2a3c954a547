// npm run chaos: the fault matrix and the broken-spec corpus against the sandbox, with the real
// clients and the real CLI. One line per scenario as it finishes; exits 1 if any outcome is wrong.
import { cpus } from 'node:os';
import {
  cleanRun,
  countersSelfCheck,
  darkRegionScenario,
  iamContentionScenario,
  killScenario,
  lostResponsesScenario,
  operationScenarios,
  reapplyScenario,
  state,
  transientScenarios,
} from './scenarios.mjs';
import { badInput, longLivedProcess } from './bad-input.mjs';
import { lifecycleScenarios } from './lifecycles.mjs';

const started = performance.now();
let wrong = 0;
const mark = (ok) => (ok ? '✓' : '✗');
const list = (items) => (items.length ? `${items.length} (${items.slice(0, 2).join(', ')})` : '0');

function printScenario(r) {
  const clean = !r.duplicates.length && !r.orphans.length && !r.missing.length && !r.bindingsLost.length;
  const ok = r.ok && clean;
  if (!ok) wrong++;
  console.log(
    `${mark(ok)} ${r.name}: ${r.outcome} | duplicates ${list(r.duplicates)} · orphans ${list(r.orphans)} · ` +
      `missing ${list(r.missing)} · bindings lost ${list(r.bindingsLost)} · faults injected ${r.injected} · ${r.seconds.toFixed(1)} s`,
  );
}

console.log(
  `spillway chaos, ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores; sandbox at 1 ms per simulated second`,
);
console.log(
  'Counted from the sandbox state after each scenario: duplicates (two live objects for one cluster, membership target or ' +
    "region's proxy-only subnet), orphans (Spillway-marked objects not in the desired state), missing (desired, not live), " +
    'bindings lost (IAM bindings there before, or desired, now gone).\n',
);

console.log(`Faults (the example: 2 regions, ${state.resources.length} resources):`);
const control = await cleanRun();
printScenario(control.result);
const scenarios = [
  countersSelfCheck(),
  ...transientScenarios(),
  reapplyScenario('kubernetes', 0.1),
  reapplyScenario('kubernetes', 0.3),
  lostResponsesScenario(control.creates),
  ...operationScenarios(),
  killScenario(20),
  iamContentionScenario(20),
  darkRegionScenario(),
  ...lifecycleScenarios(),
];
for (const scenario of scenarios) printScenario(await scenario.run());

console.log(
  '\nBad input: `spillway plan -f FILE` with the sandbox environment; exit 2, the field named, 0 API calls:',
);
const corpus = await badInput((r) => {
  if (!r.ok) wrong++;
  console.log(
    `${mark(r.ok)} exit ${r.code}, ${r.calls} calls${r.named ? '' : ', field NOT named'}: ${r.firstLine}`,
  );
});
const survivor = await longLivedProcess();
if (!survivor.ok) wrong++;
console.log(
  `${mark(survivor.ok)} hostile specs checked twice in one long-lived process: ${survivor.outcome}`,
);

const total = scenarios.length + 1 + corpus.length + 1;
console.log(
  `\n${total - wrong} of ${total} right (${scenarios.length + 1} fault scenarios, ${corpus.length} broken specs, 1 long-lived process) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
// A scenario stopped at its time limit may still have work in flight: do not wait for it.
process.exit(wrong ? 1 : 0);
