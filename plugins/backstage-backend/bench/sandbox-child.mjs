// The bench's sandbox, in a process of its own (forked by health.bench.mjs): it sends its
// environment once started and closes when the bench disconnects.
import { startSandbox } from '@spillway/sandbox';

const sandbox = await startSandbox(JSON.parse(process.argv[2]));
process.send(sandbox.env);
process.on('disconnect', async () => {
  await sandbox.close();
  process.exit(0);
});
