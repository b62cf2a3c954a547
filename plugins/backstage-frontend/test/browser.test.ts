/**
 * The entity card in a real browser: Debian's headless Chromium (driven by playwright-core) loads
 * the dev harness, which serves the card against a Backstage backend reading the sandbox's fleet.
 * Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startHarness, type Harness } from '../dev/harness.js';
import { SANDBOX_HF_TOKEN } from '../dev/fleet.js';

const CHROMIUM = process.env.SPILLWAY_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

let harness: Harness | undefined;
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: the browser test needs Debian's chromium. ` +
        'Install it with scripts/setup.sh (or `apt-get install -y chromium`), or point SPILLWAY_CHROMIUM at another build.',
    );
  }
  await mkdir(ARTIFACTS, { recursive: true });
  [harness, browser] = await Promise.all([
    startHarness(),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    }),
  ]);
  // Twice the pixels, so the screenshot stays sharp in the README.
  page = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 2 });
  await page.goto(harness.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await harness?.close();
});

const tile = (region: string): Locator => page.getByRole('region', { name: `Region ${region}` });
const card = (): Locator => page.locator('#spillway-card');

describe('the entity card in Chromium', () => {
  it('shows what a person needs to read for a healthy fleet', async () => {
    const health = await harness!.fleet.readHealth();
    const address = (region: string) => health.regions.find((r) => r.region === region)!.gatewayAddress!;

    await tile('us-east4').waitFor({ timeout: 60_000 });
    const east = await tile('us-east4').innerText();
    const west = await tile('europe-west3').innerText();
    await card().screenshot({ path: `${ARTIFACTS}entity-card-healthy.png` });

    expect(east).toContain('us-east4');
    expect(east).toContain('cluster gke-east');
    expect(east).toContain('Healthy');
    expect(east).toContain('Preferred');
    expect(east).toMatch(/Model servers\s+(\d+)\/\1 ready/);
    expect(east).toContain(address('us-east4'));
    expect(east).toContain('HPA target 50%');
    expect(east).toContain('Spill-over threshold 80%');
    expect(west).toContain('europe-west3');
    expect(west).toContain('Healthy');
    expect(west).not.toContain('Preferred');
    expect(west).toMatch(/Model servers\s+(\d+)\/\1 ready/);
    expect(west).toContain(address('europe-west3'));
    expect(await card().innerText()).toMatch(/Last verified \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: passed/);
    expect(await card().innerText()).not.toContain('Spilling over');
  }, 90_000);

  it("never shows the Hugging Face token, on the page or in the backend's answer", async () => {
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/spillway/health/default/Component/food-review', {
        headers: { authorization: 'Bearer mock-user-token' },
      });
      return `${response.status} ${await response.text()}`;
    });

    expect(answer).toMatch(/^200 \{"entityRef":"component:default\/food-review"/);
    expect(answer).not.toContain(SANDBOX_HF_TOKEN);
    expect(await page.content()).not.toContain(SANDBOX_HF_TOKEN);
  });

  it('shows the spill-over once load fills the preferred region', async () => {
    await harness!.spill();
    // Load keeps the fleet spilling; a read can still land between two waves, so ask again until it
    // shows, and for the picture's sake a little longer until the autoscalers have settled.
    const banner = page.getByRole('alert');
    const settled = async () => !/(\d+)\/(?!\1\b)\d+ ready/.test(await card().innerText());
    for (let attempt = 0; !(await banner.isVisible()) || (attempt < 15 && !(await settled())); attempt++) {
      if (attempt === 30) throw new Error('the card never showed the spill-over after 30 refreshes');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByRole('status', { name: 'Refreshing' }).waitFor({ state: 'detached' });
      await page.waitForTimeout(1_000);
    }
    const east = await tile('us-east4').innerText();
    const west = await tile('europe-west3').innerText();
    await page.mouse.move(0, 0); // no tooltip over the refresh button in the picture
    await page.getByRole('tooltip').waitFor({ state: 'detached' });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await card().screenshot({ path: `${ARTIFACTS}entity-card-spilling.png` });

    expect(await banner.innerText()).toMatch(
      /Traffic is spilling over: us-east4 is at \d+% of its KV cache; europe-west3 takes the overflow\./,
    );
    expect(east).toContain('Spilling over: full, overflow goes to europe-west3');
    expect(east).toMatch(/At \d+%, at or above the 80% threshold/);
    expect(west).toContain('Spilling over: takes the overflow of us-east4');
    await harness!.calm();
  }, 120_000);
});
