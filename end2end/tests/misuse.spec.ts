import { test, expect, Page } from "@playwright/test";

// Every misuse scenario, played for real: the verdict is read from the
// recorded answer to the request that tried the misuse.
const SCENARIOS: Record<string, { answer: RegExp; switchable: boolean; attacker: boolean }> = {
  "csrf-state": { answer: /400 Bad Request/, switchable: true, attacker: true },
  "redirect-uri": { answer: /400 Bad Request/, switchable: true, attacker: true },
  "stolen-code": { answer: /400 Bad Request: invalid_grant/, switchable: true, attacker: true },
  "code-replay": { answer: /400 Bad Request: invalid_grant/, switchable: true, attacker: true },
  "refresh-reuse": { answer: /400 Bad Request: invalid_grant/, switchable: true, attacker: true },
  "expired-token": { answer: /401 Unauthorized: invalid_token/, switchable: false, attacker: false },
  "insufficient-scope": { answer: /403 Forbidden: insufficient_scope/, switchable: false, attacker: false },
  "revoked-token": { answer: /401 Unauthorized: invalid_token/, switchable: false, attacker: false },
  "token-in-url": { answer: /400 Bad Request: invalid_request/, switchable: true, attacker: false },
  "secret-in-url": { answer: /405 Method Not Allowed: invalid_request/, switchable: true, attacker: false },
  "id-token-replay": { answer: /401 Unauthorized: invalid_token/, switchable: true, attacker: true },
  "id-token-audience": { answer: /401 Unauthorized: invalid_token/, switchable: true, attacker: true },
  "id-token-as-access-token": { answer: /401 Unauthorized: invalid_token/, switchable: false, attacker: true },
  "id-token-tampered": { answer: /401 Unauthorized: invalid_token/, switchable: true, attacker: true },
  "id-token-alg-none": { answer: /401 Unauthorized: invalid_token/, switchable: true, attacker: true },
};

// The check each ID token scenario is refused by.
const ID_TOKEN_CHECK: Record<string, string> = {
  "id-token-replay": "nonce",
  "id-token-audience": "aud",
  "id-token-tampered": "signature",
  "id-token-alg-none": "signature",
};

async function hydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
}

async function record(page: Page) {
  const href = await page.getByTestId("record-link").getAttribute("href");
  return (await page.request.get(href!)).json();
}

test("the misuse index lists every scenario, reached from home", async ({ page }) => {
  await page.goto("/");
  await page.getByTestId("misuse-link").click();
  await expect(page).toHaveURL(/\/misuse$/);
  await expect(page.getByTestId("scenario-link")).toHaveCount(Object.keys(SCENARIOS).length);
});

for (const [slug, want] of Object.entries(SCENARIOS)) {
  test(`${slug}: the attack is tried for real and the defence holds`, async ({ page }) => {
    await hydrated(page, `/misuse/${slug}`);
    await expect(page.getByTestId("vulnerable")).toHaveCount(want.switchable ? 1 : 0);
    await page.getByTestId("run").click();
    const verdict = page.getByTestId("verdict");
    await expect(verdict).toContainText("Defence held", { timeout: 20_000 });
    await expect(verdict).toContainText(want.answer);
    await expect(page.locator(".lane.attacker")).toHaveCount(want.attacker ? 1 : 0);
    // The verdict's step is the tagged request, and the inspector shows the
    // server's real answer to it.
    await verdict.getByRole("button", { name: "Show that step" }).click();
    await expect(page.getByTestId("misuse-note")).toBeVisible();
    const run = await record(page);
    const step = Number((await verdict.textContent())!.match(/step (\d+)/)![1]) - 1;
    const x = run.steps[step].exchange;
    expect(x.request.headers.some(([k]: [string]) => k === "x-lab-misuse")).toBe(true);
    await expect(page.getByTestId("response-head")).toContainText(`${x.response.status}`);
    expect(run.vulnerable).toBe(false);
  });
}

