import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  API_VERSION,
  checkSpec,
  formatIssue,
  loadSpecFiles,
  loadSpecOrThrow,
  MAX_ALIAS_COUNT,
  MAX_FLOW_NESTING,
  MAX_SPEC_BYTES,
  SpecInvalidError,
  type SpecIssue,
} from '../src/index.js';
import { parseSpecText } from '../src/spec/source.js';
import { EXAMPLE_FILE, EXAMPLE_TEXT, issuesIn, positionOf, summarise } from './helpers.js';

/**
 * A hand-written platform. Line numbers matter to the tests below:
 * line 18 is gke-east's `location:`, line 19 its proxySubnet.
 */
const platformYaml = (eastLocation = 'us-east4-a') => `apiVersion: spillway.dev/v1alpha1
kind: InferencePlatform
metadata:
  name: inference-prod
spec:
  projectId: my-project
  clusters:
    - name: gke-west
      location: europe-west3-c
      configCluster: true
      proxySubnet: { cidr: 10.0.0.0/23 }
      acceleratorPools: &pools
        - name: h100
          accelerator: { type: nvidia-h100-80gb, count: 2 }
          machineType: a3-highgpu-2g
          nodes: { min: 1, max: 10 }
    - name: gke-east
      location: ${eastLocation}
      proxySubnet: { cidr: 10.5.0.0/23 }
      acceleratorPools: *pools
`;

const SERVICE_YAML = `apiVersion: spillway.dev/v1alpha1
kind: InferenceService
metadata:
  name: food-review
spec:
  platform: inference-prod
  model:
    id: meta-llama/Llama-3.1-8B-Instruct
    huggingFaceToken: { fromEnv: HF_TOKEN }
`;

/** The single issue of a text, failing with every issue listed when there is not exactly one. */
function onlyIssue(issues: SpecIssue[]): SpecIssue {
  expect(issues.map(formatIssue)).toHaveLength(1);
  return issues[0]!;
}

/** `x: &a v` followed by a list of `count` aliases of it. */
const aliases = (count: number) => `a: &a x\nlist: [${Array(count).fill('*a').join(', ')}]\n`;

describe('documents', () => {
  it('reads every document of a multi-document file, in order', () => {
    const parsed = parseSpecText(EXAMPLE_TEXT, 'food-review.yaml');
    expect(parsed.issues).toEqual([]);
    expect(parsed.documents.map((d) => [d.index, (d.value as { kind: string }).kind])).toEqual([
      [0, 'InferencePlatform'],
      [1, 'InferenceService'],
    ]);
    const result = checkSpec([{ file: 'food-review.yaml', text: EXAMPLE_TEXT }]);
    expect(result.ok && [result.spec.platforms.length, result.spec.services.length]).toEqual([1, 1]);
  });

  it('accepts a hand-written platform and service, with anchors and aliases, as one file', () => {
    const result = checkSpec([{ file: 'spec.yaml', text: `${platformYaml()}---\n${SERVICE_YAML}` }]);
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    const [west, east] = result.spec.platforms[0]!.clusters;
    expect(east!.acceleratorPools).toEqual(west!.acceleratorPools);
    expect(result.spec.services[0]!.platform.name).toBe('inference-prod');
  });

  it('ignores empty documents, such as a leading or trailing ---', () => {
    expect(issuesIn(`---\n${EXAMPLE_TEXT}---\n`)).toEqual([]);
    expect(issuesIn(`${EXAMPLE_TEXT}\n---\n# only a comment\n---\n`)).toEqual([]);
  });

  it('reads a platform and its service from two files', () => {
    const result = checkSpec([
      { file: 'platform.yaml', text: platformYaml() },
      { file: 'service.yaml', text: SERVICE_YAML },
    ]);
    expect(result.ok).toBe(true);
  });

  it('refuses a text with no document at all', () => {
    for (const text of ['', '# just a comment\n', '---\n---\n']) {
      expect(issuesIn(text, 'empty.yaml')).toEqual([
        {
          file: 'empty.yaml',
          line: 1,
          column: 1,
          path: '',
          message: 'no documents',
          hint: 'write an InferencePlatform and/or InferenceService document (see examples/food-review.yaml)',
        },
      ]);
    }
  });

  it('refuses a document that is not a mapping, where it starts', () => {
    const issue = onlyIssue(issuesIn(`${EXAMPLE_TEXT}---\n- a list\n`));
    expect(issue).toMatchObject({ path: '', message: 'a document must be a mapping' });
    expect(issue.hint).toBe('start it with apiVersion: and kind:');
    expect(issue.line).toBe(EXAMPLE_TEXT.split('\n').length + 1);
  });

  it('reports YAML syntax errors at their position, and still checks the other documents', () => {
    const issues = issuesIn(`${platformYaml('mars')}---\nkind: [InferenceService\nmetadata: x\n`);
    expect(issues).toEqual([
      expect.objectContaining({ line: 18, column: 17, path: 'spec.clusters[1].location' }),
      expect.objectContaining({
        line: 23,
        column: 1,
        path: '',
        message: expect.stringMatching(/^YAML syntax: .*Flow sequence/),
        hint: 'fix the YAML at this position',
      }),
    ]);
  });
});

