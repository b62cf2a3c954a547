/**
 * `npm run dev -w @spillway/backstage-plugin-spillway [-- --spill] [-- --port N]` (default 3017): starts the
 * harness, prints the page's URL, and with --spill drives load until traffic spills over.
 */
import { parseArgs } from 'node:util';
import { startHarness } from './harness.js';

const { values } = parseArgs({
  options: { spill: { type: 'boolean', default: false }, port: { type: 'string' } },
});
const log = (line: string) => process.stderr.write(`${line}\n`);
const harness = await startHarness({ port: Number(values.port ?? 3017), log });
process.stdout.write(`Spillway entity card: ${harness.url}\n`);
log(
  'POST /dev/spill drives load until traffic spills over; POST /dev/calm stops it. Ctrl-C stops everything.',
);
if (values.spill) {
  log('driving load at the preferred region…');
  await harness.spill();
  log('traffic is spilling over; the card shows it on its next refresh');
}
const stop = async () => {
  await harness.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
