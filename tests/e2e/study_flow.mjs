// Studying in headless Chromium, as a person does it: sign in, open a deck's study
// screen, reveal and rate with the keyboard and with clicks, type an answer, see a card's
// image, undo, study on a phone until the deck is finished. A hostile card's script must
// not run (it would read document.cookie and post to /account). axe-core on each screen,
// light and dark; screenshots of every step.
//
// Environment: BASE_URL, LOGIN, PASSWORD, DECK_ID, OUT_DIR, CHROMIUM.
// Prints one JSON line with the results; exits 1 on the first failed check.

import { chromium } from "playwright-core";
import { pageChecks } from "./page_checks.mjs";
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const BASE = env("BASE_URL").replace(/\/$/, "");
const DECK = env("DECK_ID");
const OUT = env("OUT_DIR");

const { results, check, shots, review } = pageChecks(OUT, "study-");
results.answers = 0;
results.undone = 0;
// The card frame runs no script, axe's included: axe checks the page around it.
const NO_FRAMES = { iframes: false };

/// The card frame's document, read by this test through the page (same origin).
const frameText = (page) => page.evaluate(() => document.getElementById("card-frame").contentDocument.body.innerText);

async function waitForFrame(page) {
  await page.waitForFunction(() => {
    const f = document.getElementById("card-frame");
    return f && f.contentDocument && f.contentDocument.readyState === "complete" && f.contentDocument.body;
  });
}

async function onQuestion(page) {
  await page.waitForSelector("#show-answer");
  await waitForFrame(page);
}

