// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var root = document.documentElement;

  // Theme: the system's by default; the toggle's choice is remembered.
  var saved = null;
  try { saved = localStorage.getItem("ff-theme"); } catch (e) { /* private mode */ }
  if (saved === "dark" || saved === "light") { root.setAttribute("data-theme", saved); }
  function isDark() {
    var explicit = root.getAttribute("data-theme");
    if (explicit) { return explicit === "dark"; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    if (toggle) {
      toggle.hidden = false;
      toggle.setAttribute("aria-pressed", String(isDark()));
      toggle.addEventListener("click", function () {
        var next = isDark() ? "light" : "dark";
        root.setAttribute("data-theme", next);
        toggle.setAttribute("aria-pressed", String(next === "dark"));
        try { localStorage.setItem("ff-theme", next); } catch (e) { /* ignore */ }
      });
    }

    // A message from the server gets the focus, so screen readers and keyboards land on it.
    var banner = document.getElementById("banner");
    function show(kind, text) {
      banner.className = "banner banner-" + kind;
      banner.textContent = text;
      banner.focus();
    }
    if (banner && banner.textContent.trim() !== "") { banner.focus(); }

    // Two password fields must match before the form goes anywhere.
    ["reset-form", "change-password"].forEach(function (id) {
      var form = document.getElementById(id);
      if (!form) { return; }
      form.addEventListener("submit", function (event) {
        var a = form.querySelector("#password"), b = form.querySelector("#confirm");
        if (a && b && a.value !== b.value) {
          event.preventDefault();
          show("error", form.getAttribute("data-mismatch"));
          b.setAttribute("aria-invalid", "true");
        }
      });
    });
  });
})();
