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
    // The toggle's label names the theme a press switches to.
    var toggle = document.getElementById("theme-toggle");
    function label() {
      toggle.textContent = toggle.getAttribute(isDark() ? "data-to-light" : "data-to-dark");
    }
    if (toggle) {
      toggle.hidden = false;
      label();
      toggle.addEventListener("click", function () {
        var next = isDark() ? "light" : "dark";
        root.setAttribute("data-theme", next);
        label();
        try { localStorage.setItem("ff-theme", next); } catch (e) { /* ignore */ }
      });
      if (window.matchMedia) {
        var media = window.matchMedia("(prefers-color-scheme: dark)");
        if (media.addEventListener) { media.addEventListener("change", label); }
      }
    }

    // Copy buttons: shown only with a script (the text stays selectable without one).
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = button.parentNode.querySelector(".copy-status");
      if (!source || !navigator.clipboard) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          if (status) { status.textContent = button.getAttribute("data-copied"); }
        }, function () { /* the text can still be selected by hand */ });
      });
    });

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
          b.setAttribute("aria-describedby", "banner");
        }
      });
    });
  });
})();
