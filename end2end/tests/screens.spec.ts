import { test, expect, Page, Browser } from "@playwright/test";

// Every screen: a phone (390×844, touch), a laptop (1280×720) and a
// projector (1920×1080). No page scrolls sideways, the run's lanes are all
// in view, followers get no step controls, and in large type every text
// of the diagram and the inspector is 24 px or more on the screen.
const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  laptop: { viewport: { width: 1280, height: 720 } },
  projector: { viewport: { width: 1920, height: 1080 } },
};

async function hydrated(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body[data-hydrated='true']")).toBeAttached();
}

async function noSidewaysScroll(page: Page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll, `${page.url()} is ${scroll} px wide in a ${width} px window`).toBeLessThanOrEqual(width);
}

async function runAutoplay(page: Page, slug: string) {
  await hydrated(page, `/grants/${slug}`);
  await page.getByTestId("run").click();
  await page.getByTestId("speed").selectOption("4");
  await expect(page.getByTestId("run-status")).toHaveText("Run complete", { timeout: 20_000 });
}

async function lanesInView(page: Page) {
  const lanes = page.getByTestId("lane-name");
  await expect(lanes).toHaveCount(5);
  await lanes.first().scrollIntoViewIfNeeded();
  for (const lane of await lanes.all()) await expect(lane).toBeInViewport();
}

async function newPage(browser: Browser, size: keyof typeof SIZES) {
  return (await browser.newContext(SIZES[size])).newPage();
}

for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
  test(`${size}: no page scrolls sideways, and a run shows all its lanes`, async ({ browser }) => {
    const page = await newPage(browser, size);
    for (const path of ["/", "/choose", "/misuse", "/misuse/secret-in-url", "/compare", "/grants/device-code", "/lab/start"]) {
      await page.goto(path);
      await page.waitForLoadState("networkidle");
      await noSidewaysScroll(page);
    }
    await runAutoplay(page, "authorization-code");
    await page.keyboard.press("End");
    await noSidewaysScroll(page);
    await lanesInView(page);
    // Narrow screens get the steps as a list, wide ones the diagram.
    const narrow = size === "phone";
    await expect(page.getByTestId("step-list")).toBeVisible({ visible: narrow });
    await expect(page.getByTestId("diagram")).toBeVisible({ visible: !narrow });
    await expect(page.getByTestId("step-item").first()).toBeVisible({ visible: narrow });
  });
}

test("phone: a follower sees the presenter's step first, with no step controls, and can come back to it", async ({ browser }) => {
  const presenter = await newPage(browser, "laptop");
  await runAutoplay(presenter, "authorization-code");
  await presenter.getByTestId("present").click();
  const follow = await presenter.getByTestId("follow-link").getAttribute("href");
  await presenter.keyboard.press("Home");
  for (let i = 0; i < 6; i++) await presenter.keyboard.press("ArrowRight");

  const student = await newPage(browser, "phone");
  await student.goto(follow!);
  await expect(student).toHaveURL(/follow=class_/);
  await expect(student.getByTestId("following")).toContainText("at step 7");
  for (const control of ["prev", "next", "play", "speed", "run"]) await expect(student.getByTestId(control)).toHaveCount(0);
  await noSidewaysScroll(student);
  // The current step is in view, as a list item of the narrow layout.
  const current = student.locator("[data-testid=step-item].current");
  await expect(current).toHaveAttribute("data-step", "6");
  await expect(current).toBeInViewport();
  // The presenter moves on; the student's page moves with them.
  await presenter.keyboard.press("ArrowRight");
  await expect(student.locator("[data-testid=step-item].current")).toHaveAttribute("data-step", "7");
  await expect(student.locator("[data-testid=step-item].current")).toBeInViewport();
  // A tap on another step takes the student away, and one tap brings
  // them back.
  await student.locator("[data-testid=step-item][data-step='2']").tap();
  await expect(student.getByTestId("inspector-title")).toHaveText("GET /oauth/authorize");
  await student.getByTestId("follow-again").tap();
  await expect(student.locator("[data-testid=step-item].current")).toHaveAttribute("data-step", "7");
  await expect(student.getByTestId("follow-again")).toHaveCount(0);
  // The exports are folded away.
  await expect(student.getByTestId("export-har")).toBeHidden();
});

