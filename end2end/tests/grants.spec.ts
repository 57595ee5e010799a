import { test, expect, Page } from "@playwright/test";
import { readFileSync } from "node:fs";

// What each grant's diagram must show, in order.
const EXPECTED: Record<string, string[]> = {
  "authorization-code": [
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "GET /oauth/authorize",
    "user signs in and decides",
    "POST /oauth/authorize",
    "GET /lab/runs/…/callback",
    "POST /oauth/token",
    "GET /api/v1/accounts/verify_credentials",
    "POST /api/v1/statuses",
    "POST /oauth/token",
    "POST /oauth/revoke",
  ],
  implicit: [
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "GET /oauth/authorize",
    "user signs in and decides",
    "POST /oauth/authorize",
    "GET /lab/runs/…/callback",
    "script reads location.hash",
    "GET /api/v1/accounts/verify_credentials",
    "POST /api/v1/statuses",
  ],
  password: [
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "user types password into the app",
    "POST /lab/runs/…/password",
    "POST /oauth/token",
    "GET /api/v1/accounts/verify_credentials",
    "POST /api/v1/statuses",
    "POST /oauth/token",
    "POST /oauth/revoke",
  ],
  "client-credentials": [
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "POST /lab/runs/…/service",
    "POST /oauth/token",
    "GET /api/v1/accounts/verify_credentials",
    "POST /oauth/revoke",
  ],
  // RFC 8628: the device polls once before the user acts (authorization_pending).
  "device-code": [
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "POST /oauth/device_authorization",
    "POST /oauth/token",
    "user reads the code, opens the page",
    "GET /oauth/device",
    "user signs in and decides",
    "POST /oauth/device",
    "POST /oauth/token",
    "GET /api/v1/accounts/verify_credentials",
    "POST /api/v1/statuses",
    "POST /oauth/token",
    "POST /oauth/revoke",
  ],
  // OpenID Connect: discovery and the keys first, the app's checks of the
  // ID token, then UserInfo.
  "openid-connect": [
    "GET /.well-known/openid-configuration",
    "GET /oauth/jwks",
    "POST /oauth/register",
    "GET /lab/runs/…/login",
    "GET /oauth/authorize",
    "user signs in and decides",
    "POST /oauth/authorize",
    "GET /lab/runs/…/callback",
    "POST /oauth/token",
    "app checks the ID token",
    "GET /oauth/userinfo",
    "GET /api/v1/accounts/verify_credentials",
    "POST /oauth/token",
    "POST /oauth/revoke",
  ],
  // The seed's bot: create an app, the password grant, the first toot.
  "mastodon-bot": [
    "POST /api/v1/apps",
    "GET /lab/runs/…/login",
    "user types password into the app",
    "POST /lab/runs/…/password",
    "POST /oauth/token",
    "POST /api/v1/statuses",
    "GET /api/v1/accounts/verify_credentials",
    "POST /oauth/revoke",
  ],
};

// The button that sends the pane's sign-in form.
const SIGN_IN: Record<string, string> = { password: "Sign in", "mastodon-bot": "Run the bot" };

async function open(page: Page, slug: string) {
  await page.goto(`/grants/${slug}`);
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
}