describe('duplicate keys', () => {
  it('names the key and both its lines, at the second one', () => {
    const text = `apiVersion: ${API_VERSION}\nkind: InferencePlatform\nmetadata:\n  name: a\n  name: b\n`;
    expect(issuesIn(text, 'dup.yaml')).toEqual([
      {
        file: 'dup.yaml',
        line: 5,
        column: 3,
        path: 'metadata.name',
        message: 'the key name appears twice in this mapping, at line 4 and at line 5',
        hint: 'keep one of them',
      },
    ]);
  });

  it('finds a duplicate deep inside the example, at its real line and column, without follow-on issues', () => {
    // The platform cannot be read, but the service must not be told that it does not exist.
    const text = EXAMPLE_TEXT.replace(
      '      location: us-east4-a\n',
      '      location: us-east4-a\n      location: us-east4-b\n',
    );
    const issue = onlyIssue(issuesIn(text));
    const first = positionOf(text, 'location: us-east4-a');
    const second = positionOf(text, 'location: us-east4-b');
    expect(issue.path).toMatch(/^spec\.clusters\[\d\]\.location$/);
    expect(issue.message).toBe(
      `the key location appears twice in this mapping, at line ${first.line} and at line ${second.line}`,
    );
    expect({ line: issue.line, column: issue.column }).toEqual(second);
  });

  it('names the first of three occurrences', () => {
    const text = `apiVersion: ${API_VERSION}\nkind: InferencePlatform\nkind: InferencePlatform\nkind: InferenceService\n`;
    expect(issuesIn(text).map((i) => `${i.line} ${i.path}: ${i.message}`)).toEqual([
      '3 kind: the key kind appears twice in this mapping, at line 2 and at line 3',
      '4 kind: the key kind appears twice in this mapping, at line 2 and at line 4',
    ]);
  });
});

describe('nesting', () => {
  const nested = (depth: number) => `a: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;

  it(`accepts flow collections nested up to MAX_FLOW_NESTING (${MAX_FLOW_NESTING}) deep`, () => {
    expect(parseSpecText(nested(MAX_FLOW_NESTING), 'a.yaml').issues).toEqual([]);
  });

  it('refuses deeper nesting at its position, before parsing, however often (the parser would recurse)', () => {
    for (let i = 0; i < 3; i++) {
      const parsed = parseSpecText(nested(100_000), 'a.yaml');
      expect(parsed.documents).toEqual([]);
      expect(parsed.issues).toEqual([
        expect.objectContaining({
          line: 1,
          column: 4 + MAX_FLOW_NESTING,
          message: `[ and { are nested more than ${MAX_FLOW_NESTING} deep`,
        }),
      ]);
    }
  });

  it('does not count brackets in quotes or comments', () => {
    const text = `a: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}'\n# ${'['.repeat(100)}\n`;
    expect(parseSpecText(text, 'a.yaml').issues).toEqual([]);
  });
});

