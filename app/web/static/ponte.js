// Ponte: the little behaviour the pages need, without inline scripts (the CSP allows 'self' only).
(function () {
  "use strict";
  var lastField = null;

  // Forms that repeat effects (a forced replay) ask first: data-confirm holds the question.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("mappable")) {
      lastField = event.target;
    }
  });

  // "+ field" chips insert a {{ path }} placeholder at the cursor of the last focused field.
  document.addEventListener("click", function (event) {
    var chip = event.target.closest ? event.target.closest(".chip[data-insert]") : null;
    if (!chip) { return; }
    event.preventDefault();
    var section = chip.closest(".mapping");
    var field = lastField && section && section.contains(lastField) ? lastField
      : (section ? section.querySelector("input.mappable") : null);
    if (!field) { return; }
    var text = chip.getAttribute("data-insert");
    var start = field.selectionStart != null ? field.selectionStart : field.value.length;
    var end = field.selectionEnd != null ? field.selectionEnd : field.value.length;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // Parts of a form shown for some choices only: data-show-if="name=value1 value2" follows the control
  // called name. A hidden fieldset is disabled too, so its fields are neither sent nor validated.
  function showChosenParts() {
    var parts = document.querySelectorAll("[data-show-if]");
    for (var i = 0; i < parts.length; i++) {
      var rule = parts[i].getAttribute("data-show-if");
      var cut = rule.indexOf("=");
      var scope = parts[i].closest("form") || document;
      var control = scope.querySelector('[name="' + rule.slice(0, cut) + '"]');
      if (!control) { continue; }
      var shown = rule.slice(cut + 1).split(" ").indexOf(control.value) >= 0;
      parts[i].hidden = !shown;
      if ("disabled" in parts[i]) { parts[i].disabled = !shown; }
    }
  }
  document.addEventListener("change", showChosenParts);
  window.addEventListener("pageshow", showChosenParts);

  // A header checkbox with data-check-all="name" toggles every checkbox of that name.
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-check-all");
    if (!name) { return; }
    var boxes = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = event.target.checked; }
  });
})();