/** Plays the user in the browser pane, as a learner would. */
async function actInPane(page: Page, slug: string) {
  const frame = page.frameLocator("[data-testid=browser-pane]");
  if (slug === "client-credentials") {
    await frame.getByRole("button", { name: "Run the job" }).click();
    return;
  }
  if (slug === "device-code") {
    // The device's screen shows the code; the learner opens the
    // verification page (here in the same pane) and approves.
    await expect(frame.getByTestId("device-user-code")).toHaveText(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const code = await frame.getByTestId("device-user-code").textContent();
    await frame.getByTestId("verification-link").click();
    await expect(frame.getByTestId("user-code")).toHaveText(code!);
  }
  await frame.getByLabel("Username", { exact: true }).fill("alice");
  await frame.getByLabel("Password", { exact: true }).fill("wonderland");
  await frame.getByRole("button", { name: SIGN_IN[slug] ?? "Sign in and approve" }).click();
}

function sameBody(shown: string, recorded: string, json: boolean) {
  if (json && recorded.length > 0) {
    expect(JSON.parse(shown)).toEqual(JSON.parse(recorded));
  } else {
    expect(shown).toBe(recorded);
  }
}

const isJson = (headers: [string, string][]) =>
  headers.some(([k, v]) => k.toLowerCase() === "content-type" && v.includes("json"));

/** The checks every run must pass, whichever way it was run. */
async function checkRun(page: Page, slug: string) {
  await expect(page.getByTestId("run-status")).toHaveText("Run complete", { timeout: 20_000 });
  const steps = page.getByTestId("step");
  let expected = EXPECTED[slug];
  if (slug === "device-code") {
    // A slower learner sees more authorization_pending polls: each extra
    // one must be a pending poll, and without them the run is as expected.
    const href = await page.getByTestId("record-link").getAttribute("href");
    const rec = await (await page.request.get(href!)).json();
    const pending = rec.steps
      .map((s: any, i: number) => [s, i])
      .filter(([s]: any) => s.kind === "DevicePoll" && s.exchange.response.status === 400);
    for (const [s] of pending) expect(JSON.parse(s.exchange.response.body).error).toBe("authorization_pending");
    const extra = new Set(pending.slice(1).map(([, i]: any) => i));
    const labels = rec.steps.map((s: any) => s.label);
    expect(labels.filter((_: string, i: number) => !extra.has(i))).toEqual(expected);
    expected = labels;
  }
  await expect(steps).toHaveCount(expected.length);
  await expect(page.getByTestId("step-label")).toHaveText(expected);
  // Show every step, from the keyboard.
  // Focus the lab page (not the browser pane) for its keyboard controls.
  await page.locator("h1").click();
  await page.keyboard.press("End");
  await expect(page.getByTestId("counter")).toHaveText(`Step ${expected.length} / ${expected.length}`);
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("counter")).toHaveText(`Step ${expected.length - 1} / ${expected.length}`);
  await page.keyboard.press("End");

  // The token, where it arrives, and the next API call that carries it.
  let token: string;
  if (slug === "implicit") {
    await steps.nth(expected.indexOf("POST /oauth/authorize")).click();
    const head = await page.getByTestId("response-head").textContent();
    const location = head!.split("\n").find((l) => l.startsWith("location: "))!.slice("location: ".length);
    token = new URLSearchParams(new URL(location).hash.slice(1)).get("access_token")!;
  } else {
    // The token request that answered with the token: for the device
    // grant, the poll after the pending ones.
    const api = expected.indexOf("GET /api/v1/accounts/verify_credentials");
    await steps.nth(expected.lastIndexOf("POST /oauth/token", api)).click();
    await expect(page.getByTestId("inspector-title")).toHaveText("POST /oauth/token");
    const body = JSON.parse((await page.getByTestId("response-body").textContent())!);
    token = body.access_token;
    if (slug === "authorization-code" || slug === "openid-connect") {
      await expect(page.getByTestId("pkce-result")).toContainText("They match");
    }
    if (slug === "openid-connect") {
      await expect(page.getByTestId("id-token-claims")).toContainText('"nonce"');
      await steps.nth(expected.indexOf("app checks the ID token")).click();
      await expect(page.getByTestId("id-token-checks").locator("tr.check")).toHaveCount(8);
      await expect(page.getByTestId("id-token-checks").locator("tr.check.pass")).toHaveCount(8);
      await expect(page.getByTestId("id-token-verdict")).toContainText("Every check passed");
      await steps.nth(expected.indexOf("GET /oauth/userinfo")).click();
      await expect(page.getByTestId("sub-note")).toContainText("Why sub, not the email");
    }
    if (slug === "mastodon-bot") {
      // Each step of the seed with its line of Mastodon.py.
      await expect(page.getByTestId("bot-code")).toContainText("m.log_in(");
      await steps.nth(0).click();
      await expect(page.getByTestId("bot-code")).toContainText("Mastodon.create_app(");
      await steps.nth(expected.indexOf("POST /api/v1/statuses")).click();
      await expect(page.getByTestId("bot-code")).toContainText("m.toot(");
    }
  }
  expect(token).toMatch(/^at_[A-Za-z0-9_-]{43}$/);
  await steps.nth(expected.indexOf("GET /api/v1/accounts/verify_credentials")).click();
  await expect(page.getByTestId("inspector-title")).toHaveText("GET /api/v1/accounts/verify_credentials");
  const apiHead = (await page.getByTestId("request-head").textContent())!;
  // Recorded as the browser sent it: the header name keeps its case.
  const auth = apiHead.split("\n").find((l) => l.toLowerCase().startsWith("authorization: "));
  expect(auth?.slice("authorization: ".length)).toBe(`Bearer ${token}`);

  // Every body shown equals the server's record of the run.
  const href = await page.getByTestId("record-link").getAttribute("href");
  const record = await (await page.request.get(href!)).json();
  expect(record.steps.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const x = record.steps[i].exchange;
    await steps.nth(i).click();
    await expect(page.getByTestId("inspector-title")).toHaveText(record.steps[i].label);
    if (!x) continue;
    sameBody((await page.getByTestId("request-body").textContent())!, x.request.body, isJson(x.request.headers));
    sameBody((await page.getByTestId("response-body").textContent())!, x.response.body, isJson(x.response.headers));
    const head = (await page.getByTestId("request-head").textContent())!;
    expect(head.split("\n")[0]).toBe(`${x.request.method} ${x.request.target} ${x.request.version}`);
  }
  return token;
}