/** The size on the screen of the text of every element under `root`. */
async function smallestText(page: Page, selector: string) {
  return page.evaluate((selector) => {
    let smallest = Infinity;
    let which = "";
    for (const root of document.querySelectorAll(selector)) {
      const svg = root.closest("svg");
      const scale = svg ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement!;
        const r = el.getBoundingClientRect();
        if (!n.textContent!.trim() || (r.width === 0 && r.height === 0) || getComputedStyle(el).visibility === "hidden") continue;
        if (el.closest(".pending")) continue;
        const px = parseFloat(getComputedStyle(el).fontSize) * (el instanceof SVGElement ? scale : 1);
        if (px < smallest) [smallest, which] = [px, n.textContent!.trim().slice(0, 40)];
      }
    }
    return { smallest, which };
  }, selector);
}

for (const [size, large] of [["projector", false], ["laptop", true]] as const) {
  test(`${size}${large ? " with large type" : ""}: the presenter's run fills the screen, every text 24 px or more`, async ({ browser }) => {
    const page = await newPage(browser, size);
    await hydrated(page, "/grants/authorization-code");
    if (large) {
      await page.getByTestId("large-type").check();
    } else {
      await page.getByTestId("present").click();
      await expect(page.getByTestId("follow-link")).toBeVisible();
    }
    await expect(page.locator("body.presenting")).toBeAttached();
    await page.getByTestId("run").click();
    await page.getByTestId("speed").selectOption("4");
    await expect(page.getByTestId("run-status")).toHaveText("Run complete", { timeout: 20_000 });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("Home");
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("ArrowRight");
      // The current step and its explanation, together on one screen.
      await expect(page.locator(".diagram .step.current")).toBeInViewport({ ratio: 0.9 });
      await expect(page.getByTestId("narration")).toBeInViewport();
      await expect(page.getByTestId("inspector-title")).toBeInViewport();
    }
    await noSidewaysScroll(page);
    for (const lane of await page.getByTestId("lane-name").all()) await expect(lane).toBeInViewport();
    for (const part of [".diagram .step", "[data-testid=lanes]", ".inspector"]) {
      const { smallest, which } = await smallestText(page, part);
      expect(smallest, `"${which}" in ${part}`).toBeGreaterThanOrEqual(23.5);
    }
  });
}

test("the guided browser pane has an address bar: every navigation, query and fragment, masked on request", async ({ page }) => {
  await hydrated(page, "/grants/authorization-code");
  await page.getByRole("radio", { name: /Guided/ }).check();
  await page.getByTestId("run").click();
  const bar = page.getByTestId("address-bar");
  await expect(bar).toContainText("/oauth/authorize?response_type=code&client_id=");
  await expect(bar).toContainText("code_challenge_method=S256");
  const frame = page.frameLocator("[data-testid=browser-pane]");
  await frame.getByLabel("Username").fill("alice");
  await frame.getByLabel("Password").fill("wonderland");
  await frame.getByRole("button", { name: "Sign in and approve" }).click();
  await expect(bar).toContainText(/\/lab\/runs\/run_[\w-]+\/callback\?code=[\w-]{20,}&state=/);
  const code = (await bar.textContent())!.match(/code=([\w-]+)/)![1];
  await page.getByTestId("mask").check();
  await expect(bar).toContainText(`code=${code.slice(0, 4)}••••••`);
  await expect(bar).not.toContainText(code);
  // Back goes to the previous page of the frame, and the bar follows.
  await page.getByTestId("pane-back").click();
  await expect(bar).toContainText("/oauth/authorize?");
});

test("the device grant draws the device as its own party", async ({ page }) => {
  await runAutoplay(page, "device-code");
  await expect(page.getByTestId("lane-name").nth(2)).toContainText("Device (client)");
  await expect(page.getByTestId("lane-name").nth(2)).toContainText("the TV app");
  await page.keyboard.press("End");
  await page.getByTestId("step").filter({ hasText: "POST /oauth/device_authorization" }).click();
  await expect(page.locator(".inspector .roles")).toContainText("Device (client) → Authorization server");
});
