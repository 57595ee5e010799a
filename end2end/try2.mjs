import { chromium } from "@playwright/test";
const base = "http://127.0.0.1:3456";
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
page.on("pageerror", (e) => console.log("pageerror:", e.message));
const slug = process.argv[2] ?? "authorization-code";
await page.goto(`${base}/grants/${slug}`);
await page.waitForSelector("body[data-hydrated='true']");
await page.getByLabel(/Guided/).check();
await page.getByTestId("run").click();
const frame = page.frameLocator("[data-testid=browser-pane]");
if (slug === "client-credentials") {
  await frame.getByRole("button", { name: "Run the job" }).click();
} else {
  await frame.getByLabel("Username").fill("bob");
  await frame.getByLabel("Password").fill("builder");
  await frame.getByRole("button", { name: slug === "password" ? "Sign in" : "Sign in and approve" }).click();
}
await page.getByTestId("run-status").filter({ hasText: "Run complete" }).waitFor({ timeout: 15000 });
await page.waitForTimeout(1000);
await page.screenshot({ path: `/tmp/guided-${slug}.png`, fullPage: true }); await page.getByTestId("browser-pane").screenshot({ path: `/tmp/pane-${slug}.png` });
console.log(await page.getByTestId("counter").textContent());
console.log((await page.getByTestId("step-label").allTextContents()).join(" | "));
await browser.close();