for (const slug of Object.keys(EXPECTED)) {
  test(`${slug}: autoplay runs for real and plays back`, async ({ page }) => {
    await open(page, slug);
    await page.getByTestId("run").click();
    await page.getByTestId("speed").selectOption("4");
    // Playback reaches the last step by itself.
    await expect(page.getByTestId("counter")).toHaveText(/^Step (\d+) \/ \1$/, { timeout: 20_000 });
    await checkRun(page, slug);
  });

  test(`${slug}: guided, the learner acts in the browser pane`, async ({ page }) => {
    await open(page, slug);
    await page.getByRole("radio", { name: /Guided/ }).check();
    await page.getByTestId("run").click();
    await expect(page.getByTestId("run-status")).toHaveText("Waiting for you in the browser pane");
    await actInPane(page, slug);
    await checkRun(page, slug);
  });
}

test("the implicit callback page checks state before it reads a token", async ({ page }) => {
  await open(page, "implicit");
  await page.getByRole("radio", { name: /Guided/ }).check();
  await page.getByTestId("run").click();
  await actInPane(page, "implicit");
  await checkRun(page, "implicit");
  const href = await page.getByTestId("record-link").getAttribute("href");
  const before = await (await page.request.get(href!)).json();
  const callback = before.steps.find((s: any) => s.label.endsWith("/callback")).exchange.request.target;
  // A fragment with a state the app never sent, in the same browser: the
  // script refuses it and calls no API.
  const forged = await page.context().newPage();
  await forged.goto(`${callback.split("?")[0]}#access_token=at_forged&token_type=Bearer&state=forged`);
  await expect(forged.locator("#out")).toContainText("refused as a possible CSRF");
  const after = await (await page.request.get(href!)).json();
  expect(after.steps.filter((s: any) => s.label.startsWith("GET /api/")).length).toBe(
    before.steps.filter((s: any) => s.label.startsWith("GET /api/")).length,
  );
});

test("guided: denying consent plays the access_denied path", async ({ page }) => {
  await open(page, "authorization-code");
  await page.getByRole("radio", { name: /Guided/ }).check();
  await page.getByTestId("run").click();
  await page.frameLocator("[data-testid=browser-pane]").getByRole("button", { name: "Deny" }).click();
  await expect(page.getByTestId("run-status")).toContainText("access_denied");
  await expect(page.getByTestId("step-label").last()).toHaveText("GET /lab/runs/…/callback");
  await page.getByTestId("step").last().click();
  await expect(page.getByTestId("request-head")).toContainText("error=access_denied");
});

