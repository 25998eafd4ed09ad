// The web pages end to end in headless Chromium, as a user, an admin and a German speaker
// meet them: the frame (skip link, header sections, aria-current, Sign out, Back after it),
// the self-service reset (/login -> "Forgot password?" -> request -> the mailed link ->
// mismatched passwords refused -> new password -> /login with a notice -> sign in), the
// deck list (a synced user's decks, an admin's empty state), the account and admin pages,
// on desktop and a phone, light and dark, English and German. Screenshots of every step;
// axe-core on every page, and beside it a contrast check of control borders and focus rings
// computed from the page's styles (WCAG 1.4.11: 3:1), and no sideways scrolling.
//
// Environment: BASE_URL, MAIL_DIR (the SMTP capture writes one decoded .txt per mail),
// OUT_DIR (screenshots), USER_EMAIL, NEW_PASSWORD, ADMIN_LOGIN, ADMIN_PASSWORD, CHROMIUM.
// Prints one JSON line with the results; exits 1 on the first failed check.

import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { pageChecks } from "./page_checks.mjs";
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env("BASE_URL").replace(/\/$/, "");
const MAIL_DIR = env("MAIL_DIR");
const OUT = env("OUT_DIR");
fs.mkdirSync(OUT, { recursive: true });

const { results, check, shots, axe, review } = pageChecks(OUT);

