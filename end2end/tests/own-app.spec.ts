import { test, expect } from "@playwright/test";

// "Your own app": the page registers a client, and a program outside the
// browser (here, this test's own HTTP requests, with no mark of the lab's)
// uses it; each of its requests appears on the page as it happens, with
// what it did against the RFCs.
test("a program's requests with the page's client appear live, with their findings", async ({ page, request }) => {
  await page.goto("/own-app");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByTestId("redirect-uris").fill("http://127.0.0.1:8765/callback");
  await page.getByTestId("register").click();

  const setup = page.getByTestId("own-setup");
  await expect(setup).toBeVisible();
  const clientId = (await page.getByTestId("client-id").textContent())!;
  const secret = (await page.getByTestId("client-secret").textContent())!;
  expect(clientId).toMatch(/^app_/);
  await expect(page.getByTestId("base-url")).toHaveText(new URL(page.url()).origin);
  await expect(page.getByTestId("run-status")).toContainText("Recording: 1 step so far");
  // The registration is the run's first step.
  await expect(page.getByTestId("step")).toHaveCount(1);

  // The program: a token with the secret in the form, then an API call
  // with the token in the query.
  const token = await request.post("/oauth/token", {
    form: { grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: "read" },
  });
  expect(token.status()).toBe(200);
  const accessToken = (await token.json()).access_token;
  const api = await request.get(`/api/v1/apps/verify_credentials?access_token=${accessToken}`);
  // Bearer tokens go in the header only (RFC 6750 §2.1): invalid_request.
  expect(api.status()).toBe(400);

  // Both appear, without a reload, marked.
  await expect(page.getByTestId("step")).toHaveCount(3);
  await expect(page.getByTestId("run-status")).toContainText("3 steps");
  await page.getByTestId("step").nth(1).click();
  await expect(page.getByTestId("findings")).toContainText("The secret in the body");
  await page.getByTestId("step").nth(2).click();
  await expect(page.getByTestId("findings")).toContainText("The access token in the URL");
  await expect(page.getByTestId("step").nth(2).getByTestId("finding-mark")).toBeAttached();

  // The permalink opens the run in this browser with its setup; the
  // record is this browser's only.
  const link = await page.getByTestId("permalink").getAttribute("href");
  await page.goto(link!);
  await expect(page.getByTestId("client-id")).toHaveText(clientId);
  await expect(page.getByTestId("step")).toHaveCount(3);
  const runId = new URL(link!, page.url()).searchParams.get("run");
  const stranger = await request.get(`/lab/runs/${runId}`, { headers: { Cookie: "" } });
  expect(stranger.status()).toBe(403);

  await page.getByTestId("stop").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
});

test("a redirect URI the registry refuses comes back as its error", async ({ page }) => {
  await page.goto("/own-app");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByTestId("redirect-uris").fill("http://example.com/callback");
  await page.getByTestId("register").click();
  await expect(page.getByRole("alert")).toContainText("not loopback");
});