test("mask secrets hides tokens in the inspector", async ({ page }) => {
  await open(page, "client-credentials");
  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await page.keyboard.press("End");
  await page.getByTestId("step").nth(3).click();
  const body = (await page.getByTestId("response-body").textContent())!;
  const token = JSON.parse(body).access_token;
  await page.getByTestId("mask").check();
  await expect(page.getByTestId("response-body")).not.toContainText(token);
  await expect(page.getByTestId("response-body")).toContainText("at_x••••••".slice(0, 3));
  await expect(page.getByTestId("basic")).not.toContainText("secret_");
});

test("the home page leads to all five grants, and each has a permanent address", async ({ page }) => {
  await page.goto("/");
  for (const slug of Object.keys(EXPECTED)) {
    await expect(page.locator(`a[href="/grants/${slug}"]`).first()).toBeVisible();
  }
  await page.locator('a[href="/grants/password"]').first().click();
  await expect(page).toHaveURL(/\/grants\/password$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Resource owner password");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Resource owner password");
  await expect(page.getByRole("note")).toContainText("Deprecated");
});

test("unticking refresh and revoke stops the run once the token is used", async ({ page }) => {
  await open(page, "password");
  await page.getByTestId("lifecycle").uncheck();
  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await expect(page.getByTestId("step-label")).toHaveText(EXPECTED.password.slice(0, 7));
});

test("a run exports as HAR, as Markdown with a Mermaid diagram, and as a curl script", async ({ page }) => {
  await open(page, "client-credentials");
  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-har").click()]);
  expect(download.suggestedFilename()).toBe("oauth2-lab-client-credentials.har");
  const har = JSON.parse(readFileSync(await download.path(), "utf8"));
  expect(har.log.version).toBe("1.2");
  expect(har.log.entries.map((e: any) => e.request.method + " " + new URL(e.request.url).pathname)).toContain("POST /oauth/token");
  const md = await (await page.request.get((await page.getByTestId("export-md").getAttribute("href"))!)).text();
  expect(md).toContain("sequenceDiagram");
  expect(md).toContain("C->>AS: 4. POST /oauth/token");
  const [sh] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-sh").click()]);
  expect(sh.suggestedFilename()).toBe("oauth2-lab-client-credentials.sh");
  const script = readFileSync(await sh.path(), "utf8");
  expect(script.startsWith("#!/usr/bin/env bash")).toBe(true);
  // The token request authenticates with the client the script registered.
  expect(script).toContain('-u "${CLIENT_ID}:${CLIENT_SECRET}"');
  expect(script).toContain('CLIENT_SECRET=$(json client_secret "$resp")');
});

test("the chooser recommends per RFC 9700 and runs the recommendation in one click", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByRole("link", { name: "Answer six questions" }).click();
  await expect(page).toHaveURL(/\/choose$/);
  // Each page is its own load: wait for its island before answering.
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  const answer = (question: string, yes: boolean) =>
    page.getByRole("group", { name: question }).getByRole("radio", { name: yes ? "Yes" : "No" }).check();
  await answer("Is a user involved?", false);
  await expect(page.getByTestId("recommended")).toHaveText("Client credentials");
  await answer("Is a user involved?", true);
  await answer("Does it run only in a browser?", true);
  await expect(page.getByTestId("recommended")).toHaveText("Authorization code with PKCE");
  await expect(page.getByTestId("recommendation")).toContainText("implicit");
  await page.getByTestId("run-recommended").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  // Once the run exists the address is its permalink, so a reload shows it
  // rather than running it again.
  await expect(page).toHaveURL(/\/grants\/authorization-code\?run=run_[\w-]+&step=\d+$/);
  // A device short of a keyboard: the device grant, which the lab runs.
  await page.goBack();
  await expect(page).toHaveURL(/\/choose$/);
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await answer("Is a user involved?", true);
  await answer("Is the device short of a keyboard or a browser?", true);
  await expect(page.getByTestId("recommended")).toHaveText("Device authorization grant (RFC 8628)");
  await expect(page.getByTestId("run-recommended")).toHaveAttribute("href", "/grants/device-code?autorun=1");
});

