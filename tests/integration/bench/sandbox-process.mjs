// The sandbox in a process of its own, so its CPU (API servers, controllers, schema checks) does
// not share a core with the apply being timed; the bench reaches it through its *_EMULATOR_HOST
// variables, as any client does.
import { spawn } from 'node:child_process';

const CHILD = `
import { startSandbox } from '@spillway/sandbox';
const sandbox = await startSandbox(JSON.parse(process.argv[1]));
process.stdout.write(JSON.stringify(sandbox.env) + '\\n');
process.stdin.on('end', async () => { await sandbox.close(); process.exit(0); });
process.stdin.resume();
`;

/** Starts a sandbox in a child process; `close()` stops it. */
export async function sandboxProcess(options) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(options)], {
    cwd: new URL('.', import.meta.url),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const env = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`the sandbox process exited (${code})`)));
  });
  return {
    env,
    close: () =>
      new Promise((resolve) => {
        child.on('exit', resolve);
        child.stdin.end();
      }),
  };
}
