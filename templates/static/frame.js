// In an embedded widget.html: posts the content height and booking events to the origin
// the loader named (never "*"). See docs/embed.md for the messages.
const params = new URLSearchParams(location.hash.slice(1));
const origin = params.get("origin") || "";
const id = params.get("id") || "";
if (parent !== window && /^https?:\/\/[^/?#]+$/.test(origin)) {
  const post = (type, detail = {}) => parent.postMessage({ bookgen: 1, type, id, detail }, origin);
  const els = [document.documentElement, document.body];
  // The content's height, not the frame's: 100vh in a frame is the frame's height, so a
  // theme's body{min-height:100vh} would feed back (iframe-resizer #594). Heights are
  // lifted for one synchronous measurement, then restored before any paint.
  const measure = () => {
    const saved = els.map((el) => el.style.cssText);
    for (const el of els) {
      el.style.setProperty("min-height", "0", "important");
      el.style.setProperty("height", "auto", "important");
    }
    const height = Math.ceil(els[0].getBoundingClientRect().height);
    els.forEach((el, i) => {
      el.style.cssText = saved[i];
    });
    mutations.takeRecords();
    return height;
  };
  let last = 0;
  let queued = false;
  const report = () => {
    queued = false;
    const height = measure();
    if (height !== last) {
      last = height;
      post("resize", { height });
    }
  };
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(report);
  };
  // A min-height can pin the root's size while its content changes: watch the DOM too.
  new ResizeObserver(schedule).observe(els[0]);
  const mutations = new MutationObserver(schedule);
  mutations.observe(els[1], { childList: true, subtree: true, attributes: true, characterData: true });
  addEventListener("load", schedule, true);
  for (const type of ["step", "booked"]) {
    document.addEventListener("bookgen:" + type, (event) => post(type, event.detail));
  }
  // Escape in a field dismisses autofill; it never closes the popup.
  addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.defaultPrevented && !e.target.closest?.("input,textarea,select")) post("close");
  });
  post("ready");
}
