import { defineConfig } from "@playwright/test";

// The test script picks a free loopback port and passes it in E2E_PORT, so
// every run serves the real binary on its own ephemeral port.
const port = process.env.E2E_PORT ?? "3000";
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: "list",
  forbidOnly: !!process.env.CI,
  use: {
    baseURL,
    trace: "off",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    // The SQLite archive of runs, as `make run` has it, in target/.
    command: `../target/debug/oauth2-lab --addr 127.0.0.1:${port} --database sqlite:../target/e2e/lab.db`,
    url: `${baseURL}/.well-known/oauth-authorization-server`,
    env: { LEPTOS_SITE_ROOT: "../target/site", RUST_LOG: "oauth2_lab=warn" },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
