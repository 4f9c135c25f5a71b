// bookgen runtime: turns the server-rendered booking page into a step-by-step flow
// speaking ClicRDV API v1 (docs/booking-flow.md) under the page's api_base_url, without
// apikey. No framework, no third-party code. Without it (or if the API is unreachable)
// the page still lists services and links to the hosted module.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const fill = (text, vars) => text.replace(/%\((\w+)\)s/g, (_, key) => vars[key]);
// ClicRDV's appointment/account refusal codes (clicrdv-api.md §4), found anywhere in a 400 body.
const CODES = /\b(NotAvailable|SameTimeRdv|MaxRdvNumber|MintimeRdv|MintimeBetween|MaxRdvPeriod|EmailAlreadyExists|EmailNotFound)\b/;
// Codes whose next step is another time: back to refreshed slots with the message.
const RESLOT = ["NotAvailable", "SameTimeRdv", "MintimeRdv", "MintimeBetween", "MaxRdvPeriod"];

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
    for (const item of $$("[data-progress]", this.root)) {
      if (item.dataset.progress === step) item.setAttribute("aria-current", "step"); else item.removeAttribute("aria-current");
    }
    this.app.replaceChildren();
    if (step === "service") this.filter("service", (id) => !p.has("calendar") || !p.get("calendar") ||
      this.offers(this.calendar(p.get("calendar")), id));
    if (step === "calendar") this.filter("calendar", (id) => id === "" || !p.get("service") ||
      this.offers(this.calendar(id), p.get("service")));
    // The slot step is a second module, loaded on demand: a widget's first step stays small.
    if (step === "slot") this.load("slots", () => this.shown === "slot", moveFocus);
    if (step === "signin") this.load("signin", () => this.shown === "signin", moveFocus);
    if (step === "details") this.renderDetails();
    if (step === "done") this.load("done", () => this.shown === "done", moveFocus);
    const index = this.steps.indexOf(step);
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
      const credentials = new URL(this.api, document.baseURI).origin == location.origin ? "same-origin" : "include";
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

  renderDetails() {
    const p = this.params();
    const t = this.t;
    const reminders = this.data.reminders;
    const service = this.service(p.get("service"));
    const calendar = this.calendar(p.get("calendar"));
    const item = $(`[data-service="${service.id}"]`, this.root);
    if (!this.prefill.phone && this.data.country_code) this.prefill.phone = `+${this.data.country_code} `;
    this.form([h("h2", { class: "step-title" }, t.details_title),
      // The same facts as the confirmation (issue 18 §4): duration and price as the page shows them,
      // the visitor's time when its offset differs (slots.js keeps the chosen one's), the address.
      h("div", { class: "summary" }, h("strong", {}, t.summary),
        h("span", {}, service.name, [".duration", ".price"].map((sel) => $(sel, item)).filter(Boolean).map((e) => " · " + e.textContent)),
        h("span", {}, this.when(p.get("slot"))), h("span", {}, this.mine),
        p.has("calendar") && h("span", {}, calendar ? fill(t.with, { name: calendar.name }) : t.any),
        this.data.place?.address && h("span", { dir: "auto" }, this.data.place.address)),
      this.field("firstname", "text", { autocomplete: "given-name", required: true, maxlength: 64 }),
      this.field("lastname", "text", { autocomplete: "family-name", required: true, maxlength: 64 }),
      this.field("email", "email", { autocomplete: "email", required: true, maxlength: 255 }),
      this.field("phone", "tel", { autocomplete: "tel", maxlength: 25 }),
      reminders.sms_minutes > 0 && h("div", { class: "field field-check" }, h("label", {},
        h("input", { type: "checkbox", name: "sms", checked: reminders.sms_checked }), " ", t.sms))],
    t.confirm, (form, show) => this.submit(form, show));
  }

  when(slot) {
    return new Intl.DateTimeFormat(this.locale, { dateStyle: "full", timeStyle: "short", timeZone: "UTC" }).format(wall(slot));
  }

  async submit(form, show) {
    const p = this.params();
    const t = this.t;
    const values = Object.fromEntries(["firstname", "lastname", "email", "phone"].map((n) => [n, form.elements[n].value.trim()]));
    const sms = form.elements.sms?.checked;
    const problems = [];
    for (const name of ["firstname", "lastname", "email"]) if (!values[name]) problems.push([name, t.required]);
    if (values.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) problems.push(["email", t.bad_email]);
    if (values.phone.replace(/\D/g, "") === (this.data.country_code || "")) values.phone = "";
    if (values.phone && !/^\+?[0-9][0-9 .()-]{5,19}$/.test(values.phone)) problems.push(["phone", t.bad_phone]);
    if (sms && !values.phone) problems.push(["phone", t.required]);
    if (problems.length) return problems.map(([n, m]) => this.invalid(form, n, m))[0].focus();
    const service = this.service(p.get("service"));
    const calendar = this.calendar(p.get("calendar"));
    const date = p.get("slot");
    const fiche = { firstname: values.firstname, lastname: values.lastname, email: values.email,
      firstphone: values.phone, rappel_sms: sms ? 1 : 0 };
    // Without an account session and with validateEmail, ClicRDV verifies the email first:
    // an Account parks the booking in pendingRdv (clicrdv-api.md §2, docs/clicrdv-assumptions.md).
    const pending = this.data.validateEmail && !this.state.signed;
    const [path, body] = pending
      ? ["accounts", { account: { email: values.email, group_id: +this.group, pendingRdv: JSON.stringify({
        intervention_ids: [service.id], names: [service.name], calendar_id: calendar ? calendar.id : 0,
        calendar_name: calendar ? calendar.name : "", date, fiche: { ...fiche, email: undefined } }) } }]
      : [`groups/${this.group}/appointments`, { appointment: { date, intervention_ids: [service.id],
        ...(calendar && { calendar_id: calendar.id }), from_web: 1, fiche } }];
    const json = JSON.stringify(body);
    // The same booking sent again ("Try again") keeps its Idempotency-Key; a changed one gets a new key.
    if (this.attempt?.json !== json) this.attempt = { json, key: crypto.randomUUID?.() || String(Math.random()).slice(2) };
    const attempt = this.attempt;
    const answer = await this.request(path, { method: "POST", body: json,
      headers: { "Content-Type": "application/json", "Idempotency-Key": attempt.key } });
    const unknown = attempt.unknown;
    attempt.unknown = !answer.status || answer.status >= 500;
    // SameTimeRdv (or, parking, EmailAlreadyExists) right after an attempt of ours whose
    // answer was lost: what exists is what that attempt made.
    if (answer.status === 201 || (unknown && /^(SameTimeRdv|EmailAlreadyExists)$/.test(answer.code))) {
      this.attempt = null;
      Object.assign(this.prefill, values);
      this.state.booked = (this.state.booked || 0) + 1;
      this.state.done = { pending, id: pending ? null : answer.body?.id, service: service.name, serviceId: service.id,
        date, calendar: calendar?.name };
      this.save();
      if (!pending) this.emit("booked", { date, service: service.id, calendar: calendar ? String(calendar.id) : "" });
      return this.go({ step: "done" }, true);
    }
    const message = answer.code && t["err_" + answer.code];
    if (RESLOT.includes(answer.code)) {
      this.notice = message;
      return this.go({ slot: null, step: "slot" });
    }
    if (/^Email/.test(answer.code)) {
      this.invalid(form, "email", message).focus();
      // A known email cannot park a booking: the client signs in instead, then books directly.
      return pending && answer.code === "EmailAlreadyExists" && show(message, () => {
        Object.assign(this.prefill, values);
        if (!this.steps.includes("signin")) this.steps.splice(this.steps.indexOf("details"), 0, "signin");
        this.go({ step: "signin" });
      }, t.signin);
    }
    if (message) return show(message);
    // A refused field (the sandbox's error.field, docs/clicrdv-assumptions.md) is marked where it is typed.
    const last = answer.body?.error?.field?.split(".").pop();
    const name = last === "firstphone" ? "phone" : last;
    if (answer.status === 400 && form.elements[name]) return this.invalid(form, name, t.invalid).focus();
    if (answer.status === 400) return show(t.refused);
    show(t.error, () => form.requestSubmit());
  }

  doneTitle() { return this.state.done?.pending ? this.t.pending_title : this.t.done_title; }
}

for (const root of $$("[data-bookgen-flow]")) new Flow(root);