async function onAnswer(page) {
  await page.waitForSelector("button[name=rating]");
  await waitForFrame(page);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
let failed = null;
try {
  // bypassCSP only lets the test inject axe-core; the hostile card is checked in a
  // context that keeps the CSP (below).
  const strict = await browser.newContext({ locale: "en-US", viewport: { width: 1000, height: 800 } });
  const page = await strict.newPage();
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  await page.goto(`${BASE}/study/${DECK}`);
  // Signed out: sent to sign in, then back to the deck.
  check(page.url().includes("/login"), `not sent to sign in: ${page.url()}`);
  await page.getByLabel("Username or email").fill(env("LOGIN"));
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto(`${BASE}/study/${DECK}`);
  await onQuestion(page);

  // 1. The hostile card (first in the deck): its script did not run.
  check((await frameText(page)).includes("Hostile card"), "the hostile card is first");
  const frameState = await page.evaluate(() => {
    const f = document.getElementById("card-frame");
    return { sandbox: f.getAttribute("sandbox"), frameTitle: f.contentDocument.title, pageTitle: document.title };
  });
  check(!frameState.frameTitle.includes("pwned") && !frameState.pageTitle.includes("pwned"),
    `a card script ran: ${JSON.stringify(frameState)}`);
  check(frameState.sandbox === "allow-same-origin", `sandbox: ${frameState.sandbox}`);
  await shots(page, "question");
  await page.keyboard.press("Space");
  await onAnswer(page);
  check(page.url().includes("answer="), "space shows the answer");
  await shots(page, "answer");
  await page.keyboard.press("3");
  results.answers += 1;
  await onQuestion(page);
  // Still signed in: the card's fetch to /account (had it run) would have been refused.
  check(!page.url().includes("/login"), "still signed in");

  // 2. The card with an image from the media folder, revealed and rated with clicks.
  check((await frameText(page)).includes("Picture card"), "the picture card is next");
  const image = await page.evaluate(() => {
    const img = document.getElementById("card-frame").contentDocument.querySelector("img");
    return img && img.complete ? { w: img.naturalWidth, src: img.getAttribute("src") } : null;
  });
  check(image && image.w === 2 && image.src === "/media/pic.png", `image: ${JSON.stringify(image)}`);
  await page.getByRole("button", { name: "Show answer" }).click();
  await onAnswer(page);
  await page.getByRole("button", { name: /Good/ }).click();
  results.answers += 1;
  await onQuestion(page);

  // 3. Type-in: the page's script carries what was typed into the frame's box.
  const typeBox = await page.evaluate(() => !!document.getElementById("card-frame").contentDocument.getElementById("typeans"));
  check(typeBox, "the type-in card has a box");
  await page.evaluate(() => { document.getElementById("card-frame").contentDocument.getElementById("typeans").value = "Berlim"; });
  await page.getByRole("button", { name: "Show answer" }).click();
  await onAnswer(page);
  const compared = await page.evaluate(() => document.getElementById("card-frame").contentDocument.body.innerHTML);
  check(compared.includes("typeBad") || compared.includes("typeMissed"), `typed answer compared: ${compared.slice(0, 300)}`);
  check(decodeURIComponent(page.url()).includes("typed=Berlim"), "typed answer carried");
  await review(page, "typed-answer", NO_FRAMES);
  await page.keyboard.press("4");
  results.answers += 1;
  await onQuestion(page);

  // 4. Undo with the keyboard: the undone card comes back.
  await page.keyboard.press("u");
  await onQuestion(page);
  check(page.url().includes("notice=undone"), `undo: ${page.url()}`);
  check(await page.getByText("The last answer was undone.").isVisible(), "undo notice");
  const again = await page.evaluate(() => !!document.getElementById("card-frame").contentDocument.getElementById("typeans"));
  check(again, "the undone type-in card is shown again");
  results.undone += 1;
  await review(page, "undone", NO_FRAMES);

  // 5. On a phone, in the dark: study to the end with the keyboard.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  for (let i = 0; i < 30; i++) {
    if (await page.locator(".finished").count()) break;
    await onQuestion(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    check(wide, "no horizontal scroll on a phone");
    await page.keyboard.press("Enter");
    await onAnswer(page);
    if (i === 0) {
      const night = await page.evaluate(() => document.getElementById("card-frame").contentDocument.body.classList.contains("nightMode"));
      check(night, "the card follows the dark theme");
      await shots(page, "phone-answer");
    }
    await page.keyboard.press("4");
    results.answers += 1;
    // The next question, or the end of the deck (the answer page has neither).
    await page.waitForSelector("#show-answer, .finished");
  }
  check(await page.locator(".finished").count() === 1, "the deck is finished");
  check(await page.getByText("You have finished this deck for now.").isVisible(), "congratulations");
  // The only console errors are the browser refusing the hostile card's script.
  const blocked = consoleErrors.filter((m) => m.includes("Blocked script execution in 'about:srcdoc'"));
  const others = consoleErrors.filter((m) => !blocked.includes(m));
  check(blocked.length >= 1, "the hostile card's script was refused by the sandbox");
  check(others.length === 0, `console errors: ${others.join(" | ")}`);

  // axe on the finished screen (a context that lets the test inject axe-core).
  const cookies = await strict.cookies();
  const loose = await browser.newContext({ bypassCSP: true, locale: "en-US", viewport: { width: 390, height: 844 } });
  await loose.addCookies(cookies);
  const axePage = await loose.newPage();
  await axePage.goto(`${BASE}/study/${DECK}`);
  await review(axePage, "finished", NO_FRAMES);

  // The backups page (the day's snapshot, taken after the first answer) and a restore's
  // confirmation, on the phone; nothing is restored.
  await axePage.goto(`${BASE}/account`);
  await axePage.getByRole("link", { name: "See the backups" }).click();
  await axePage.waitForURL(/\/account\/backups$/);
  const restoreLinks = axePage.getByRole("link", { name: "Restore" });
  for (let i = 0; i < 50 && (await restoreLinks.count()) === 0; i++) {
    await axePage.waitForTimeout(100);
    await axePage.reload();
  }
  check(await restoreLinks.count() >= 1, "the day's snapshot is listed");
  check(await axePage.getByText("daily").first().isVisible(), "its reason");
  await review(axePage, "backups");
  await restoreLinks.first().click();
  await axePage.waitForURL(/\/restore$/);
  check(await axePage.getByRole("button", { name: "Restore this snapshot" }).isVisible(), "the confirmation");
  await review(axePage, "backup-restore");
  await axePage.getByRole("link", { name: "Cancel" }).click();
  await axePage.waitForURL(/\/account\/backups$/);
  results.ok = true;
} catch (e) {
  failed = e;
  results.ok = false;
  results.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
process.exit(failed ? 1 : 0);
