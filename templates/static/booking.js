// bookgen runtime: turns the server-rendered booking page into a step-by-step flow
// speaking ClicRDV API v1 (docs/booking-flow.md) under the page's api_base_url, without
// apikey. No framework, no third-party code. Without it (or if the API is unreachable)
// the page still lists services and links to the hosted module.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const fill = (text, vars) => text.replace(/%\((\w+)\)s/g, (_, key) => vars[key]);
// ClicRDV's appointment/account refusal codes (clicrdv-api.md §4), found anywhere in a 400 body.
const CODES = /\b(NotAvailable|SameTimeRdv|MaxRdvNumber|MintimeRdv|MintimeBetween|MaxRdvPeriod|EmailAlreadyExists|EmailNotFound)\b/;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "on") for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    else if (value === true) el.setAttribute(key, "");
    else if (value !== false && value != null) el.setAttribute(key, value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

// Slot times are wall-clock times in the group's zone ("2026-11-25 09:00:00").
const wall = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +s.slice(11, 13), +s.slice(14, 16));
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
function offset(ms, zone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
    month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }).formatToParts(ms)) parts[p.type] = +p.value;
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - Math.floor(ms / 60000) * 60000;
}
const instant = (ms, zone) => ms - offset(ms - offset(ms, zone), zone);
const sha1 = async (text) => [...new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)))]
  .map((b) => b.toString(16).padStart(2, "0")).join("");

const DATED = { weekday: "long", day: "numeric", month: "long", year: "numeric" };
const PREFILL = ["service", "calendar", "firstname", "lastname", "email", "phone"];
// What the on-demand step modules share with this one.
const LIB = { h, fill, wall, day, offset, instant, sha1 };

class Flow {
  constructor(root) {
    this.root = root;
    this.data = JSON.parse($(".bookgen-data", root).textContent);
    this.t = JSON.parse($(".bookgen-messages", root).textContent);
    this.api = root.dataset.api.replace(/\/$/, "");
    this.locale = root.dataset.locale;
    this.group = this.data.group_id ?? this.data.slug;
    this.steps = this.data.steps.filter((s) => s !== "done");
    // Kept for the tab's life (sessionStorage): sign-in, appointments made, the last confirmation.
    this.key = "bookgen:" + this.group;
    // Storage may be blocked (a cross-origin iframe without third-party storage): memory only then.
    try { this.state = JSON.parse(sessionStorage.getItem(this.key)) || {}; } catch { this.state = {}; }
    this.visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.live = $(".flow-live", root);
    this.fallback = $(".fallback", root);
    this.app = h("div", { class: "flow-app" });
    this.fallback.before(this.app);
    this.fallback.hidden = true;
    root.classList.add("is-enhanced");
    this.enhance("service");
    this.enhance("calendar");
    // Prefill from the fragment or the query string (bug-hunt #13: a literal "+" is kept, as
    // in "+33..." or "ana+test@..."); the query's keys move into the fragment, out of the
    // address bar and of URLs that reach servers (docs/booking-flow.md).
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
    addEventListener("hashchange", () => this.render(true));
    this.render(false);
    this.emit("ready", {});
  }

  params() { return new URLSearchParams(location.hash.slice(1)); }

  go(changes, replace) {
    const params = this.params();
    for (const [key, value] of Object.entries(changes)) {
      if (value == null) params.delete(key); else params.set(key, value);
    }
    if (replace) return location.replace("#" + params);
    // Our own entries are marked, so in-app Back knows whether the previous one is ours (D13).
    history.pushState({ bookgen: 1 }, "", "#" + params);
    this.render(true);
  }

  save() { try { sessionStorage.setItem(this.key, JSON.stringify(this.state)); } catch { /* memory only */ } }

  emit(name, detail) {
    this.root.dispatchEvent(new CustomEvent("bookgen:" + name, { bubbles: true, composed: true, detail }));
  }

  service(id) { return this.data.services.find((s) => String(s.id) === String(id)); }
  calendar(id) { return this.data.calendars.find((c) => String(c.id) === String(id)); }
  offers(calendar, service) { return !calendar.services || calendar.services.includes(+service); }

  // Turn the server-rendered list items into buttons; keep their markup (names, prices).
  enhance(kind) {
    for (const item of $$(`[data-${kind}]`, $(`[data-step=${kind}]`, this.root) || this.app)) {
      const button = h("button", { type: "button", class: "choice", "aria-pressed": "false",
        on: { click: () => this.choose(kind, item.dataset[kind]) } });
      button.append(...item.childNodes);
      item.className = "choice-item";
      item.replaceChildren(button);
    }
  }

