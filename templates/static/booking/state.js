// bookgen runtime, the flow's state (methods of the Flow, booking.js): what the tab keeps,
// the step and the choices in the URL fragment, and the prefill taken from the fragment or
// the query string (docs/booking-flow.md).
// The keys a page or a widget can be prefilled with (docs/embed.md "Prefill").
export const PREFILL = ["service", "calendar", "firstname", "lastname", "email", "phone"];

export const stateMethods = {
  // Kept for the tab's life (sessionStorage): sign-in, appointments made, the last confirmation,
  // display choices. Storage may be blocked (a cross-origin iframe without third-party storage):
  // memory only then.
  restore() {
    this.key = "bookgen:" + this.group;
    try { this.state = JSON.parse(sessionStorage.getItem(this.key)) || {}; } catch { this.state = {}; }
  },

  save() { try { sessionStorage.setItem(this.key, JSON.stringify(this.state)); } catch { /* memory only */ } },

  params() { return new URLSearchParams(location.hash.slice(1)); },

  go(changes, replace) {
    const params = this.params();
    for (const [key, value] of Object.entries(changes)) {
      if (value == null) params.delete(key); else params.set(key, value);
    }
    if (replace) return location.replace("#" + params);
    // Our own entries are marked, so in-app Back knows whether the previous one is ours (D13).
    history.pushState({ bookgen: 1 }, "", "#" + params);
    this.render(true);
  },

  // Prefill from the fragment or the query string (bug-hunt #13: a literal "+" is kept, as
  // in "+33..." or "ana+test@..."); the query's keys move into the fragment, out of the
  // address bar and of URLs that reach servers (docs/booking-flow.md).
  fromUrl() {
    const plus = (text) => new URLSearchParams(text.replace(/\+/g, "%2B"));
    const query = plus(location.search);
    const hash = plus(location.hash.slice(1));
    for (const key of PREFILL) {
      if (!hash.has(key) && query.has(key)) hash.set(key, query.get(key));
      query.delete(key);
    }
    this.prefill = Object.fromEntries(PREFILL.slice(2).map((k) => [k, hash.get(k) || ""]));
    if (this.state.signed) this.prefill.email ||= this.state.signed;
    const rest = String(query);
    history.replaceState(null, "", location.pathname + (rest && "?" + rest) + "#" + hash);
    // A prefilled service or calendar skips its step: open on the first choice missing.
    const open = this.current(true);
    if (!hash.has("step") && open !== this.steps[0]) history.replaceState(null, "", "#" + hash + "&step=" + open);
  },

  // The first step whose choice is missing, so a linked or stale fragment stays consistent.
  current(deepest) {
    const p = this.params();
    const wanted = deepest ? "details" : p.get("step") || this.steps[0];
    if (wanted === "done" && this.state.done) return "done";
    for (const step of this.steps) {
      if (step === wanted) return step;
      if ((step === "service" && !this.service(p.get("service"))) ||
          (step === "calendar" && !p.has("calendar")) ||
          (step === "signin" && !this.state.signed) || (step === "slot" && !p.get("slot"))) return step;
    }
    return this.steps[0];
  },
};