async function waitForMail(count, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const files = fs.readdirSync(MAIL_DIR).filter((f) => f.endsWith(".txt")).sort();
    if (files.length >= count) return fs.readFileSync(path.join(MAIL_DIR, files[count - 1]), "utf8");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail number ${count} within ${timeoutMs} ms`);
}


async function signIn(page, login, password) {
  await page.getByLabel(/^(Username or email|Benutzername oder E-Mail)$/).fill(login);
  await page.getByLabel(/^(Password|Passwort)$/).fill(password);
  await page.getByRole("button", { name: /^(Sign in|Anmelden)$/ }).click();
}

// The header of a signed-in page: the sections, the current one marked, the name.
async function header(page, sections, current, name) {
  const nav = page.getByRole("navigation");
  const links = await nav.getByRole("link").allTextContents();
  check(JSON.stringify(links) === JSON.stringify(sections), `sections ${JSON.stringify(links)}`);
  const marked = await nav.locator("[aria-current=page]").allTextContents();
  check(JSON.stringify(marked) === JSON.stringify([current]), `current section ${JSON.stringify(marked)}`);
  check((await page.locator(".user-name").textContent()).includes(name), "the signed-in name");
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

  await page.goto(`${BASE}/`);
  await page.waitForURL(/\/login$/);
  check((await page.title()).includes("Sign in"), "/ signed out goes to the login page");
  check((await page.getByRole("navigation").count()) === 0, "signed out: no navigation");
  check((await page.locator("a.brand").getAttribute("href")) === "/", "the brand links home");
  await review(page, "01-login");

  await page.getByRole("link", { name: "Forgot password?" }).click();
  await page.waitForURL(/\/password-reset$/);
  check(await page.getByRole("heading", { name: "Reset password", exact: true }).isVisible(), "request step heading");
  check(await page.getByRole("button", { name: "Send reset link", exact: true }).isVisible(), "send button");
  check(await page.getByRole("link", { name: "Back to sign in" }).isVisible(), "back to login link");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "email"), "the email field has the focus");
  await review(page, "02-request");

  // An empty address is refused at the field: nothing is sent, nothing is claimed.
  await page.getByRole("button", { name: "Send reset link", exact: true }).click();
  check(await page.evaluate(() => document.getElementById("email").matches(":invalid")), "empty email invalid");
  check((await page.locator("#banner").textContent()).trim() === "", "no 'link sent' for an empty field");

  await page.getByLabel("Email address").fill(env("USER_EMAIL"));
  await page.getByRole("button", { name: "Send reset link", exact: true }).click();
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
  await review(page, "04-verified");

  await page.getByLabel("New password", { exact: true }).fill(env("NEW_PASSWORD"));
  await page.getByLabel("Confirm new password").fill(env("NEW_PASSWORD") + "x");
  await page.getByRole("button", { name: "Reset password", exact: true }).click();
  await page.waitForSelector("#banner.banner-error");
  check((await page.locator("#banner").textContent()).includes("Passwords do not match"), "mismatch message");
  check((await page.getAttribute("#confirm", "aria-invalid")) === "true", "the field is marked invalid");
  check((await page.getAttribute("#confirm", "aria-describedby")) === "banner", "and tied to its message");
  await shots(page, "05-mismatch");

  await page.getByLabel("Confirm new password").fill(env("NEW_PASSWORD"));
  await page.getByRole("button", { name: "Reset password", exact: true }).click();
  await page.waitForURL(/\/login$/, { timeout: 10000 });
  results.reset_banner = (await page.locator("#banner").textContent()).trim();
  check(results.reset_banner === "Your password has been reset. Sign in with the new password.", `reset notice on /login: ${results.reset_banner}`);
  await review(page, "06-reset-done-on-login");
  await page.reload();
  check((await page.locator("#banner").textContent()).trim() === "", "the notice shows once");

  // The link is spent: opening it again says so plainly, with a way to ask for a new one.
  const again = await context.newPage();
  await again.goto(link);
  check((await again.locator("#banner").textContent()).includes("invalid or has expired"), "used token refused");
  check(await again.getByRole("link", { name: "Request a new link" }).isVisible(), "request-new link");
  await shots(again, "07-used-link");
  await axe(again, "password-reset-invalid");
  await again.close();

  // Signed in, the user lands on the decks Anki synced (the harness uploaded Harness::Full).
  await signIn(page, env("USER_EMAIL"), env("NEW_PASSWORD"));
  await page.waitForURL(/\/decks$/);
  await header(page, ["Decks", "Account"], "Decks", "alice");
  const table = page.getByRole("table");
  check(await table.isVisible(), "the deck table");
  const rows = await table.locator("tbody th a").allTextContents();
  check(rows.some((r) => r.endsWith("Harness")) && rows.some((r) => r.endsWith("Full")), `decks ${JSON.stringify(rows)}`);
  check(/^\/study\/\d+$/.test(await table.locator("tbody th a").first().getAttribute("href")), "deck names link to study");
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement.className === "skip-link"), "Tab reaches the skip link first");
  await page.keyboard.press("Enter");
  check(await page.evaluate(() => location.hash === "#main"), "the skip link goes to the content");
  await review(page, "08-decks");

  await page.getByRole("navigation").getByRole("link", { name: "Account" }).click();
  await page.waitForURL(/\/account$/);
  check(await page.getByRole("heading", { name: "Your account" }).isVisible(), "account page");
  await header(page, ["Decks", "Account"], "Account", "alice");
  check(await page.getByText("(this browser)").isVisible(), "this browser marked");
  // Headless Chromium says "HeadlessChrome/… (X11; Linux x86_64)": the session is named by it.
  check(await page.getByText("Chrome on Linux (this browser)").isVisible(), "the browser and system of the session");
  check((await page.getByRole("link", { name: "Download the collection" }).getAttribute("href")) === "/account/export",
    "the collection download");
  check((await page.locator("#sync-url").textContent()) === `${BASE}/`, "the sync URL");
  check(await page.getByRole("button", { name: "Copy" }).isVisible(), "the copy button (with JS)");
  // The reset signed the Anki device out (it has to sign in again), so no device is listed.
  check(await page.getByText("No Anki device is signed in.").isVisible(), "the reset signed the device out");
  check(await page.getByRole("button", { name: "Sign out everywhere else" }).isVisible(), "sign out everywhere else");
  await review(page, "09-account");

  // The theme toggle names the theme it switches to, works from the keyboard, is remembered.
  // The label follows a change of the system's theme too (review() switched it back to light).
  const label = async (page, text, what) => {
    const ok = await page.waitForFunction((t) => document.getElementById("theme-toggle").textContent === t, text, { timeout: 3000 })
      .then(() => true, () => false);
    check(ok, `${what}: ${await page.locator("#theme-toggle").textContent()}`);
  };
  await label(page, "Switch to dark theme", "toggle label in light");
  await page.focus("#theme-toggle");
  await page.keyboard.press("Enter");
  check((await page.evaluate(() => document.documentElement.getAttribute("data-theme"))) === "dark", "toggle to dark");
  await label(page, "Switch to light theme", "toggle label in dark");
  await page.reload();
  check((await page.evaluate(() => document.documentElement.getAttribute("data-theme"))) === "dark", "theme remembered");
  await label(page, "Switch to light theme", "label after reload");
  await page.evaluate(() => localStorage.removeItem("ff-theme"));
  await page.reload();

  // Sign out from the header; Back is a page of this site, never the browser's error.
  await page.locator("header").getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  check((await page.locator("#banner").textContent()).trim() === "You are signed out.", "signed-out notice");
  const back = await page.goBack();
  check(page.url().startsWith(BASE), `Back stays on the site: ${page.url()}`);
  check(back === null || back.ok(), `Back answers: ${back && back.status()}`);
  check((await page.locator("h1").count()) === 1, "Back shows a page of ours");
  results.back_after_sign_out = page.url().slice(BASE.length);
  // And Forward again: the sign-out's answer was a redirect, so there is no form to resend.
  const forward = await page.goForward();
  check(page.url().startsWith(BASE), `Forward stays on the site: ${page.url()}`);
  check(forward === null || forward.ok(), `Forward answers: ${forward && forward.status()}`);
  check((await page.locator("h1").count()) === 1, "Forward shows a page of ours");
  await page.goBack();
  await shots(page, "10-back-after-sign-out");
  await page.goto(`${BASE}/login`);

  // The admin: never synced, so the empty state with the address for Anki; the Admin section.
  await signIn(page, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await page.waitForURL(/\/decks$/);
  await header(page, ["Decks", "Account", "Admin"], "Decks", "admin");
  check(await page.getByRole("heading", { name: "No decks yet" }).isVisible(), "empty state");
  check((await page.locator("code.sync-url").textContent()) === `${BASE}/`, "the address in the empty state");
  await review(page, "11-decks-empty");
  await page.getByRole("navigation").getByRole("link", { name: "Admin" }).click();
  await page.waitForURL(/\/admin\/settings$/);
  await header(page, ["Decks", "Account", "Admin"], "Admin", "admin");
  await review(page, "12-admin-settings");
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
  await shots(lost, "13-not-found");
  await axe(lost, "not-found");
  await lost.close();
  await context.close();

  // A phone (375 x 812): the same pages, wrapped, nothing scrolling sideways.
  const phone = await browser.newContext({ bypassCSP: true, locale: "en-US", viewport: { width: 375, height: 812 } });
  const small = await phone.newPage();
  await small.goto(`${BASE}/login`);
  await review(small, "14-phone-login");
  await signIn(small, env("USER_EMAIL"), env("NEW_PASSWORD"));
  await small.waitForURL(/\/decks$/);
  await header(small, ["Decks", "Account"], "Decks", "alice");
  await review(small, "15-phone-decks");
  await small.goto(`${BASE}/account`);
  await review(small, "16-phone-account");
  await phone.close();

  // German, on a phone: Accept-Language from the locale.
  const german = await browser.newContext({ bypassCSP: true, locale: "de-DE", viewport: { width: 375, height: 812 } });
  const de = await german.newPage();
  await de.goto(`${BASE}/reset-password`);
  check(await de.getByRole("heading", { name: "Passwort zurücksetzen" }).isVisible(), "German by Accept-Language");
  await review(de, "17-phone-de-request");
  await de.goto(`${BASE}/login`);
  await signIn(de, env("ADMIN_LOGIN"), env("ADMIN_PASSWORD"));
  await de.waitForURL(/\/decks$/);
  await header(de, ["Stapel", "Konto", "Verwaltung"], "Stapel", "admin");
  check(await de.getByRole("heading", { name: "Noch keine Stapel" }).isVisible(), "German empty state");
  check((await de.locator("#theme-toggle").textContent()) === "Zum dunklen Design wechseln", "German toggle label");
  await review(de, "18-phone-de-decks");
  await de.goto(`${BASE}/admin/settings`);
  await review(de, "19-phone-de-admin");
  await german.close();

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