describe('aliases', () => {
  it(`accepts up to MAX_ALIAS_COUNT (${MAX_ALIAS_COUNT}) aliases`, () => {
    const parsed = parseSpecText(aliases(MAX_ALIAS_COUNT), 'a.yaml');
    expect(parsed.issues).toEqual([]);
    expect((parsed.documents[0]!.value as { list: string[] }).list).toHaveLength(MAX_ALIAS_COUNT);
  });

  it('refuses more than MAX_ALIAS_COUNT aliases', () => {
    const parsed = parseSpecText(aliases(MAX_ALIAS_COUNT + 1), 'a.yaml');
    expect(parsed.documents).toEqual([]);
    expect(summarise(parsed.issues)).toEqual([
      `: the document expands too many aliases (Excessive alias count indicates a resource exhaustion attack) — write the values out; a spec may use at most ${MAX_ALIAS_COUNT} aliases`,
    ]);
  });

  it('refuses a billion-laughs bomb quickly, without expanding it', () => {
    // Nine levels of ten aliases each: 10^9 strings if expanded, under 100 aliases in the text.
    const levels = 'abcdefghi'.split('');
    const lines = [`${levels[0]}: &${levels[0]} [${Array(10).fill('"lol"').join(', ')}]`];
    for (let i = 1; i < levels.length; i++) {
      lines.push(
        `${levels[i]}: &${levels[i]} [${Array(10)
          .fill(`*${levels[i - 1]}`)
          .join(', ')}]`,
      );
    }
    const bomb = `apiVersion: ${API_VERSION}\nkind: InferencePlatform\n${lines.join('\n')}\n`;
    const started = Date.now();
    const issue = onlyIssue(issuesIn(bomb, 'bomb.yaml'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(issue).toMatchObject({ file: 'bomb.yaml', line: 1, column: 1, path: '' });
    expect(issue.message).toMatch(/^the document expands too many aliases/);
  });
});

describe('file size and reading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spillway-spec-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a text over MAX_SPEC_BYTES, counted in bytes, not characters', () => {
    const text = `# ${'é'.repeat(MAX_SPEC_BYTES / 2)}\n`; // fewer characters than the limit, more bytes
    const bytes = Buffer.byteLength(text);
    expect(text.length).toBeLessThan(MAX_SPEC_BYTES);
    expect(parseSpecText(text, 'big.yaml')).toEqual({
      documents: [],
      unreadable: [],
      issues: [
        {
          file: 'big.yaml',
          line: 1,
          column: 1,
          path: '',
          message: `the file is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES}`,
          hint: 'split it into smaller files or remove what is not a Spillway spec',
        },
      ],
    });
  });

  it('refuses a file over MAX_SPEC_BYTES without reading it', async () => {
    // A sparse 4 GiB file: reading it would fail (or take long); stat alone must refuse it.
    const file = join(dir, 'huge.yaml');
    const size = MAX_SPEC_BYTES * 4096;
    await writeFile(file, '');
    await truncate(file, size);
    const started = Date.now();
    const result = await loadSpecFiles([file]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: `the file is ${size} bytes, over the limit of ${MAX_SPEC_BYTES}`,
          hint: 'split it into smaller files or remove what is not a Spillway spec',
        },
      ],
    });
  });

  it('accepts a file of exactly MAX_SPEC_BYTES as far as size goes', async () => {
    const file = join(dir, 'padded.yaml');
    const padding = MAX_SPEC_BYTES - Buffer.byteLength(EXAMPLE_TEXT) - 1;
    await writeFile(file, `${EXAMPLE_TEXT}#${' '.repeat(padding)}`);
    expect(await loadSpecFiles([file])).toMatchObject({ ok: true });
  });

  it('reports a missing file', async () => {
    const file = join(dir, 'no-such.yaml');
    expect(await loadSpecFiles([file])).toEqual({
      ok: false,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          path: '',
          message: 'the file does not exist',
          hint: 'check the path given with -f',
        },
      ],
    });
  });

  it('reports a directory given as a file', async () => {
    const sub = join(dir, 'a-directory');
    await mkdir(sub);
    const result = await loadSpecFiles([sub]);
    expect(result.ok ? [] : summarise(result.issues)).toEqual([
      ': is not a regular file — pass the path of a YAML file',
    ]);
  });

  it('reports an empty file as having no documents', async () => {
    const file = join(dir, 'empty.yaml');
    await writeFile(file, '');
    const result = await loadSpecFiles([file]);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([
      `${file}:1:1: no documents — write an InferencePlatform and/or InferenceService document (see examples/food-review.yaml)`,
    ]);
  });

  it('loads the example file', async () => {
    const result = await loadSpecFiles([EXAMPLE_FILE]);
    expect(result.ok).toBe(true);
  });

  it('loadSpecOrThrow throws SpecInvalidError carrying every issue', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, platformYaml('mars'));
    const error = await loadSpecOrThrow([file]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpecInvalidError);
    const issues = (error as SpecInvalidError).issues;
    expect(issues.map((i) => i.path)).toEqual(['spec.clusters[1].location']);
    expect((error as Error).message).toBe(`the spec has 1 problem:\n  ${formatIssue(issues[0]!)}`);
  });
});

