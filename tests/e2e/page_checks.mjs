// The checks every page of the browser tests gets: screenshots in the light and the dark
// theme, axe-core, the contrast of control borders and focus rings computed from the
// page's styles (WCAG 1.4.11: 3:1), no sideways scrolling, and the skip link first.
//
//   const { results, check, shots, axe, review } = pageChecks(OUT_DIR, "prefix-");

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export function pageChecks(OUT, prefix = "") {
  fs.mkdirSync(OUT, { recursive: true });
  const results = { steps: [], axe: {}, contrast: {}, shots: [] };
  function check(condition, message) {
    if (!condition) throw new Error(`check failed: ${message}`);
  }

  async function shots(page, name) {
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      const file = path.join(OUT, `${prefix}${name}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      results.shots.push(file);
    }
    await page.emulateMedia({ colorScheme: "light" });
    results.steps.push(name);
  }

  // `options` go to axe.run (the study page passes {iframes: false}: its card frame runs
  // no script, axe's included).
  async function axe(page, name, options = {}) {
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(AXE);
      const outcome = await page.evaluate(async (opts) => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ["violations"], ...opts });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
      }, options);
      results.axe[`${name}-${scheme}`] = outcome;
      check(outcome.length === 0, `axe on ${name} (${scheme}): ${JSON.stringify(outcome)}`);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }

  // The contrast of every visible control's border, and of the focus ring of every input and
  // of the skip link, against what is behind it, from the computed styles.
  async function contrast(page, name) {
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      const measured = await page.evaluate(() => {
        const parse = (c) => {
          const m = /rgba?\(([^)]+)\)/.exec(c || "");
          if (!m) return null;
          const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
          return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
        };
        const lum = ({ r, g, b }) => {
          const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
        const behind = (el) => {
          for (let e = el.parentElement; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c && c.a > 0) return c;
          }
          return { r: 255, g: 255, b: 255, a: 1 };
        };
        const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
        const label = (el) => el.id || el.name || el.textContent.trim().slice(0, 30);
        const out = [];
        for (const el of document.querySelectorAll("input:not([type=hidden]), select, button.secondary, .theme-toggle")) {
          if (!visible(el)) continue;
          const s = getComputedStyle(el);
          out.push({ what: `border of ${label(el)}`, ratio: ratio(parse(s.borderTopColor), behind(el)) });
        }
        const rings = [...document.querySelectorAll("input:not([type=hidden]), select")].filter(visible);
        const skip = document.querySelector(".skip-link");
        if (skip) rings.push(skip);
        for (const el of rings) {
          el.focus();
          const s = getComputedStyle(el);
          if (s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 2) {
            out.push({ what: `focus ring of ${label(el)}`, ratio: 0 });
          } else {
            out.push({ what: `focus ring of ${label(el)}`, ratio: ratio(parse(s.outlineColor), behind(el)) });
          }
          el.blur();
        }
        return out;
      });
      results.contrast[`${name}-${scheme}`] = measured.map((m) => `${m.what}: ${m.ratio.toFixed(2)}`);
      const low = measured.filter((m) => !(m.ratio >= 3));
      check(measured.length > 0, `contrast on ${name}: something measured`);
      check(low.length === 0, `contrast on ${name} (${scheme}) below 3:1: ${JSON.stringify(low)}`);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }

  // Nothing on the page scrolls sideways (a phone shows it whole), light and dark.
  async function fitsWidth(page, name) {
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check(scroll <= width, `${name} (${scheme}) scrolls sideways: ${scroll} > ${width}`);
    }
    await page.emulateMedia({ colorScheme: "light" });
  }

  // Every check a page gets: screenshots, axe-core, contrast, no sideways scrolling, and the
  // skip link as the first focusable element.
  async function review(page, name, axeOptions = {}) {
    await shots(page, name);
    await axe(page, name, axeOptions);
    await contrast(page, name);
    await fitsWidth(page, name);
    const first = await page.evaluate(() => {
      const el = document.querySelector("a[href], button:not([hidden]), input:not([type=hidden]), select, textarea");
      return el && el.className === "skip-link" && el.getAttribute("href") === "#main";
    });
    check(first, `${name}: the skip link is the first focusable element`);
  }

  return { results, check, shots, axe, contrast, fitsWidth, review };
}
