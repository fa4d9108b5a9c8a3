// The "Select all" checkbox of the admin's export page (templates/admin/import_export/export.html):
// checking or unchecking it checks or unchecks every column of the export. Wired here
// because the Content-Security-Policy blocks inline event handlers.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const toggle of document.querySelectorAll("input.select-toggle")) {
    toggle.addEventListener("change", () => {
      const row = toggle.closest(".selectable-field-export-row");
      const index = row ? row.getAttribute("resource-index") : null;
      const selector = index === null
        ? ".selectable-field-export-row input[type=checkbox]:not(.select-toggle)"
        : `.selectable-field-export-row[resource-index="${index}"] input[type=checkbox]:not(.select-toggle)`;
      for (const box of document.querySelectorAll(selector)) {
        box.checked = toggle.checked;
      }
    });
  }
});
