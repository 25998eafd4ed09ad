// The study screen's keyboard and the card frame: space or enter shows the answer,
// 1-4 rate, u or Ctrl+Z undoes. The card's own scripts never run (the frame is sandboxed
// without scripts); this script, of the page, reaches into the frame (same origin) to
// read the type-in box, open hints, fit the frame to its content and apply the theme.
(function () {
  "use strict";
  var frame = document.getElementById("card-frame");
  var reveal = document.getElementById("reveal");
  var rate = document.getElementById("rate");
  var undo = document.getElementById("undo");

  function frameDoc() {
    try { return frame && frame.contentDocument; } catch (e) { return null; }
  }

  function dark() {
    var explicit = document.documentElement.getAttribute("data-theme");
    if (explicit) { return explicit === "dark"; }
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function fit() {
    var doc = frameDoc();
    if (!doc || !doc.documentElement) { return; }
    frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
  }

  // Anki's night-mode classes on the card, following the page's theme as it changes.
  function applyTheme() {
    var doc = frameDoc();
    if (!doc || !doc.body) { return; }
    doc.body.classList.toggle("nightMode", dark());
    doc.body.classList.toggle("night_mode", dark());
  }

  function showAnswer() {
    if (!reveal) { return; }
    var doc = frameDoc();
    var box = doc && doc.getElementById("typeans");
    if (box) { document.getElementById("typed").value = box.value; }
    reveal.submit();
  }

  function onKey(event, fromFrame) {
    if (event.altKey || event.metaKey) { return; }
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
    if ((event.ctrlKey && (event.key === "z" || event.key === "Z")) || (!typing && event.key === "u")) {
      if (undo) { event.preventDefault(); undo.submit(); }
      return;
    }
    if (event.ctrlKey) { return; }
    if (reveal && (event.key === "Enter" || (event.key === " " && !typing))) {
      if (!fromFrame && target && target.tagName === "BUTTON" && target.id !== "show-answer") { return; }
      event.preventDefault();
      showAnswer();
      return;
    }
    if (rate && !typing && event.key >= "1" && event.key <= "4") {
      var button = rate.querySelector('button[value="' + event.key + '"]');
      if (button) { event.preventDefault(); button.click(); }
    }
  }

  function prepareFrame() {
    var doc = frameDoc();
    if (!doc || !doc.body) { return; }
    applyTheme();
    // Anki's hint links: the card's inline handler cannot run here; open them for it.
    Array.prototype.forEach.call(doc.querySelectorAll("a.hint"), function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        link.style.display = "none";
        var hint = link.nextElementSibling;
        if (hint) { hint.style.display = "block"; }
        fit();
      });
    });
    doc.addEventListener("keydown", function (event) { onKey(event, true); });
    var box = doc.getElementById("typeans");
    if (box) { box.focus(); }
    Array.prototype.forEach.call(doc.images, function (img) { img.addEventListener("load", fit); });
    fit();
  }

  if (frame) {
    frame.addEventListener("load", prepareFrame);
    if (frameDoc() && frameDoc().readyState === "complete") { prepareFrame(); }
  }
  if (reveal) {
    reveal.addEventListener("submit", function () {
      var doc = frameDoc();
      var box = doc && doc.getElementById("typeans");
      if (box) { document.getElementById("typed").value = box.value; }
    });
  }
  document.addEventListener("keydown", function (event) { onKey(event, false); });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) { scheme.addEventListener("change", applyTheme); }
  }
  if (window.MutationObserver) {
    new MutationObserver(applyTheme).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }
  window.addEventListener("resize", fit);
})();
