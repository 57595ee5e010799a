import { test, expect } from "@playwright/test";

test("the home page hydrates and its controls work", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1, name: "OAuth2 Lab" })).toBeVisible();
  // Set by the wasm bundle once hydration has finished.
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  const secret = page.getByTestId("secret-web-app");
  await expect(secret).not.toHaveText("web-app-secret");
  const toggle = page.getByRole("button", { name: "Show client secrets" });
  await toggle.click();
  await expect(secret).toHaveText("web-app-secret");
  await expect(page.getByRole("button", { name: "Hide client secrets" })).toHaveAttribute("aria-pressed", "true");
  // The grants are all there.
  for (const name of ["Authorization code with PKCE", "Client credentials", "Implicit", "Resource owner password"]) {
    await expect(page.getByRole("heading", { level: 3, name })).toBeVisible();
  }
});

test("a learner signs in as alice and finishes an authorization code grant", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
  await page.getByRole("link", { name: "Run an authorization code grant as the user" }).click();

  // The authorization server's own page.
  await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  const url = new URL(page.url());
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  expect(url.searchParams.get("client_id")).toBe("web-app");
  await expect(page.getByRole("heading", { name: "Sign in and authorize" })).toBeVisible();
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill("wonderland");
  await page.getByRole("button", { name: "Sign in and approve" }).click();

  // Back at the client, which redeemed the code and called the API.
  await expect(page).toHaveURL(/\/lab\/callback\?code=code_/);
  await expect(page.getByRole("heading", { name: "Authorization code grant complete" })).toBeVisible();
  await expect(page.getByTestId("access-token")).toHaveText(/^at_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId("scope")).toHaveText("read write");
  const account = JSON.parse((await page.getByTestId("account").textContent()) ?? "{}");
  expect(account.username).toBe("alice");
});

test("denying consent sends the user back with access_denied", async ({ page }) => {
  await page.goto("/lab/start");
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page).toHaveURL(/error=access_denied/);
  await expect(page.getByRole("heading", { name: "The grant was refused" })).toBeVisible();
});

test("pages and their assets are compressed, OAuth traffic is sent as recorded", async ({ request }) => {
  const wasm = await request.get("/pkg/oauth2-lab.wasm", { headers: { "Accept-Encoding": "gzip" } });
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-encoding"]).toBe("gzip");
  const token = await request.post("/oauth/token", {
    headers: { "Accept-Encoding": "gzip", Authorization: "Basic " + Buffer.from("service:service-secret").toString("base64") },
    form: { grant_type: "client_credentials" },
  });
  expect(token.status()).toBe(200);
  expect(token.headers()["content-encoding"]).toBeUndefined();
  // The lab's own pages are compressed too, with their style sheet inline;
  // the authorization server's pages are not.
  const home = await request.get("/", { headers: { "Accept-Encoding": "gzip" } });
  expect(home.headers()["content-encoding"]).toBe("gzip");
  expect(await home.text()).toMatch(/<style>[^<]*--accent/);
  const authorize = await request.get("/oauth/authorize?response_type=code&client_id=no-such-client", {
    headers: { "Accept-Encoding": "gzip" },
  });
  expect(authorize.status()).toBe(400);
  expect(authorize.headers()["content-encoding"]).toBeUndefined();
});
