// The self-service reset end to end in headless Chromium, as a user does it: /login ->
// "Forgot password?" -> request -> the mailed link -> verified token -> mismatched
// passwords refused -> new password -> back on /login after the redirect -> sign in.
// Screenshots of every step in the light and the dark theme; axe-core on every page.
//
// Environment: BASE_URL, MAIL_DIR (the SMTP capture writes one decoded .txt per mail),
// OUT_DIR (screenshots), USER_EMAIL, NEW_PASSWORD, ADMIN_LOGIN, ADMIN_PASSWORD, CHROMIUM.
// Prints one JSON line with the results; exits 1 on the first failed check.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env("BASE_URL").replace(/\/$/, "");
const MAIL_DIR = env("MAIL_DIR");
const OUT = env("OUT_DIR");
fs.mkdirSync(OUT, { recursive: true });

const results = { steps: [], axe: {}, shots: [] };
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function shots(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const file = path.join(OUT, `${name}-${scheme}.png`);
    await page.screenshot({ path: file, fullPage: true });
    results.shots.push(file);
  }
  await page.emulateMedia({ colorScheme: "light" });
  results.steps.push(name);
}

async function axe(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(AXE);
    const outcome = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    });
    results.axe[`${name}-${scheme}`] = outcome;
    check(outcome.length === 0, `axe on ${name} (${scheme}): ${JSON.stringify(outcome)}`);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

async function waitForMail(count, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const files = fs.readdirSync(MAIL_DIR).filter((f) => f.endsWith(".txt")).sort();
    if (files.length >= count) return fs.readFileSync(path.join(MAIL_DIR, files[count - 1]), "utf8");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail number ${count} within ${timeoutMs} ms`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let failed = null;
try {
  // bypassCSP only lets the test inject axe-core; the pages themselves run under the CSP.
  const context = await browser.newContext({ bypassCSP: true, locale: "en-US", viewport: { width: 1000, height: 800 } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });

  await page.goto(`${BASE}/login`);
  check((await page.title()).includes("Sign in"), "login page title");
  await shots(page, "01-login");
  await axe(page, "login");

  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.waitForURL(/\/password-reset$/);
  check(await page.getByRole("heading", { name: "Reset Password" }).isVisible(), "request step heading");
  check(await page.getByRole("button", { name: "Send Reset Link" }).isVisible(), "send button");
  check(await page.getByRole("link", { name: "Back to sign in" }).isVisible(), "back to login link");
  await shots(page, "02-request");
  await axe(page, "password-reset-request");

  await page.getByLabel("Email address").fill(env("USER_EMAIL"));
  await page.getByRole("button", { name: "Send Reset Link" }).click();
  await page.waitForSelector("#banner.banner-success");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "banner"), "focus on the banner");
  check((await page.getAttribute("#banner", "aria-live")) === "polite", "aria-live on messages");
  await shots(page, "03-requested");

  const mail = await waitForMail(1);
  const link = (mail.match(/https?:\/\/\S+password-reset\?token=[A-Za-z0-9_-]+/) || [])[0];
  check(link && link.startsWith(BASE), `a link from the public URL in the mail: ${link}`);
  results.link_host = new URL(link).host;
  results.token = new URL(link).searchParams.get("token");

  await page.goto(link);
  await page.waitForSelector("#reset-form");
  check(await page.locator("#banner").textContent().then((t) => t.includes("valid")), "token verified banner");
  await shots(page, "04-verified");
  await axe(page, "password-reset-form");

  await page.getByLabel("New password", { exact: true }).fill(env("NEW_PASSWORD"));
  await page.getByLabel("Confirm new password").fill(env("NEW_PASSWORD") + "x");
  await page.getByRole("button", { name: "Reset Password" }).click();
  await page.waitForSelector("#banner.banner-error");
  check((await page.locator("#banner").textContent()).includes("Passwords do not match"), "mismatch message");
  await shots(page, "05-mismatch");

  await page.getByLabel("Confirm new password").fill(env("NEW_PASSWORD"));
  await page.getByRole("button", { name: "Reset Password" }).click();
  await page.waitForSelector("#banner.banner-success");
  const resetAt = Date.now();
  await shots(page, "06-success");
  await page.waitForURL(/\/login$/, { timeout: 10000 });
  results.redirect_ms = Date.now() - resetAt;
  await shots(page, "07-back-on-login");

  // The link is spent: opening it again says so plainly, with a way to ask for a new one.
  const again = await context.newPage();
  await again.goto(link);
  check((await again.locator("#banner").textContent()).includes("invalid or has expired"), "used token refused");
  check(await again.getByRole("link", { name: "Request a new link" }).isVisible(), "request-new link");
  await shots(again, "08-used-link");
  await axe(again, "password-reset-invalid");
  await again.close();

  await page.getByLabel("Username or email").fill(env("USER_EMAIL"));
  await page.getByLabel("Password").fill(env("NEW_PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account$/);
  check(await page.getByRole("heading", { name: "Your account" }).isVisible(), "account page");
  await shots(page, "09-account");
  await axe(page, "account");

  // The theme toggle works from the keyboard and is remembered.
  await page.focus("#theme-toggle");
  await page.keyboard.press("Enter");
  check((await page.evaluate(() => document.documentElement.getAttribute("data-theme"))) === "dark", "toggle to dark");
  await page.reload();
  check((await page.evaluate(() => document.documentElement.getAttribute("data-theme"))) === "dark", "theme remembered");
  await page.evaluate(() => localStorage.removeItem("ff-theme"));

  await page.getByRole("button", { name: "Sign out" }).last().click();
  await page.waitForURL(/\/login/);

  // The admin's mail settings page.
  await page.getByLabel("Username or email").fill(env("ADMIN_LOGIN"));
  await page.getByLabel("Password").fill(env("ADMIN_PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/account$/);
  await page.getByRole("link", { name: "Mail settings" }).click();
  await page.waitForURL(/\/admin\/settings$/);
  await shots(page, "10-admin-settings");
  await axe(page, "admin-settings");
  await page.getByRole("button", { name: "Send test email" }).click();
  await page.waitForSelector("#banner.banner-success");
  await waitForMail(2);

  // An unknown address: the styled 404 page with a way back, in both themes. Its own page,
  // because Chromium logs every 404 answer as a console error.
  const lost = await context.newPage();
  const missing = await lost.goto(`${BASE}/no-such-page`);
  check(missing.status() === 404, "unknown page answers 404");
  check(await lost.getByRole("heading", { name: "Page not found" }).isVisible(), "404 heading");
  check(await lost.getByRole("link", { name: "Go to the start page" }).isVisible(), "404 link back");
  await shots(lost, "12-not-found");
  await axe(lost, "not-found");
  await lost.close();

  // A phone-sized screen, and the second language.
  const phone = await browser.newContext({ bypassCSP: true, locale: "de-DE", viewport: { width: 375, height: 740 } });
  const small = await phone.newPage();
  await small.goto(`${BASE}/reset-password`);
  check(await small.getByRole("heading", { name: "Passwort zurücksetzen" }).isVisible(), "German by Accept-Language");
  await shots(small, "11-phone-de");
  await axe(small, "password-reset-de-phone");
  await phone.close();

  check(consoleErrors.length === 0, `no console errors: ${consoleErrors.join(" | ")}`);
} catch (error) {
  failed = String(error && error.stack || error);
} finally {
  await browser.close();
}
results.ok = failed === null;
results.error = failed;
console.log(JSON.stringify(results));
process.exit(failed === null ? 0 : 1);