test("the address is a permalink to the run, its current step and its options", async ({ page, context }) => {
  await open(page, "client-credentials");
  await page.getByTestId("mask").check();
  await page.getByTestId("lifecycle").uncheck();
  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await page.keyboard.press("ArrowRight"); // stops autoplay
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][2]);
  await expect(page).toHaveURL(/\/grants\/client-credentials\?lifecycle=0&mask=1&run=run_[\w-]+&step=3$/);
  const link = page.url();
  expect(await page.getByTestId("permalink").getAttribute("href")).toBe(new URL(link).pathname + new URL(link).search);

  // Another screen opens the same run at the same step, with the same options.
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.locator("body[data-hydrated='true']")).toBeAttached();
  await expect(other.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][2]);
  await expect(other.getByTestId("mask")).toBeChecked();
  await expect(other.getByTestId("lifecycle")).not.toBeChecked();
  await expect(other.getByTestId("run-status")).toHaveText("Run complete");
  // Steps after the shared one are not drawn yet.
  await expect(other.locator("[data-testid='step']:not(.pending)")).toHaveCount(3);
  await expect(other.locator("[data-testid='step'].pending")).toHaveCount(2);
  await other.keyboard.press("ArrowRight");
  await expect(other).toHaveURL(/step=4$/);

  // A run that is gone says so.
  await other.goto("/grants/client-credentials?run=run_gone&step=2");
  await expect(other.getByRole("alert")).toContainText("no longer keeps it");
});

test("four grants side by side step together, with a table computed from the runs", async ({ page, context }) => {
  await page.goto("/");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByTestId("compare-link").click();
  await expect(page).toHaveURL(/\/compare/);
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByTestId("run-compare").click();
  await expect(page.getByTestId("compare-col")).toHaveCount(4);
  await expect(page.getByTestId("compare-col").locator("h2")).toHaveText([
    "Authorization code with PKCE", "Client credentials", "Implicit", "Resource owner password",
  ].map((t) => new RegExp(t.split(" ")[0])));
  // Stepping from the keyboard moves every column.
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("compare-step")).toHaveText(/^Step 3 of 11$/);
  for (const col of await page.getByTestId("compare-col").all()) {
    await expect(col.locator("[data-testid='step']:not(.pending)")).toHaveCount(3);
  }
  const table = page.getByTestId("compare-table");
  const row = (label: string) => table.locator("tr", { has: page.locator(`th:text-is("${label}")`) }).locator("td");
  // Counted from the records, the app's own pages included.
  await expect(row("HTTP round trips")).toHaveText(["10", "6", "7", "8"]);
  await expect(row("PKCE")).toHaveText([/^yes: S256/, "no", "no", "no"]);
  await expect(row("Refresh token issued")).toHaveText(["yes", "no", "no", "yes"]);
  await expect(row("The user has to act")).toHaveText(["yes: signs in", "no", "yes: signs in", "yes: signs in"]);
  await expect(row("Client authentication")).toHaveText([/Basic/, /Basic/, /^none/, /Basic/]);
  // The teaching points: with a code the app never sees the password, with
  // the password grant it does; with implicit the token skips the client's
  // server and lives in the browser.
  await expect(row("The user's password: who sees it")).toHaveText([
    /^User agent, Authorization server \(/, "not used", /^User agent, Authorization server \(/, /^User agent, Client, Authorization server \(/,
  ]);
  await expect(row("The access token: who sees it")).toHaveText([
    /^Client, Authorization server, Resource server/, /^Client, Authorization server, Resource server/,
    /^User agent, Authorization server, Resource server/, /^Client, Authorization server, Resource server/,
  ]);
  await expect(row("The authorization code: who sees it")).toHaveText([/^User agent, Client, Authorization server/, "not used", "not used", "not used"]);
  // The permalink opens the same comparison at the same step.
  await expect(page).toHaveURL(/\/compare\?grants=authorization-code,client-credentials,implicit,password&runs=run_[\w-]+,run_[\w-]+,run_[\w-]+,run_[\w-]+&step=3$/);
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(other.getByTestId("compare-step")).toHaveText(/^Step 3 of 11$/);
  await expect(other.getByTestId("compare-table").locator("tbody tr")).toHaveCount(14);
});

test("students follow the presenter's run and steps live, with no sign-in", async ({ page, browser }) => {
  await open(page, "client-credentials");
  await page.getByTestId("present").click();
  const follow = await page.getByTestId("follow-link").getAttribute("href");
  expect(follow).toMatch(/\/follow\/class_[\w-]+$/);
  // The same link as a QR code, for a class to scan off the projector.
  await expect(page.getByTestId("follow-qr")).toBeVisible();
  expect(await page.getByTestId("follow-qr").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  await expect(page.locator("body.presenting")).toBeAttached();

  // A student on another browser (no cookies, nothing shared) opens the link before anything runs.
  const student = await (await browser.newContext()).newPage();
  await student.goto(follow!);
  await expect(student.getByTestId("follow-waiting")).toBeVisible();

  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][1]);

  // The student lands on the presenter's run, at the presenter's step, and moves with it.
  await expect(student).toHaveURL(/\/grants\/client-credentials\?.*run=run_[\w-]+.*follow=class_/);
  await expect(student.getByTestId("following")).toBeVisible();
  await expect(student.getByTestId("run")).toHaveCount(0);
  await expect(student.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][1]);
  await page.keyboard.press("ArrowRight");
  await expect(student.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][2]);
  await page.keyboard.press("ArrowRight");
  await expect(student.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][3]);
  // The presenter's speaker notes are the step's narration, in large type.
  await expect(page.locator("body.presenting .narration")).toBeVisible();

  // A new run opens in place on the student's page: no page load, one
  // fetch of its view, at the presenter's step.
  const first = new URL(student.url()).searchParams.get("run");
  await student.evaluate(() => ((window as any).samePage = true));
  const fetched = student.waitForResponse((r) => /\/lab\/runs\/run_[\w-]+\/view\?/.test(r.url()));
  await page.getByTestId("run").click();
  await expect.poll(() => new URL(page.url()).searchParams.get("run")).not.toBe(first);
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  const second = new URL(page.url()).searchParams.get("run");
  expect((await fetched).url()).toContain(`/lab/runs/${second}/view`);
  await expect(student).toHaveURL(new RegExp(`run=${second}.*follow=class_`));
  expect(await student.evaluate(() => (window as any).samePage)).toBe(true);
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowRight");
  await expect(student.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][1]);

  // The stream breaks (the phone loses its network): the student is told,
  // and told again once it is back.
  await expect(student.getByTestId("following")).toHaveAttribute("data-link", "live");
  await student.context().setOffline(true);
  await expect(student.getByTestId("follow-link-state")).toHaveText("Lost the presenter. Reconnecting…");
  await student.context().setOffline(false);
  await expect(student.getByTestId("follow-link-state")).toHaveText("Back with the presenter.", { timeout: 15_000 });
  await page.keyboard.press("ArrowRight");
  await expect(student.getByTestId("inspector-title")).toHaveText(EXPECTED["client-credentials"][2]);
});

