/* global Buffer */
// Broken specs too large or too hostile to commit: made at run time, each with the issue it must
// raise (path '' is the whole file; message is a part of the issue's message).
const PLATFORM = `apiVersion: spillway.dev/v1alpha1
kind: InferencePlatform
metadata: { name: p }
spec:
  projectId: my-project
`;

/** Billion laughs: 9 levels of 10 aliases each, 10^9 strings if expanded. */
function billionLaughs() {
  let text = `${PLATFORM}lol0: &l0 "lol"\n`;
  for (let level = 1; level <= 9; level++)
    text += `lol${level}: &l${level} [${Array(10)
      .fill(`*l${level - 1}`)
      .join(', ')}]\n`;
  return text;
}

/** The limit is 100 aliases: 101 references to one small anchor. */
function aliasFlood() {
  return `${PLATFORM}anchor: &a x\nflood: [${Array(101).fill('*a').join(', ')}]\n`;
}

/** A valid platform padded with comments past 1 MiB (MAX_SPEC_BYTES). */
function overOneMebibyte() {
  const line = `# ${'x'.repeat(78)}\n`;
  return PLATFORM + line.repeat(Math.ceil((1024 * 1024) / line.length) + 1);
}

/** Flow sequences nested 100,000 deep: deeper than the parser's stack. */
function deepNesting() {
  return '['.repeat(100_000) + ']'.repeat(100_000);
}

/** 4 KiB of seeded random bytes: not text, not YAML. */
function randomBytes() {
  let seed = 9;
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return bytes.toString('latin1');
}

export function generatedCases() {
  return [
    { file: 'billion-laughs.yaml', text: billionLaughs(), path: '', message: 'too many aliases' },
    { file: 'alias-flood.yaml', text: aliasFlood(), path: '', message: 'too many aliases' },
    { file: 'over-1-mib.yaml', text: overOneMebibyte(), path: '', message: 'over the limit of 1048576' },
    { file: 'deep-nesting.yaml', text: deepNesting(), path: '', message: 'nested more than' },
    { file: 'random-bytes.bin', text: randomBytes(), path: '', message: 'YAML syntax' },
  ];
}
