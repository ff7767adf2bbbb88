// Ctrl+Enter / Cmd+Enter in the composer posts the update.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  var form = event.target.closest && event.target.closest("form[data-shortcut-submit]");
  if (!form) return;
  event.preventDefault();
  form.requestSubmit();
});
