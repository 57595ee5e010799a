import { test, expect } from "@playwright/test";

// "Your own provider": the page names an authorization server by its
// issuer (here the lab itself, on loopback, which the lab allows when it
// listens there), the lab registers a client there, and each step the
// learner plays appears in the diagram as it crossed the wire. The sign-in
// happens in a new tab, as providers refuse frames.
test("a provider named by its issuer is discovered, registered with and played, the sign-in in a new tab", async ({ page, context, request }) => {
  await page.goto("/own-provider");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  const origin = new URL(page.url()).origin;
  await page.getByTestId("issuer").fill(origin);
  await page.getByTestId("connect").click();

  await expect(page.getByTestId("provider-setup")).toBeVisible();
  await expect(page.getByTestId("issuer-found")).toHaveText(origin);
  await expect(page.getByTestId("token-found")).toHaveText(`${origin}/oauth/token`);
  await expect(page.getByTestId("provider-client-id")).toContainText("registered by the lab (RFC 7591)");
  await expect(page.getByTestId("redirect-uri")).toHaveText(`${origin}/lab/provider/callback`);
  // Discovery and registration are the first two steps.
  await expect(page.getByTestId("step")).toHaveCount(2);

  await page.getByTestId("client-credentials").click();
  await expect(page.getByTestId("step")).toHaveCount(3);
  await expect(page.getByTestId("run-status")).toContainText("Recording: 3 steps so far");

  // The sign-in: a new tab, the provider's own pages, back to the lab.
  const [tab] = await Promise.all([context.waitForEvent("page"), page.getByTestId("sign-in").click()]);
  await tab.getByRole("textbox", { name: "Username" }).fill("alice");
  await tab.getByLabel("Password").fill("wonderland");
  await tab.getByRole("button", { name: "Sign in and approve" }).click();
  await expect(tab.locator("h1")).toHaveText("Signed in at your provider");
  await tab.close();
  // The lab's redirect, the callback, the code's redemption, the
  // provider's keys and the ID token's checks appear here without a
  // reload.
  await expect(page.getByTestId("step")).toHaveCount(8);
  await page.getByTestId("step").nth(7).click();
  await expect(page.getByTestId("inspector")).toContainText("signature");

  await page.getByTestId("userinfo").click();
  await expect(page.getByTestId("step")).toHaveCount(9);
  await page.getByTestId("revoke").click();
  await expect(page.getByTestId("step")).toHaveCount(10);
  await page.getByTestId("step").nth(8).click();
  await expect(page.getByTestId("inspector")).toContainText("alice");

  const link = await page.getByTestId("permalink").getAttribute("href");
  const runId = new URL(link!, page.url()).searchParams.get("run");
  const stranger = await request.get(`/lab/runs/${runId}`, { headers: { Cookie: "" } });
  expect(stranger.status()).toBe(403);

  await page.getByTestId("stop").click();
  await expect(page.getByTestId("run-status")).toHaveText("Run complete");
  await expect(page.getByTestId("userinfo")).toBeDisabled();
});

test("an address the lab may not call comes back as the reason", async ({ page }) => {
  await page.goto("/own-provider");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByTestId("issuer").fill("http://169.254.169.254/latest");
  await page.getByTestId("connect").click();
  await expect(page.getByRole("alert")).toContainText("link-local or cloud-metadata");
  // The form stays, to try another.
  await expect(page.getByTestId("issuer")).toBeVisible();
});
