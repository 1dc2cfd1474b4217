// The section editors' enhancements; every part of the editor works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var editor = document.getElementById("editor");
  if (!editor) { return; }
  var each = function (items, action) { Array.prototype.forEach.call(items, action); };

  // Names compared as people type them: any case, with or without accents ("methylphenidate" finds "Méthylphénidate").
  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase();
  }

  // A box over a long list (of checkboxes, or a select's options) keeps in view only what matches what is typed;
  // what is ticked or chosen stays in view. Over substances, the registry's search finds them by any other name
  // too: in another language, misspelt, or a medicine's ("Ritalin" finds methylphenidate).
  each(editor.querySelectorAll("input[data-finds]"), function (box) {
    var list = document.getElementById(box.getAttribute("data-finds"));
    var select = list.tagName === "SELECT";
    var items = select ? list.options : list.querySelectorAll("label");
    var found = {};
    var waiting = null;
    function value(item) { return select ? item.value : item.querySelector("input").value; }
    function narrow() {
      var wanted = folded(box.value.trim());
      each(items, function (item) {
        var kept = select ? item.selected || item.value === "" : item.querySelector("input").checked;
        item.hidden = wanted !== "" && !kept && !found[value(item)] && folded(item.textContent).indexOf(wanted) < 0;
      });
    }
    box.closest(".finder").hidden = false;
    box.addEventListener("input", function () {
      var query = box.value.trim();
      found = {};
      narrow();
      clearTimeout(waiting);
      if (box.hasAttribute("data-search") && query.length >= 3) {
        waiting = setTimeout(function () {
          search(box, query).then(function (keys) {
            if (box.value.trim() !== query) { return; }
            keys.forEach(function (key) { found[key] = true; });
            narrow();
          });
        }, 250);  // ms: ask once the officer pauses, not at every key
      }
    });
    // Enter in the box narrows the list; it must not send the form (the form's first button previews).
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  });

  // The keys of the substances the registry's search finds by a name (GET /api/v1/search), those in the medicines
  // it finds included (GET /api/v1/products/{key}); none when the search cannot be reached.
  function search(box, query) {
    var answer = function (response) { return response.ok ? response.json() : {}; };
    return fetch(box.getAttribute("data-search") + "?limit=10&q=" + encodeURIComponent(query)).then(answer).then(function (found) {
      var hits = (found.hits || []).concat(found.did_you_mean || []);
      var keys = hits.filter(function (hit) { return hit.kind === "substance"; }).map(function (hit) { return hit.key; });
      var products = hits.filter(function (hit) { return hit.kind === "product"; }).slice(0, 3);
      return Promise.all(products.map(function (hit) {
        return fetch(box.getAttribute("data-product").replace("KEY", encodeURIComponent(hit.key))).then(answer);
      })).then(function (medicines) {
        medicines.forEach(function (medicine) {
          (medicine.ingredients || []).forEach(function (item) { if (item.substance) { keys.push(item.substance); } });
        });
        return keys;
      });
    }).catch(function () { return []; });
  }

  // A field that has a use only with one choice ("an amount" only "above a set amount") is out of the way without it,
  // unless something is in it or a problem is said of it.
  each(editor.querySelectorAll("[data-when]"), function (field) {
    var wanted = field.getAttribute("data-when").split("=");
    var controls = editor.querySelectorAll("[name='" + wanted[0] + "']");
    var filled = field.classList.contains("has-error") || Array.prototype.some.call(
      field.querySelectorAll("input:not([type=checkbox]):not([type=radio]), textarea"), function (input) { return input.value.trim() !== ""; });
    function update() {
      field.hidden = !filled && !Array.prototype.some.call(controls, function (control) {
        return control.tagName === "SELECT" ? control.value === wanted[1] : control.checked && control.value === wanted[1];
      });
    }
    each(controls, function (control) { control.addEventListener("change", update); });
    update();
  });

  // The parts open when the form is sent stay open on the page that answers (a row added, a problem found).
  var parts = editor.querySelectorAll("details.part");
  var kept = editor.querySelector("input[name=open_parts]");
  editor.addEventListener("submit", function () {
    var open = [];
    each(parts, function (part) { if (part.open) { open.push(part.id.replace(/^part-/, "")); } });
    kept.value = open.join(" ");
  });

  // Open or close every part at once.
  each(editor.querySelectorAll(".parts-tools"), function (tools) { tools.hidden = false; });
  each(editor.querySelectorAll("button[data-parts]"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-parts") === "open";
      each(parts, function (part) { part.open = open; });
    });
  });
});