describe('kind and apiVersion', () => {
  it('refuses an unknown kind and suggests the nearest', () => {
    const text = SERVICE_YAML.replace('kind: InferenceService', 'kind: InferenceServce');
    expect(issuesIn(text, 's.yaml')).toEqual([
      {
        file: 's.yaml',
        line: 2,
        column: 7,
        path: 'kind',
        message: 'unknown kind "InferenceServce"',
        hint: 'did you mean InferenceService? (one of InferencePlatform, InferenceService)',
      },
    ]);
  });

  it('refuses a document without kind', () => {
    const text = SERVICE_YAML.replace('kind: InferenceService\n', '');
    expect(summarise(issuesIn(text))).toEqual([
      'kind: kind is missing — set kind to one of InferencePlatform, InferenceService',
    ]);
  });

  it('refuses another apiVersion', () => {
    const text = SERVICE_YAML.replace(API_VERSION, 'spillway.dev/v1');
    const issue = onlyIssue(issuesIn(text));
    expect(summarise([issue])).toEqual([
      `apiVersion: must be ${API_VERSION} — set apiVersion: ${API_VERSION}`,
    ]);
    expect([issue.line, issue.column]).toEqual([1, 13]);
  });
});

describe('types', () => {
  it('refuses a string where a number belongs, saying what it got', () => {
    const text = `${SERVICE_YAML}  gateway:\n    port: eighty\n`;
    const issue = onlyIssue(issuesIn(text));
    expect(summarise([issue])).toEqual([
      'spec.gateway.port: must be a number, not string "eighty" — write a number',
    ]);
    expect([issue.line, issue.column]).toEqual([11, 11]);
  });

  it('refuses a quoted number', () => {
    const text = platformYaml().replace('count: 2', 'count: "2"');
    // The pools are shared through an alias, so both clusters have the mistake.
    expect(summarise(issuesIn(text))).toEqual([
      'spec.clusters[0].acceleratorPools[0].accelerator.count: must be a number, not string "2" — write a number',
      'spec.clusters[1].acceleratorPools[0].accelerator.count: must be a number, not string "2" — write a number',
    ]);
  });

  it('refuses a mapping where a list belongs', () => {
    const text = SERVICE_YAML.replace('spec:\n', 'spec:\n  regions: { us-east4: true }\n');
    expect(summarise(issuesIn(text))).toEqual(['spec.regions: must be a list, not a mapping — write a list']);
  });
});

