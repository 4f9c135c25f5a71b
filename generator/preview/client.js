// bookgen preview client (served by `bookgen serve` at /__bookgen__/preview.js after
// livereload.js; never part of a build): a LiveReload plugin that
// - swaps a stylesheet in place when the server says only stylesheets changed: the message
//   is {"command": "reload", "path": NEW, "originalPath": OLD, "liveCSS": true}, NEW and OLD
//   being URL paths of content-hashed files, so livereload.js's own liveCSS (the same href
//   fetched again) would show the old rules;
// - reloads only the page named by {"path": "/spa/fr/embed.html", "liveCSS": false} (the
//   pages whose text changed), and every page at any other path ("index.html");
// - once connected, reloads if a rebuild happened since the page was served (a save made
//   while the page was loading is told to no one: the socket was not open yet);
// - before reloading, keeps what was typed in the page's fields (by name, in sessionStorage,
//   passwords never) and puts it back once the booking runtime has drawn those fields again
//   (the step itself is in the URL fragment, which a reload keeps).
(() => {
  const served = Number(document.currentScript?.dataset.generation || 0);
  const KEY = "bookgen-preview:fields:" + location.pathname;
  const SKIPPED = new Set(["password", "hidden", "file", "submit", "button", "reset", "image"]);
  const RESTORE_MS = 10000; // fields drawn later than this after the reload stay as drawn

  const fields = () => Array.from(document.querySelectorAll("input[name], textarea[name], select[name]"))
    .filter((field) => !SKIPPED.has(field.type));

  function keep() {
    const values = {};
    for (const field of fields()) {
      if (field.type === "checkbox") values[field.name] = field.checked;
      else if (field.type === "radio") { if (field.checked) values[field.name] = field.value; }
      else values[field.name] = field.value;
    }
    try { sessionStorage.setItem(KEY, JSON.stringify(values)); } catch { /* storage blocked: nothing kept */ }
  }

  function put(field, value) {
    if (field.type === "checkbox") field.checked = value === true;
    else if (field.type === "radio") field.checked = field.value === value;
    else field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function restore() {
    let values = null;
    try {
      values = JSON.parse(sessionStorage.getItem(KEY));
      sessionStorage.removeItem(KEY);
    } catch { return; }
    if (!values || typeof values !== "object") return;
    const fill = () => {
      const found = fields().filter((field) => Object.hasOwn(values, field.name));
      for (const field of found) put(field, values[field.name]);
      for (const field of found) delete values[field.name];
      return Object.keys(values).length === 0;
    };
    if (fill()) return;
    const observer = new MutationObserver(() => { if (fill()) observer.disconnect(); });
    observer.observe(document.documentElement, { childList: true, subtree: true });
    setTimeout(() => observer.disconnect(), RESTORE_MS);
  }

  function swap(from, to) {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      if (new URL(link.href).pathname !== from) continue;
      const next = link.cloneNode();
      next.href = to;
      // The old sheet stays until the new one is in, so nothing shows unstyled in between.
      next.addEventListener("load", () => link.remove(), { once: true });
      next.addEventListener("error", () => { keep(); location.reload(); }, { once: true });
      link.after(next);
    }
  }

  const here = () => location.pathname.replace(/\/$/, "/index.html");

  class BookgenPreview {
    static identifier = "bookgen-preview";
    static version = "1";

    reload(path, options) {
      if (options.liveCSS && options.originalPath && path.endsWith(".css")) {
        swap(options.originalPath, path);
        return true;
      }
      if (path.startsWith("/") && path !== here()) return true; // another page changed
      keep();
      return false; // livereload.js reloads the page
    }
  }

  if (window.LiveReload) window.LiveReload.addPlugin(BookgenPreview);
  document.addEventListener("LiveReloadConnect", () => {
    fetch("/__bookgen__/status", { cache: "no-store" }).then((answer) => answer.json()).then((status) => {
      if (status.generation > served) { keep(); location.reload(); }
    }).catch(() => { /* the server is restarting: the next connect asks again */ });
  });
  restore();
})();