test("JWT access tokens are decoded in the inspector, and a revoked one still passes the API", async ({ page }) => {
  await open(page, "authorization-code");
  await page.getByTestId("jwt").check();
  await expect(page.getByTestId("jwt-note")).toContainText("RFC 9068");
  await page.getByTestId("run").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await expect(page).toHaveURL(/jwt=1/);
  await page.keyboard.press("End");
  await expect(page.getByTestId("counter")).toHaveText(/^Step (\d+) \/ \1$/);
  const labels = await page.getByTestId("step-label").allTextContents();
  await page.getByTestId("step").nth(labels.indexOf("POST /oauth/token")).click();
  await expect(page.getByTestId("jwt-header")).toContainText('"typ": "at+jwt"');
  await expect(page.getByTestId("jwt-claims")).toContainText('"sub": "alice"');
  // After the revocation: the API (checking the JWT alone) says 200,
  // introspection (asking the authorization server) says inactive.
  const revoke = labels.indexOf("POST /oauth/revoke");
  expect(labels.slice(revoke + 1)).toEqual(["GET /api/v1/accounts/verify_credentials", "POST /oauth/introspect"]);
  await page.getByTestId("step").nth(revoke + 1).click();
  await expect(page.getByTestId("response-head")).toContainText("HTTP/1.1 200 OK");
  await page.getByTestId("step").nth(revoke + 2).click();
  await expect(page.getByTestId("response-body")).toContainText('"active": false');
});