describe('the error format', () => {
  it('is FILE:LINE:COL PATH: what — what to do, at the offending value', () => {
    const issues = issuesIn(platformYaml('mars'), 'platform.yaml');
    expect(issues.map(formatIssue)).toEqual([
      'platform.yaml:18:17 spec.clusters[1].location: "mars" is neither a zone nor a region — write a zone like europe-west3-c or a region like us-east4',
    ]);
  });

  it('points at the key of an unknown field, also inside a flow mapping', () => {
    const text = platformYaml().replace(
      '{ cidr: 10.5.0.0/23 }',
      '{ cidr: 10.5.0.0/23, purpose: GLOBAL_MANAGED_PROXY }',
    );
    expect(issuesIn(text, 'platform.yaml').map(formatIssue)).toEqual([
      'platform.yaml:19:41 spec.clusters[1].proxySubnet.purpose: unknown field purpose — remove it; the known fields here are cidr',
    ]);
  });

  it('points at the nearest present ancestor when the field is missing', () => {
    const text = platformYaml().replace('  projectId: my-project\n', '');
    expect(issuesIn(text, 'platform.yaml').map(formatIssue)).toEqual([
      'platform.yaml:6:3 spec.projectId: is required — add projectId',
    ]);
  });

  it('leaves out the path when the issue concerns the whole file', () => {
    expect(
      formatIssue({
        file: 'f.yaml',
        line: 1,
        column: 1,
        path: '',
        message: 'no documents',
        hint: 'write one',
      }),
    ).toBe('f.yaml:1:1: no documents — write one');
  });
});

describe('all errors at once', () => {
  it('reports every mistake of every document, sorted by position', () => {
    const platform = platformYaml('mars')
      .replace('projectId: my-project', 'projectId: my-project\n  gkeVersion: 1.30.0-gke.1')
      .replace('{ cidr: 10.5.0.0/23 }', '{ cidr: 10.0.1.0/24 }');
    const service = SERVICE_YAML.replace('{ fromEnv: HF_TOKEN }', '{ fromEnv: HF-TOKEN }').concat(
      '  autoscaling: { minReplicas: 5, maxReplicas: 2 }\n',
    );
    const broken = `apiVersion: ${API_VERSION}\nkind: InferenceServce\n`;
    const text = `${platform}---\n${service}---\n${broken}`;
    expect(issuesIn(text).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '7:15 spec.gkeVersion: 1.30.0-gke.1 is older than 1.34.1-gke.1127000, the first with multi-cluster Inference Gateway',
      '19:17 spec.clusters[1].location: "mars" is neither a zone nor a region',
      '20:28 spec.clusters[1].proxySubnet.cidr: 10.0.1.0/24 overlaps 10.0.0.0/23 of cluster gke-west',
      '31:34 spec.model.huggingFaceToken.fromEnv: "HF-TOKEN" is not an environment variable name',
      '32:31 spec.autoscaling.minReplicas: minReplicas (5) is above maxReplicas (2)',
      '35:7 kind: unknown kind "InferenceServce"',
    ]);
  });

  it('reports shape errors of several fields of one document together', () => {
    const text = SERVICE_YAML.replace('name: food-review', 'name: ""').concat(
      '  gateway: { port: 0, timeoutSec: soon }\n  balancing: { mode: INFLIGHT }\n',
    );
    expect(summarise(issuesIn(text))).toEqual([
      'metadata.name: must not be empty — give name a value',
      'spec.gateway.port: is 0, below the minimum of 1 — use a value of at least 1',
      'spec.gateway.timeoutSec: must be a number, not string "soon" — write a number',
      'spec.balancing.mode: "INFLIGHT" is not allowed — did you mean IN_FLIGHT? (one of "CUSTOM_METRICS", "IN_FLIGHT")',
    ]);
  });

  it('reports the issues of every file', () => {
    const issues = checkSpec([
      { file: 'a.yaml', text: platformYaml('mars') },
      { file: 'b.yaml', text: SERVICE_YAML.replace('HF_TOKEN', '1TOKEN') },
    ]);
    expect(issues.ok ? [] : issues.issues.map((i) => `${i.file} ${i.path}`)).toEqual([
      'a.yaml spec.clusters[1].location',
      'b.yaml spec.model.huggingFaceToken.fromEnv',
    ]);
  });
});
