import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecFiles } from '@spillway/shared';
import { generatedCases } from '../chaos/corpus/generated.mjs';

/** The broken-spec corpus of `npm run chaos` (chaos/corpus), checked in-process so CI keeps it true. */
interface Case {
  file: string;
  /** The issue's field path; '' for the whole file. */
  path: string;
  /** A part of the issue's message. */
  message: string;
  /** Checked with chaos/corpus/_platform.yaml as its read-only platform (--platform). */
  platform: boolean;
}

const corpus = fileURLToPath(new URL('../chaos/corpus/', import.meta.url));
const cases: Case[] = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8'));

async function issuesOf(file: string, dir: string, platform: boolean) {
  const result = await loadSpecFiles([file], dir, platform ? ['_platform.yaml'] : []);
  return result.ok ? [] : result.issues;
}

describe('the broken-spec corpus', () => {
  it('holds at least 40 committed cases, each a small file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect(readFileSync(join(corpus, c.file)).length).toBeLessThan(2048);
  });

  it('has a valid reference platform, so each service case fails for its own reason', async () => {
    expect(await loadSpecFiles(['_platform.yaml'], corpus)).toMatchObject({ ok: true });
  });

  it.each(cases)('rejects $file with an issue at "$path"', async (c) => {
    const issues = await issuesOf(c.file, corpus, c.platform);
    expect(issues.map((i) => i.path)).toContain(c.path);
    expect(issues.find((i) => i.path === c.path && i.message.includes(c.message))).toBeDefined();
  });

  // Deep nesting is among them: it is refused before the parser sees it, however often.
  const generated = [...generatedCases(), ...generatedCases().filter((c) => c.file === 'deep-nesting.yaml')];
  it.each(generated)('rejects the generated $file as a whole', async (c) => {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-corpus-'));
    try {
      writeFileSync(join(dir, c.file), c.text, c.file.endsWith('.bin') ? 'latin1' : 'utf8');
      const issues = await issuesOf(c.file, dir, false);
      expect(issues.find((i) => i.path === c.path && i.message.includes(c.message))).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
