// bookgen embed loader: <script async src=".../embed.js"></script> plus
// <div data-bookgen-group="slug" data-locale="fr" data-mode="inline|popup|button"></div>
// or any element with data-bookgen-open="slug". API: window.Bookgen.open(slug, options).
(() => {
  if (window.Bookgen) return;
  // currentScript is null when loaded as a module: find our own script tag then.
  const src = (document.currentScript || [...document.scripts].find((s) => /\/embed(\.\w+)?\.js/.test(s.src))).src;
  const base = new URL(src.includes("/assets/") ? "../" : "./", src);
  const frames = new Map();
  const PREFILL = ["service", "calendar", "firstname", "lastname", "email", "phone"];
  let count = 0;
  let dialog = null;
  const css = (el, styles) => Object.assign(el.style, styles);

  function frame(group, o, container, popup = false) {
    const id = "bg" + ++count;
    const hash = new URLSearchParams({ origin: location.origin, id });
    for (const key of PREFILL) if (o[key]) hash.set(key, o[key]);
    const iframe = document.createElement("iframe");
    iframe.src = new URL(`${group}/${o.locale || "fr"}/widget.html#${hash}`, base);
    iframe.title = o.title || "Booking";
    iframe.loading = "lazy";
    iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
    css(iframe, { width: "100%", height: "640px", border: "0", display: "block", colorScheme: "normal" });
    frames.set(id, { iframe, container, popup });
    return iframe;
  }

  function options(el) {
    const o = {};
    for (const [key, value] of Object.entries(el.dataset)) o[key.replace(/^bookgen/, "").toLowerCase() || key] = value;
    return o;
  }

  // A closed popup is hidden, not destroyed: reopening the same widget returns the client
  // to where they were (an Escape meant for autofill, a misclick on the backdrop).
  const popups = new Map();

  function close() {
    if (!dialog) return;
    const { overlay, opener, overflow } = dialog;
    dialog = null;
    overlay.style.display = "none";
    document.documentElement.style.overflow = overflow;
    opener?.focus();
  }

  function makePopup(group, o) {
    const overlay = document.createElement("div");
    const box = document.createElement("div");
    const bar = document.createElement("div");
    const shut = document.createElement("button");
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", o.title || "Booking");
    shut.type = "button";
    shut.textContent = "\u00d7"; // the multiplication sign, escaped: host pages may not be UTF-8
    shut.setAttribute("aria-label", o.closelabel || "Close");
    css(overlay, { position: "fixed", inset: "0", zIndex: "2147483646", background: "rgba(0,0,0,.55)",
      display: "flex", alignItems: "center", justifyContent: "center" });
    // Full screen below 640 px, a box above; CSS decides, so rotation and resizing follow.
    css(box, { display: "flex", flexDirection: "column", background: "#fff", width: "min(720px,100vw)",
      height: "min(860px,100dvh)", borderRadius: "clamp(0px,(100vw - 639px) * 1000,12px)", overflow: "hidden" });
    // The close button has its own bar: it never covers the widget's title.
    css(bar, { display: "flex", justifyContent: "flex-end", flex: "none", padding: "4px" });
    css(shut, { width: "44px", height: "44px", font: "28px/1 system-ui,sans-serif", border: "0",
      borderRadius: "22px", background: "#fff", cursor: "pointer" });
    const iframe = frame(group, o, overlay, true);
    iframe.loading = "eager";
    css(iframe, { height: "auto", flex: "1", minHeight: "0" });
    // Focus sentinels keep Tab inside the dialog even when it leaves the widget's own document.
    const sentinel = (target) => {
      const s = document.createElement("span");
      s.tabIndex = 0;
      s.addEventListener("focus", () => target().focus());
      return s;
    };
    bar.append(shut);
    box.append(sentinel(() => iframe), bar, iframe, sentinel(() => shut));
    overlay.append(box);
    overlay.addEventListener("click", (e) => e.target === overlay && close());
    shut.addEventListener("click", close);
    overlay.addEventListener("keydown", (e) => e.key === "Escape" && close());
    document.body.append(overlay);
    return { overlay, shut };
  }

  function open(group, o = {}, opener = document.activeElement) {
    close();
    const key = JSON.stringify([group, o.locale, ...PREFILL.map((k) => o[k])]);
    const made = popups.get(key) || popups.set(key, makePopup(group, o)).get(key);
    made.overlay.style.display = "flex";
    dialog = { overlay: made.overlay, opener, overflow: document.documentElement.style.overflow };
    document.documentElement.style.overflow = "hidden";
    made.shut.focus();
    return made.overlay;
  }

  function button(el, o) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = o.label || "Book";
    const [v, h] = (o.position || "bottom-right").split("-");
    css(b, { position: "fixed", [v]: "20px", [h]: "20px", zIndex: "2147483645", minHeight: "48px", padding: "0 22px",
      border: "0", borderRadius: "24px", font: "600 16px system-ui,sans-serif", cursor: "pointer",
      background: o.background || "#7a4a12", color: o.color || "#fff", boxShadow: "0 4px 14px rgba(0,0,0,.3)" });
    b.addEventListener("click", () => open(o.group, o, b));
    el.append(b);
  }

  function mount(el) {
    if (el.bookgenMounted) return;
    el.bookgenMounted = true;
    const o = options(el);
    if (el.dataset.bookgenOpen) {
      o.group = el.dataset.bookgenOpen;
      return el.addEventListener("click", (e) => { e.preventDefault(); open(o.group, o, el); });
    }
    if (o.mode === "popup") return el.addEventListener("click", () => open(o.group, o, el));
    if (o.mode === "button") return button(el, o);
    el.replaceChildren(frame(o.group, o, el));
  }

  addEventListener("message", (e) => {
    const data = e.data;
    if (e.origin !== base.origin || !data || data.bookgen !== 1) return;
    const entry = frames.get(data.id);
    if (!entry || entry.iframe.contentWindow !== e.source) return;
    if (data.type === "resize" && !entry.popup) {
      css(entry.iframe, { height: Math.max(200, Math.min(+data.detail.height || 0, 5000)) + "px" });
    } else if (data.type === "close") {
      if (entry.container === dialog?.overlay) close();
    } else if (["ready", "step", "booked"].includes(data.type)) {
      const detail = data.type === "booked" ? { date: data.detail.date, service: data.detail.service,
        calendar: data.detail.calendar } : data.type === "step" ? { step: data.detail.step } : {};
      (entry.container.isConnected ? entry.container : document).dispatchEvent(
        new CustomEvent("bookgen:" + data.type, { bubbles: true, detail }));
    }
  });

  const scan = () => document.querySelectorAll("[data-bookgen-group],[data-bookgen-open]").forEach(mount);
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  scan();
  window.Bookgen = { open: (group, o = {}) => open(group, o) };
})();
