// Runs inside widget.html when it is embedded: reports the page height and the booking
// events to the host page, only ever to the origin the loader named (never "*").
const params = new URLSearchParams(location.hash.slice(1));
const origin = params.get("origin") || "";
const id = params.get("id") || "";
if (parent !== window && /^https?:\/\/[^/?#]+$/.test(origin)) {
  const post = (type, detail = {}) => parent.postMessage({ bookgen: 1, type, id, detail }, origin);
  let last = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) post("resize", { height: (last = height) });
  }).observe(document.documentElement);
  for (const type of ["step", "booked"]) {
    document.addEventListener("bookgen:" + type, (event) => post(type, event.detail));
  }
  addEventListener("keydown", (event) => event.key === "Escape" && post("close"));
  post("ready");
}