  choose(kind, value) {
    const at = this.steps.indexOf(kind);
    this.go({ [kind]: value, step: this.steps[at + 1], slot: null });
  }

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
  }

  render(moveFocus) {
    let step = this.current();
    if (this.shown === "done" && step !== "done") {
      // Leaving a confirmation (Back, or "Book another") starts a new booking; never the sent form.
      this.state.done = null;
      this.save();
      history.replaceState(null, "", "#step=" + this.steps[0]);
      step = this.current();
    }
    this.shown = step;
    const p = this.params();
    for (const section of $$("[data-step]", this.root)) section.hidden = section.dataset.step !== step;
    const index = this.steps.indexOf(step);
    for (const item of $$("[data-progress]", this.root)) {
      const name = item.dataset.progress;
      item.dataset.label ??= item.textContent;
      // A step already passed is a button back to it (D16); the current and later ones are text.
      item.replaceChildren(index > this.steps.indexOf(name) ? h("button", { type: "button", class: "progress-back",
        on: { click: () => this.go({ step: name }) } }, item.dataset.label) : item.dataset.label);
      if (name === step) item.setAttribute("aria-current", "step"); else item.removeAttribute("aria-current");
    }
    this.app.replaceChildren();
    if (step === "service") this.filter("service", (id) => !p.has("calendar") || !p.get("calendar") ||
      this.offers(this.calendar(p.get("calendar")), id));
    if (step === "calendar") this.filter("calendar", (id) => id === "" || !p.get("service") ||
      this.offers(this.calendar(id), p.get("service")));
    // The slot step is a second module, loaded on demand: a widget's first step stays small.
    if (step === "slot") this.load("slots", () => this.shown === "slot", moveFocus);
    if (step === "signin") this.load("signin", () => this.shown === "signin", moveFocus);
    if (step === "details") this.load("details", () => this.shown === "details", moveFocus);
    if (step === "done") this.load("done", () => this.shown === "done", moveFocus);
    if (index > 0 && step !== "done") this.app.append(h("button", { type: "button", class: "button back",
      // Back walks our own history; on a deep link (no entry of ours) it opens the previous step.
      on: { click: () => history.state?.bookgen ? history.back() : this.go({ step: this.steps[index - 1] }, true) } },
    this.t.back));
    // A sign-in step added on the way (a known email) has no progress item: its name is the message's.
    const name = $(`[data-progress=${step}]`, this.root)?.textContent ?? this.t[step];
    this.live.textContent = step === "done" ? this.doneTitle() : fill(this.t.step, { num: index + 1, total: this.steps.length, name });
    this.emit("step", { step });
    if (moveFocus) {
      const heading = $("[data-step]:not([hidden]) h2", this.root) || $("h2", this.app);
      if (heading) { heading.tabIndex = -1; heading.focus(); }
    }
  }

  // A step's module, loaded on demand (a widget's first step stays small); it renders if `still()`.
  load(name, still, moveFocus) {
    import(new URL(this.root.dataset[name], document.baseURI))
      .then((m) => still() && m.default(this, LIB, moveFocus), () => this.fail(this.app, () => this.render(false)));
  }

  filter(kind, keep) {
    const chosen = this.params().get(kind);
    for (const item of $$(`[data-${kind}]`, this.root)) {
      item.hidden = !keep(item.dataset[kind]);
      $("button", item)?.setAttribute("aria-pressed", String(item.dataset[kind] === chosen));
    }
  }

  // One call to the API: never throws; a network failure or timeout is status 0, a body
  // that is not JSON (a proxy's HTML 502) is null, `code` is ClicRDV's refusal code on a 400.
  async request(path, init = {}) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), +this.root.dataset.timeout || 15e3);
    try {
      // The session cookie must travel to a gateway on its own origin (docs/deploy.md) too.
      const credentials = new URL(this.api, document.baseURI).origin === location.origin ? "same-origin" : "include";
      const response = await fetch(`${this.api}/${path}`, { ...init, signal: abort.signal, credentials });
      const text = await response.text();
      let body = null;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      return { status: response.status, body, code: response.status === 400 && body && (text.match(CODES) || [])[1] };
    } catch {
      return { status: 0 };
    } finally {
      clearTimeout(timer);
    }
  }

  // A failure in place: the message, "Try again" and the hosted module; replaces what was there.
  fail(where, retry, message = this.t.error, label = this.t.retry) {
    where.removeAttribute("aria-busy");
    where.replaceChildren(h("p", {}, message),
      retry ? h("button", { type: "button", class: "button", on: { click: retry } }, label) : "", " ",
      h("a", { class: "button", href: $("a", this.fallback).href }, this.t.hosted));
    where.scrollIntoView?.({ block: "nearest" });
  }

  field(name, type, attrs = {}) {
    const id = `bk-${name}-${Math.random().toString(36).slice(2, 7)}`;
    return h("div", { class: "field" }, h("label", { for: id }, this.t[name]),
      h("input", { id, name, type, value: this.prefill[name] || "", "aria-describedby": id + "-error", ...attrs }),
      h("p", { class: "field-error", id: id + "-error" }));
  }

  invalid(form, name, message) {
    const input = form.elements[name];
    input.setAttribute("aria-invalid", "true");
    $(`#${input.id}-error`, form).textContent = message;
    return input;
  }

  // A form whose submit button is disabled and busy while `send` runs, with one message
  // area beside the button (announced); `send` never runs twice at once.
  form(children, label, send) {
    const button = h("button", { class: "button button-primary" }, label);
    const status = h("div", { class: "notice form-status", role: "alert", hidden: true });
    const form = h("form", { class: "form", novalidate: true }, children, status, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled) return;
      for (const input of $$("[aria-invalid]", form)) input.removeAttribute("aria-invalid");
      for (const error of $$(".field-error", form)) error.textContent = "";
      status.hidden = true;
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = this.t.sending;
      const show = (message, retry, label) => { status.hidden = false; this.fail(status, retry, message, label); };
      try {
        await send(form, show);
      } catch {
        show(this.t.error, () => form.requestSubmit());
      } finally {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        button.textContent = label;
      }
    });
    this.app.prepend(form);
    return form;
  }


  // Display choices, kept for the tab (issue 18 §3): `state.mine` shows the visitor's zone first,
  // `state.h24` the 24-hour clock; by default the group's zone and the locale's own clock (CLDR via Intl).
  h24() { return this.state.h24 ?? /h2/.test(new Intl.DateTimeFormat(this.locale, { hour: "numeric" }).resolvedOptions().hourCycle); }
  shownZone() { return this.state.mine && this.differ(Date.now()) ? this.visitorZone : this.data.zone; }
  differ(at) { return offset(at, this.data.zone) !== offset(at, this.visitorZone); }
  zoneName(at, zone) {
    return zone === this.data.zone ? this.t.zone_name : new Intl.DateTimeFormat(this.locale, { timeZone: zone,
      timeZoneName: "long" }).formatToParts(at).find((p) => p.type === "timeZoneName").value;
  }

  // A group wall time ("2026-12-01 10:00:00") as shown: [main, other, zone, brief, legend].
  // `main` is in the zone the visitor chose (the group's unless `state.mine`), dated when `date`
  // (or with its weekday when the visitor's day differs); `zone` names main's zone. When the
  // UTC offsets differ at that instant (Asia/Calcutta = Asia/Kolkata is no difference):
  // `other` is the other zone's time with its date and zone name ("Tue, Dec 1, 4:00 AM GMT+9
  // your time"), `brief` its weekday and time for a time button, `legend` the zone that
  // `brief` is in ("GMT+9 your time").
  times(slot, date) {
    const at = instant(wall(slot), this.data.zone);
    const zones = [this.data.zone, this.visitorZone];
    if (!this.differ(at)) return [this.format(at, zones[0], date ? DATED : {}), null, this.zoneName(at, zones[0])];
    if (this.state.mine) zones.reverse();
    const shifted = zones[0] !== this.data.zone && day(at + offset(at, zones[0])) !== slot.slice(0, 10);
    const says = (time) => fill(this.state.mine ? this.t.their_time : this.t.your_time, { time });
    return [this.format(at, zones[0], date ? DATED : shifted ? { weekday: "short" } : {}),
      says(this.format(at, zones[1], { weekday: "short", day: "numeric", month: "short", timeZoneName: "short" })),
      this.zoneName(at, zones[0]), this.format(at, zones[1], { weekday: "short" }),
      says(new Intl.DateTimeFormat(this.locale, { timeZone: zones[1], timeZoneName: "short" }).formatToParts(at)
        .find((p) => p.type === "timeZoneName").value)];
  }

  format(at, timeZone, opts) {
    return new Intl.DateTimeFormat(this.locale, { hour: "numeric", minute: "2-digit",
      hourCycle: this.h24() ? "h23" : "h12", timeZone, ...opts }).format(at);
  }

  doneTitle() { return this.state.done?.pending ? this.t.pending_title : this.t.done_title; }
}

for (const root of $$("[data-bookgen-flow]")) new Flow(root);
