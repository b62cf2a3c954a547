/**
 * The rendered ComputeClass and PodDisruptionBudget against the upstream schemas (the ComputeClass
 * CRD in ../shared/upstream/cloud.google.com, Kubernetes 1.32's policy/v1), and the CRD's own CEL
 * rules (x-kubernetes-validations, which ajv does not run) evaluated with cel-js.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { evaluate } from '@marcbachmann/cel-js';
import { parse } from 'yaml';
import {
  checkSpec,
  formatIssue,
  renderDesiredState,
  type KubeObjectResource,
  type Spec,
} from '../src/index.js';
import { specText } from './helpers.js';
import { UPSTREAM_DIR, UPSTREAM_PRESENT, UpstreamSchemas, readUpstream } from './upstream.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../examples/capacity-classes.yaml', import.meta.url)),
  'utf8',
);

function capacitySpec(edit: (platform: Record<string, any>) => void = () => undefined): Spec {
  const [platformText, serviceText] = EXAMPLE.split(/^---$/m);
  const platform = parse(platformText!);
  edit(platform);
  const result = checkSpec([{ file: 'spec.yaml', text: specText(platform, parse(serviceText!)) }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

/** The example, a regional cluster with an any-reservation tier, and a TPU class. */
const SPECS: [string, Spec][] = [
  ['the capacity-classes example', capacitySpec()],
  [
    'a regional cluster and an any-reservation tier',
    capacitySpec((p) => {
      p.spec.clusters[1].location = 'us-east4';
      p.spec.capacityClasses[0].order.splice(1, 0, { reservation: { any: true } });
    }),
  ],
  [
    'a TPU class beside the GPU class',
    capacitySpec((p) => {
      p.spec.capacityClasses.push({
        name: 'v6e',
        tpu: { type: 'tpu-v6e-slice', topology: '2x4' },
        machineType: 'ct6e-standard-4t',
        order: [{ flexStart: { maxRunDuration: '36h' } }, { spot: {} }],
        namespaces: ['default'],
        maxAccelerators: 8,
      });
    }),
  ],
];

const objects = (spec: Spec, kinds: string[]) =>
  renderDesiredState(spec).resources.filter(
    (r): r is KubeObjectResource => r.type === 'kubernetes.object' && kinds.includes(r.manifest.kind),
  );

type Rule = { rule: string; message: string };

/** Every CEL rule of the CRD with the path (spec, priorities[], reservations) whose object is `self`. */
function crdRules(): { at: (spec: any) => unknown[]; rule: Rule }[] {
  const schema = JSON.parse(readUpstream('cloud.google.com/computeclass_v1.json'));
  const spec = schema.properties.spec;
  const priority = spec.properties.priorities.items;
  // Transition rules (oldSelf) do not run on create, which is what an apply of a new class is.
  const rules = (node: any): Rule[] =>
    (node['x-kubernetes-validations'] ?? []).filter((r: Rule) => !r.rule.includes('oldSelf'));
  return [
    ...rules(spec).map((rule) => ({ at: (s: any) => [s], rule })),
    ...rules(priority).map((rule) => ({ at: (s: any) => s.priorities, rule })),
    ...rules(priority.properties.reservations).map((rule) => ({
      at: (s: any) => s.priorities.flatMap((p: any) => (p.reservations ? [p.reservations] : [])),
      rule,
    })),
  ];
}

if (!UPSTREAM_PRESENT) {
  describe('capacity conformance', () => {
    it.skip(`SKIPPED: upstream reference folder not found at ${UPSTREAM_DIR}`, () => {});
  });
} else {
  const schemas = new UpstreamSchemas();
  describe.each(SPECS)('%s', (_, spec) => {
    const rendered = objects(spec, ['ComputeClass', 'PodDisruptionBudget']);

    it('renders ComputeClasses and PodDisruptionBudgets to check', () => {
      expect(new Set(rendered.map((o) => o.manifest.kind))).toEqual(
        new Set(['ComputeClass', 'PodDisruptionBudget']),
      );
    });

    it.each(rendered.map((o) => [o.id, o] as const))('%s validates against its upstream schema', (id, o) => {
      expect(schemas.errors(id, o.manifest)).toEqual([]);
    });

    it('keeps every CEL rule of the ComputeClass CRD', () => {
      const broken: string[] = [];
      for (const o of rendered.filter((r) => r.manifest.kind === 'ComputeClass')) {
        for (const { at, rule } of crdRules())
          for (const self of at(o.manifest.spec))
            if (evaluate(rule.rule, { self }) !== true) broken.push(`${o.id}: ${rule.message}`);
      }
      expect(broken).toEqual([]);
    });
  });

  describe('the checks catch a broken ComputeClass', () => {
    const computeClass = objects(SPECS[0]![1], ['ComputeClass'])[0]!;
    const edited = (edit: (spec: any) => void) => {
      // A JSON copy: cel-js takes only this realm's plain objects, and structuredClone's are not.
      const m = JSON.parse(JSON.stringify(computeClass.manifest));
      edit(m.spec);
      return m;
    };

    it('a flexStart written as a boolean, as some prose has it', () => {
      const m = edited((s) => (s.priorities[2].flexStart = true));
      expect(schemas.errors(computeClass.id, m).join('\n')).toContain(
        '/spec/priorities/2/flexStart must be object',
      );
    });

    it('a Specific reservation without a reservation named (a CEL rule)', () => {
      const m = edited((s) => delete s.priorities[0].reservations.specific);
      const rule = crdRules().find((r) => r.rule.message.startsWith('At least 1 specific reservation'))!;
      expect(rule.at(m.spec).map((self) => evaluate(rule.rule.rule, { self }))).toContain(false);
    });
  });
}
