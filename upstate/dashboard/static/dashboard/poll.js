// Live regions poll with hx-trigger="every Ns" and data-poll-visible: no request while the tab
// is hidden. (htmx's "[!document.hidden]" filter is evaluated as code, which the dashboard's
// Content-Security-Policy forbids.)
document.addEventListener("htmx:beforeRequest", function (event) {
  var elt = event.detail && event.detail.elt;
  if (document.hidden && elt && elt.hasAttribute("data-poll-visible")) event.preventDefault();
});
