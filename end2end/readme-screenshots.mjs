// Takes the README's screenshots (docs/screenshots/) from a running lab:
//   node end2end/readme-screenshots.mjs http://127.0.0.1:3000 docs/screenshots
// (Start the app first, e.g. with `make run`.)
import { chromium } from "@playwright/test";
import { mkdirSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const out = process.argv[3] ?? "docs/screenshots";
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const open = async (path, width, height) => {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(`${base}${path}`);
  await page.waitForSelector("body[data-hydrated='true']");
  return page;
};
// A finished autoplay run, at its token request.
const grant = async (page) => {
  await page.getByTestId("run").click();
  await page.getByTestId("run-status").filter({ hasText: "Run complete" }).waitFor();
  await page.keyboard.press("End");
  const labels = await page.getByTestId("step-label").allTextContents();
  await page.getByTestId("step").nth(labels.indexOf("POST /oauth/token")).click();
  await page.waitForTimeout(800);
};

let page = await open("/", 1280, 800);
await page.screenshot({ path: `${out}/home.png` });
await page.close();

// The top of an element at the top of the screen.
const top = (page, selector) => page.locator(selector).first().evaluate((e) => e.scrollIntoView({ block: "start" }));

page = await open("/grants/authorization-code", 1280, 1000);
await grant(page);
await top(page, ".player");
await page.screenshot({ path: `${out}/grant.png` });
await page.close();

// Two columns side by side, as on a projector, at their last steps.
page = await open("/compare", 1920, 1080);
await page.getByTestId("run-compare").click();
await page.getByTestId("compare-table").waitFor();
await page.locator("h1").click();
await page.keyboard.press("End");
await page.waitForTimeout(800);
await top(page, ".player");
await page.screenshot({ path: `${out}/compare.png` });
await page.close();

page = await open("/misuse/stolen-code", 1280, 1000);
await page.getByTestId("run").click();
await page.getByTestId("verdict").waitFor();
await page.getByRole("button", { name: "Show that step" }).click();
await page.waitForTimeout(800);
await top(page, "[data-testid=verdict]");
await page.screenshot({ path: `${out}/misuse.png` });
await page.close();

// A class: the presenter's run filling the projector, and a student
// following on a phone.
page = await open("/grants/authorization-code", 1920, 1080);
await page.getByTestId("present").click();
const follow = await page.getByTestId("follow-link").getAttribute("href");
await page.getByTestId("run").click();
await page.getByTestId("run-status").filter({ hasText: "Run complete" }).waitFor();
await page.evaluate(() => document.activeElement?.blur());
await page.keyboard.press("Home");
for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowRight");
await page.mouse.move(0, 0);
await page.waitForTimeout(800);
await page.screenshot({ path: `${out}/presenter.png` });
const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
await phone.goto(follow);
await phone.waitForURL(/follow=/);
await phone.locator("[data-testid=step-item].current").waitFor();
await phone.waitForTimeout(800);
await phone.screenshot({ path: `${out}/phone.png` });
await page.close();

await browser.close();
console.log(`screenshots in ${out}`);
