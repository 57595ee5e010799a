// Takes screenshots of the lab's pages for a person to look at:
//   node end2end/screenshots.mjs http://127.0.0.1:3000 target/screenshots
// (Start the app first, e.g. with `make run`.)
import { chromium } from "@playwright/test";
import { mkdirSync } from "node:fs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const out = process.argv[3] ?? "target/screenshots";
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const sizes = { desktop: [1280, 720], projector: [1920, 1080], phone: [390, 844] };
for (const scheme of ["light", "dark"]) {
  for (const [name, [width, height]] of Object.entries(sizes)) {
    if (scheme === "dark" && name !== "desktop") continue;
    const page = await browser.newPage({ viewport: { width, height }, colorScheme: scheme });
    await page.goto(`${base}/`);
    await page.waitForSelector("body[data-hydrated='true']");
    await page.screenshot({ path: `${out}/home-${name}-${scheme}.png`, fullPage: name === "phone" });
    if (name === "desktop") {
      await page.screenshot({ path: `${out}/home-full-${scheme}.png`, fullPage: true });
      await page.goto(`${base}/lab/start`);
      await page.screenshot({ path: `${out}/consent-${scheme}.png`, fullPage: true });
      await page.getByLabel("Username").fill("alice");
      await page.getByLabel("Password").fill("wrong");
      await page.getByRole("button", { name: "Sign in and approve" }).click();
      await page.screenshot({ path: `${out}/consent-error-${scheme}.png`, fullPage: true });
      await page.getByLabel("Password").fill("wonderland");
      await page.getByRole("button", { name: "Sign in and approve" }).click();
      await page.waitForURL(/\/lab\/callback/);
      await page.screenshot({ path: `${out}/callback-${scheme}.png`, fullPage: true });
      await page.goto(`${base}/oauth/authorize?client_id=web-app&redirect_uri=https://evil.example/cb&response_type=code`);
      await page.screenshot({ path: `${out}/error-page-${scheme}.png`, fullPage: true });
    }
    await page.close();
  }
}
// The grant pages after an autoplay run, at each size.
for (const [name, [width, height]] of Object.entries(sizes)) {
  for (const slug of ["authorization-code", "implicit", "client-credentials", "password", "device-code"]) {
    if (name !== "desktop" && slug !== "authorization-code") continue;
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${base}/grants/${slug}`);
    await page.waitForSelector("body[data-hydrated='true']");
    await page.getByTestId("run").click();
    await page.getByTestId("run-status").filter({ hasText: "Run complete" }).waitFor();
    await page.locator("h1").click();
    await page.keyboard.press("End");
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${out}/grant-${slug}-${name}.png`, fullPage: true });
    await page.close();
  }
}
// A misuse scenario, defended and with its vulnerable switch, at desktop
// and projector sizes; a JWT run's decoded token; the device grant's screen.
for (const [name, [width, height]] of Object.entries(sizes)) {
  if (name === "phone") continue;
  const page = await browser.newPage({ viewport: { width, height } });
  const go = async (path) => {
    await page.goto(`${base}${path}`);
    await page.waitForSelector("body[data-hydrated='true']");
  };
  // The index is plain server-rendered HTML: no island to wait for.
  await page.goto(`${base}/misuse`);
  await page.screenshot({ path: `${out}/misuse-index-${name}.png`, fullPage: true });
  await go("/misuse/redirect-uri");
  for (const vulnerable of [false, true]) {
    await page.getByTestId("vulnerable").setChecked(vulnerable);
    await page.getByTestId("run").click();
    await page.getByTestId("verdict").filter({ hasText: vulnerable ? "Attack succeeded" : "Defence held" }).waitFor();
    await page.getByRole("button", { name: "Show that step" }).click();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${out}/misuse-redirect-uri-${vulnerable ? "vulnerable" : "held"}-${name}.png`, fullPage: true });
  }
  if (name === "desktop") {
    await go("/grants/authorization-code");
    await page.getByTestId("jwt").check();
    await page.getByTestId("run").click();
    await page.getByTestId("run-status").filter({ hasText: "Run complete" }).waitFor();
    await page.keyboard.press("End");
    const labels = await page.getByTestId("step-label").allTextContents();
    await page.getByTestId("step").nth(labels.indexOf("POST /oauth/token")).click();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${out}/grant-jwt-${name}.png`, fullPage: true });
    await go("/grants/device-code");
    await page.getByRole("radio", { name: /Guided/ }).check();
    await page.getByTestId("run").click();
    await page.frameLocator("[data-testid=browser-pane]").getByTestId("device-user-code").waitFor();
    await page.screenshot({ path: `${out}/grant-device-guided-${name}.png`, fullPage: true });
  }
  await page.close();
}
// Your own provider (the lab itself, named by its issuer), after client
// credentials, a sign-in in a new tab and UserInfo, at each size.
for (const [name, [width, height]] of Object.entries(sizes)) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  await page.goto(`${base}/own-provider`);
  await page.waitForSelector("body[data-hydrated='true']");
  await page.screenshot({ path: `${out}/own-provider-form-${name}.png`, fullPage: true });
  await page.getByTestId("issuer").fill(base);
  await page.getByTestId("connect").click();
  await page.getByTestId("provider-setup").waitFor();
  await page.getByTestId("client-credentials").click();
  await page.getByTestId("step").nth(2).waitFor({ state: "attached" });
  const [tab] = await Promise.all([context.waitForEvent("page"), page.getByTestId("sign-in").click()]);
  await tab.getByRole("textbox", { name: "Username" }).fill("alice");
  await tab.getByLabel("Password").fill("wonderland");
  await tab.getByRole("button", { name: "Sign in and approve" }).click();
  await tab.locator("h1").filter({ hasText: "Signed in" }).waitFor();
  await tab.screenshot({ path: `${out}/own-provider-tab-${name}.png`, fullPage: true });
  await tab.close();
  await page.getByTestId("step").nth(7).waitFor({ state: "attached" });
  await page.getByTestId("userinfo").click();
  await page.getByTestId("step").nth(8).waitFor({ state: "attached" });
  // The ID token's checks: in the diagram, or on a phone in the list.
  await page.locator("[data-step='7']:visible").first().click();
  await page.waitForTimeout(800);
  await page.screenshot({ path: `${out}/own-provider-${name}.png`, fullPage: true });
  await context.close();
}
await browser.close();
console.log(`screenshots in ${out}`);
