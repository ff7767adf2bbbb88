/*! Upstate status widget · no dependencies · https://github.com/upstate
 * <script src="https://<upstate host>/widget.js" data-page="<slug>" async></script>
 * data-page        the page's slug (leave out when the script comes from the page's own domain)
 * data-mode        "badge" (default: a status pill) or "banner" (only while something is wrong)
 * data-components  banner only: component or group codes (or names), comma-separated
 * data-position    badge: bottom-right (default), bottom-left, top-right, top-left;
 *                  banner: top (default), bottom
 * data-target      a CSS selector: render inside that element instead of floating
 * data-theme       auto (default), light, dark
 * data-compact     badge: the overall status only, without the incident's title
 * data-interval    seconds between checks (default 30, at least 5)
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL || !Element.prototype.attachShadow) return;
  var d = script.dataset;
  var src = new URL(script.src, location.href);
  var root = src.origin + src.pathname.replace(/\/widget\.js$/, "") +
    (d.page ? "/p/" + encodeURIComponent(d.page) : "") + "/";
  var banner = d.mode === "banner";
  var wanted = (d.components || "").split(",").map(function (s) { return s.trim().toLowerCase(); })
    .filter(Boolean);
  var every = Math.max(5, Number(d.interval) || 30) * 1000;
  var theme = /^(light|dark)$/.test(d.theme) ? d.theme : "auto";
  var where = d.position || (banner ? "top" : "bottom-right");
  var host, shadow, last, components = {}, shown = "", dismissed = "";
  var CSS =
    ":host{all:initial}" +
    ".auto,.light{--bg:#fff;--fg:#1f2328;--mu:#59636e;--bd:#d1d9e0}" +
    ".dark{--bg:#161b22;--fg:#e6edf3;--mu:#9198a1;--bd:#3d444d}" +
    "@media (prefers-color-scheme:dark){.auto{--bg:#161b22;--fg:#e6edf3;--mu:#9198a1;--bd:#3d444d}}" +
    ".none{--c:#2da44e}.neutral{--c:#8c959f}.minor{--c:#d4a72c}.major{--c:#e16f24}" +
    ".critical{--c:#cf222e}.maintenance{--c:#218bff}" +
    ".w,.b{box-sizing:border-box;display:flex;align-items:center;gap:8px;color:var(--fg);" +
    "background:var(--bg);font:500 14px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;" +
    "text-align:left;letter-spacing:normal}" +
    ".w{display:inline-flex;max-width:min(380px,calc(100vw - 32px));padding:8px 14px;" +
    "border:1px solid var(--bd);border-radius:999px;text-decoration:none;cursor:pointer}" +
    ".w.f{box-shadow:0 4px 14px rgba(0,0,0,.16)}.w:hover{border-color:var(--a)}" +
    ".f{position:fixed;z-index:2147483000}.bottom-right{bottom:16px;right:16px}" +
    ".bottom-left{bottom:16px;left:16px}.top-right{top:16px;right:16px}.top-left{top:16px;left:16px}" +
    "a:focus-visible,button:focus-visible{outline:2px solid var(--a);outline-offset:2px}" +
    ".dot{width:10px;height:10px;border-radius:50%;background:var(--c);flex:none}" +
    ".t{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".s{color:var(--mu);font-size:12px;white-space:nowrap}" +
    ".b{width:100%;padding:10px 16px;border-left:6px solid var(--c);border-bottom:1px solid var(--bd);" +
    "background:color-mix(in srgb,var(--c) 14%,var(--bg))}" +
    ".b.f{left:0;right:0;top:0}.b.f.bottom{top:auto;bottom:0;border-bottom:0;border-top:1px solid var(--bd)}" +
    ".b .t{flex:1;white-space:normal}.b a{color:inherit;font-weight:600;text-decoration:underline;" +
    "text-decoration-color:var(--a);white-space:nowrap}" +
    ".b button{all:unset;cursor:pointer;padding:0 6px;font-size:20px;line-height:1;color:var(--mu)}";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function link(href, cls, text) {
    var a = el("a", cls, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  function affects(notice) {
    if (!wanted.length) return true;
    return notice.components.some(function (code) {
      var c = components[code] || {};
      return wanted.indexOf(code.toLowerCase()) >= 0 ||
        wanted.indexOf(String(c.name || "").toLowerCase()) >= 0;
    });
  }

  function pill(data) {
    var notice = d.compact === undefined && data.notices[0];
    var indicator = notice ? notice.indicator : data.status.indicator;
    var text = notice ? notice.name : data.status.description;
    var a = link(root, "w " + theme + " " + indicator, "");
    if (!d.target) a.className += " f " + where;
    a.setAttribute("data-indicator", indicator);
    a.title = data.page.name + ": " + data.status.description;
    a.appendChild(el("span", "dot"));
    a.appendChild(el("span", "t", text));
    if (notice) a.appendChild(el("span", "s", notice.status));
    return a;
  }

  function strip(data) {
    var found = data.notices.filter(affects);
    var key = found.map(function (n) { return n.id + n.status; }).join();
    if (!found.length || key === dismissed) return null;
    var notice = found[0];
    var bar = el("div", "b " + theme + " " + notice.indicator);
    bar.setAttribute("data-indicator", notice.indicator);
    if (!d.target) bar.className += " f " + (where === "bottom" ? "bottom" : "top");
    bar.setAttribute("role", "status");
    bar.appendChild(el("span", "dot"));
    var t = el("span", "t");
    t.appendChild(el("strong", "", notice.name));
    t.appendChild(document.createTextNode(" \u2014 " + notice.status +
      (found.length > 1 ? " (+" + (found.length - 1) + " more)" : "") + " "));
    bar.appendChild(t);
    bar.appendChild(link(root + notice.path, "", "Details"));
    var close = el("button", "", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    close.onclick = function () {
      dismissed = key;
      try { sessionStorage.setItem("upstate-dismissed:" + root, key); } catch (e) { /* blocked */ }
      render(last);
    };
    bar.appendChild(close);
    return bar;
  }

  function mount() {
    if (host) return true;
    var parent = document.body;
    if (d.target) {
      try { parent = document.querySelector(d.target); } catch (e) { parent = null; }
    }
    if (!parent) return false;
    host = el("upstate-status");
    shadow = host.attachShadow({ mode: "open" });
    parent.appendChild(host);
    return true;
  }

  function render(data) {
    last = data;
    components = data.components || {};
    var node = banner ? strip(data) : pill(data);
    if (!mount()) return;
    shadow.textContent = "";
    shadow.appendChild(el("style", "", CSS));
    if (node) {
      node.style.setProperty("--a", /^#[0-9a-f]{6}$/i.test(data.page.accent) ? data.page.accent : "#2563eb");
      shadow.appendChild(node);
    }
  }

  function poll() {
    var next = function () { setTimeout(poll, every); };
    if (document.hidden && last) return next();
    // "no-cache": the browser revalidates with the ETag it holds (a 304 costs nothing) and
    // adds no header of its own, so the cross-origin request needs no preflight.
    fetch(root + "widget.json", { cache: "no-cache", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (text) {
        if (text && text !== shown) {
          var data = JSON.parse(text);
          shown = text;
          render(data);
        }
      })
      .catch(function () { /* unreachable: keep quiet and keep what is shown */ })
      .then(next);
  }

  try { dismissed = sessionStorage.getItem("upstate-dismissed:" + root) || ""; } catch (e) { /* blocked */ }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", poll);
  else poll();
})();
