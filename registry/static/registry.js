// Small enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Filters apply as soon as a choice is made.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // After a refused form, take keyboard and screen-reader users to the list of problems.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  // Keep the editor's place after adding or removing a row.
  var editor = document.getElementById("editor");
  if (editor) {
    var key = "editor-scroll:" + location.pathname;
    var saved = sessionStorage.getItem(key);
    if (saved !== null && !summary) { window.scrollTo(0, parseInt(saved, 10)); }
    sessionStorage.removeItem(key);
    editor.addEventListener("submit", function (event) {
      var action = event.submitter && event.submitter.value || "";
      if (action.indexOf("add:") === 0 || action.indexOf("remove:") === 0) {
        sessionStorage.setItem(key, String(window.scrollY));
      }
    });
  }
});