test("the vulnerable switch shows what the exact redirect_uri match stops", async ({ page }) => {
  await hydrated(page, "/misuse/redirect-uri");
  await page.getByTestId("vulnerable").check();
  await page.getByTestId("run").click();
  await expect(page.getByTestId("verdict")).toContainText("Attack succeeded", { timeout: 20_000 });
  const run = await record(page);
  expect(run.vulnerable).toBe(true);
  const consent = run.steps.find((s: any) => s.label === "POST /oauth/authorize");
  const location = consent.exchange.response.headers.find(([k]: [string]) => k === "location")[1];
  expect(location).toMatch(/^http:\/\/attacker-[^/]+\/steal\?code=/);
  // The attacker then used alice's token.
  const last = run.steps[run.steps.length - 1];
  expect(last.from).toBe("Attacker");
  expect(JSON.parse(last.exchange.response.body).username).toBe("alice");
  await expect(page).toHaveURL(/vulnerable=1/);
});

for (const [slug, check] of Object.entries(ID_TOKEN_CHECK)) {
  test(`${slug}: the inspector shows the one ID token check that refuses it, and the switch lets it through`, async ({ page }) => {
    await hydrated(page, `/misuse/${slug}`);
    await page.getByTestId("run").click();
    await expect(page.getByTestId("verdict")).toContainText("Defence held", { timeout: 20_000 });
    await page.locator("h1").click();
    await page.keyboard.press("End");
    await expect(page.getByTestId("counter")).toHaveText(/^Step (\d+) \/ \1$/);
    await page.getByTestId("step").filter({ hasText: "app checks the ID token" }).last().click();
    await expect(page.getByTestId("id-token-checks").locator("tr.check")).toHaveCount(8);
    await expect(page.getByTestId("id-token-checks").locator("tr.check.fail")).toHaveCount(1);
    await expect(page.getByTestId(`check-${check}`)).toHaveClass(/fail/);
    await expect(page.getByTestId("id-token-verdict")).toContainText("signs no one in");

    await page.getByTestId("vulnerable").check();
    await page.getByTestId("run").click();
    await expect(page.getByTestId("verdict")).toContainText("Attack succeeded", { timeout: 20_000 });
    await page.locator("h1").click();
    await page.keyboard.press("End");
    await expect(page.getByTestId("counter")).toHaveText(/^Step (\d+) \/ \1$/);
    await page.getByTestId("step").filter({ hasText: `ignoring ${check}` }).click();
    await expect(page.getByTestId(`check-${check}`)).toHaveClass(/fail/);
    await expect(page.getByTestId("id-token-verdict")).toContainText("the attacker is signed in");
  });
}

test("the lab clock's speed is the learner's choice, and introspection says active before and inactive after", async ({ page }) => {
  await hydrated(page, "/misuse/expired-token");
  await page.getByTestId("clock-speed").selectOption("36000");
  await page.getByTestId("run").click();
  await expect(page.getByTestId("verdict")).toContainText("401 Unauthorized: invalid_token", { timeout: 20_000 });
  await expect(page.getByTestId("step-label").filter({ hasText: "lab clock at 36000×" })).toHaveCount(1);
  const run = await record(page);
  const introspections = run.steps.filter((s: any) => s.label === "POST /oauth/introspect");
  expect(introspections.map((s: any) => JSON.parse(s.exchange.response.body).active)).toEqual([true, false]);
});

test("a class follows a misuse scenario: the student sees the presenter's run and verdict", async ({ page, browser }) => {
  await hydrated(page, "/misuse/token-in-url");
  await page.getByTestId("present").click();
  const follow = await page.getByTestId("follow-link").getAttribute("href");
  const student = await (await browser.newContext()).newPage();
  await student.goto(follow!);
  await page.getByTestId("run").click();
  await expect(page.getByTestId("verdict")).toContainText("Defence held");
  await page.keyboard.press("End");
  await expect(page.getByTestId("counter")).toHaveText(/^Step (\d+) \/ \1$/);
  await expect(student).toHaveURL(/\/misuse\/token-in-url\?.*run=run_[\w-]+.*follow=class_/);
  await expect(student.getByTestId("verdict")).toContainText("Defence held");
  await expect(student.getByTestId("run")).toHaveCount(0);
  await expect(student.getByTestId("inspector-title")).toHaveText(await page.getByTestId("inspector-title").textContent() ?? "");
});
