// bookgen runtime: turns the server-rendered booking page into a step-by-step flow
// against a ClicRDV-shaped API. No framework, no third-party code. Without it (or if
// the API is unreachable) the page still lists services and links to the hosted module.
const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
const fill = (text, vars) => text.replace(/%\((\w+)\)s/g, (_, key) => vars[key]);

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

class Flow {
  constructor(root) {
    this.root = root;
    this.data = JSON.parse($(".bookgen-data", root).textContent);
    this.t = JSON.parse($(".bookgen-messages", root).textContent);
    this.api = root.dataset.api.replace(/\/$/, "");
    this.locale = root.dataset.locale;
    this.group = this.data.group_id ?? this.data.slug;
    this.steps = this.data.steps.filter((s) => s !== "done");
    this.booked = 0;
    this.token = null;
    this.visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.live = $(".flow-live", root);
    this.fallback = $(".fallback", root);
    this.app = h("div", { class: "flow-app" });
    this.fallback.before(this.app);
    this.fallback.hidden = true;
    root.classList.add("is-enhanced");
    this.enhance("service");
    this.enhance("calendar");
    const query = new URLSearchParams(location.search);
    const hash = this.params();
    for (const key of ["service", "calendar", "firstname", "lastname", "email", "phone"]) {
      if (!hash.has(key) && query.has(key)) hash.set(key, query.get(key));
    }
    this.prefill = Object.fromEntries(["firstname", "lastname", "email", "phone"].map((k) => [k, hash.get(k) || ""]));
    history.replaceState(null, "", "#" + hash);
    addEventListener("hashchange", () => this.render(true));
    this.render(false);
    this.emit("ready", {});
  }

  params() { return new URLSearchParams(location.hash.slice(1)); }

  go(changes) {
    const params = this.params();
    for (const [key, value] of Object.entries(changes)) {
      if (value == null) params.delete(key); else params.set(key, value);
    }
    location.hash = params;
  }

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
  current() {
    const p = this.params();
    const wanted = p.get("step") || this.steps[0];
    if (wanted === "done" && this.lastBooking) return "done";
    for (const step of this.steps) {
      if (step === wanted) return step;
      if ((step === "service" && !this.service(p.get("service"))) ||
          (step === "calendar" && !p.has("calendar")) ||
          (step === "signin" && !this.token) || (step === "slot" && !p.get("slot"))) return step;
    }
    return this.steps[0];
  }

  render(moveFocus) {
    const step = this.current();
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
    if (step === "slot") this.renderSlots(p.get("week") || day(Date.now()));
    if (step === "signin") this.renderSignin();
    if (step === "details") this.renderDetails();
    if (step === "done") this.renderDone();
    const index = this.steps.indexOf(step);
    if (index > 0 && step !== "done") this.app.append(h("button", { type: "button", class: "button back",
      on: { click: () => history.back() } }, this.t.back));
    const name = this.t["step_" + step];
    this.live.textContent = step === "done" ? this.t.done_title : fill(this.t.step, { num: index + 1, total: this.steps.length, name });
    this.emit("step", { step });
    if (moveFocus) {
      const heading = $("[data-step]:not([hidden]) h2", this.root) || $("h2", this.app);
      if (heading) { heading.tabIndex = -1; heading.focus(); }
    }
  }

  filter(kind, keep) {
    const chosen = this.params().get(kind);
    for (const item of $$(`[data-${kind}]`, this.root)) {
      item.hidden = !keep(item.dataset[kind]);
      $("button", item)?.setAttribute("aria-pressed", String(item.dataset[kind] === chosen));
    }
  }

  time(slot) {
    const ms = wall(slot);
    const opts = { hour: "numeric", minute: "2-digit" };
    const label = new Intl.DateTimeFormat(this.locale, { ...opts, timeZone: "UTC" }).format(ms);
    if (this.visitorZone === this.data.zone) return [label];
    const mine = new Intl.DateTimeFormat(this.locale, { ...opts, timeZone: this.visitorZone }).format(instant(ms, this.data.zone));
    return [label, fill(this.t.your_time, { time: mine })];
  }

  async fetchSlots(week) {
    const p = this.params();
    const url = new URL(`${this.api}/groups/${this.group}/availabletimeslots`, location.href);
    url.searchParams.append("intervention_ids[]", p.get("service"));
    url.searchParams.set("calendar_id", p.get("calendar") || "");
    url.searchParams.set("start", week);
    url.searchParams.set("end", day(Date.parse(week) + 6 * 864e5));
    if (this.token) url.searchParams.set("token", this.token);
    const response = await fetch(url);
    if (!response.ok) throw new Error(response.status);
    return (await response.json()).records;
  }

  async renderSlots(week, search = 0) {
    const t = this.t;
    const list = h("div", { class: "slots", "aria-busy": "true" }, h("p", { class: "loading" }, t.loading));
    const today = day(Date.now());
    const nav = h("div", { class: "slot-nav" },
      h("button", { type: "button", class: "button", disabled: week <= today,
        on: { click: () => this.go({ week: day(Math.max(Date.parse(week) - 7 * 864e5, Date.parse(today))) }) } }, t.earlier),
      h("button", { type: "button", class: "button", on: { click: () => this.go({ week: day(Date.parse(week) + 7 * 864e5) }) } }, t.later));
    const notice = this.notice && h("p", { class: "notice", role: "alert" }, this.notice);
    this.notice = null;
    this.app.append(h("section", { class: "step", "aria-labelledby": "slot-title" },
      h("h2", { id: "slot-title", class: "step-title" }, t.slot_title), notice,
      h("p", { class: "zone" }, this.data.zone && t.zone_name), nav, list));
    let slots;
    try {
      slots = await this.fetchSlots(week);
    } catch (error) {
      return this.fail(list, () => this.render(false));
    }
    if (this.current() !== "slot") return;
    list.removeAttribute("aria-busy");
    if (!slots.length) {
      if (search > 0 && search < 8) return this.go({ week: day(Date.parse(week) + 7 * 864e5), search: search + 1 });
      list.replaceChildren(h("p", { class: "empty" }, search >= 8 ? t.none_soon : t.no_slots),
        h("button", { type: "button", class: "button button-primary", on: { click: () =>
          this.go({ week: day(Date.parse(week) + 7 * 864e5), search: 1 }) } }, t.first));
      return;
    }
    const days = new Map();
    for (const slot of slots) days.set(slot.start.slice(0, 10), [...(days.get(slot.start.slice(0, 10)) || []), slot]);
    const dateFormat = new Intl.DateTimeFormat(this.locale, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
    const next = this.steps[this.steps.indexOf("slot") + 1];
    const button = (slot) => h("button", { type: "button", class: "slot", "data-slot": slot.start,
      on: { click: () => this.go({ slot: slot.start, step: next, search: null }) } },
      this.time(slot.start).map((text, i) => h("span", { class: i ? "slot-mine" : "slot-time" }, text)));
    list.replaceChildren(...[...days].map(([date, daySlots]) => h("div", { class: "slot-day" },
      h("h3", {}, dateFormat.format(wall(date + " 00:00"))),
      h("ul", { class: "slot-list", role: "list" }, daySlots.map((slot) => h("li", {}, button(slot)))))));
  }

  fail(where, retry) {
    where.removeAttribute("aria-busy");
    const link = $("a", this.fallback);
    where.replaceChildren(h("div", { class: "notice", role: "alert" }, h("p", {}, this.t.error),
      h("button", { type: "button", class: "button", on: { click: retry } }, this.t.retry), " ",
      h("a", { class: "button button-primary", href: link.href }, this.t.hosted)));
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

  renderSignin() {
    const form = h("form", { class: "form", novalidate: true }, h("h2", { class: "step-title" }, this.t.signin_title),
      h("p", {}, this.t.signin_intro), this.field("email", "email", { autocomplete: "email", required: true }),
      h("button", { class: "button button-primary" }, this.t.signin));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const email = form.elements.email.value.trim();
      const response = await this.post("clients/signin", { email }, form);
      if (!response) return;
      if (!response.ok) return this.invalid(form, "email", (await response.json()).errors[0].message).focus();
      this.token = (await response.json()).client.token;
      this.prefill.email = email;
      this.go({ step: this.steps[this.steps.indexOf("signin") + 1] });
    });
    this.app.append(form);
  }

  async post(path, body, form) {
    try {
      return await fetch(`${this.api}/groups/${this.group}/${path}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch (error) {
      const box = h("div");
      form.append(box);
      this.fail(box, () => form.requestSubmit());
      return null;
    }
  }

  renderDetails() {
    const p = this.params();
    const t = this.t;
    const reminders = this.data.reminders;
    const service = this.service(p.get("service"));
    const calendar = this.calendar(p.get("calendar"));
    if (!this.prefill.phone && this.data.country_code) this.prefill.phone = `+${this.data.country_code} `;
    const form = h("form", { class: "form", novalidate: true },
      h("h2", { class: "step-title" }, t.details_title),
      h("div", { class: "summary" }, h("strong", {}, t.summary), h("span", {}, service.name),
        h("span", {}, new Intl.DateTimeFormat(this.locale, { dateStyle: "full", timeStyle: "short", timeZone: "UTC" }).format(wall(p.get("slot")))),
        p.has("calendar") && h("span", {}, calendar ? fill(t.with, { name: calendar.name }) : t.any)),
      this.field("firstname", "text", { autocomplete: "given-name", required: true, maxlength: 64 }),
      this.field("lastname", "text", { autocomplete: "family-name", required: true, maxlength: 64 }),
      this.field("email", "email", { autocomplete: "email", required: true }),
      this.field("phone", "tel", { autocomplete: "tel", required: reminders.sms_minutes > 0 }),
      reminders.sms_minutes > 0 && h("div", { class: "field field-check" }, h("label", {},
        h("input", { type: "checkbox", name: "sms", checked: reminders.sms_checked }), " ", t.sms)),
      h("button", { class: "button button-primary" }, t.confirm));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(form); });
    this.app.append(form);
  }

  async submit(form) {
    const p = this.params();
    const values = Object.fromEntries(["firstname", "lastname", "email", "phone"].map((n) => [n, form.elements[n].value.trim()]));
    for (const input of $$("[aria-invalid]", form)) input.removeAttribute("aria-invalid");
    for (const error of $$(".field-error", form)) error.textContent = "";
    const problems = [];
    for (const name of ["firstname", "lastname", "email"]) if (!values[name]) problems.push([name, this.t.required]);
    if (values.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) problems.push(["email", this.t.bad_email]);
    const prefixOnly = values.phone.replace(/\D/g, "") === (this.data.country_code || "");
    if (prefixOnly) values.phone = "";
    if (values.phone && !/^\+?[0-9][0-9 .()-]{5,19}$/.test(values.phone)) problems.push(["phone", this.t.bad_phone]);
    if (problems.length) return problems.map(([n, m]) => this.invalid(form, n, m))[0].focus();
    const sms = form.elements.sms;
    const appointment = { date: p.get("slot"), calendar_id: p.get("calendar") || "", intervention_ids: [+p.get("service")],
      fiche: { ...values, ...(sms ? { sms_reminder: sms.checked } : {}) } };
    if (this.token) appointment.token = this.token;
    const response = await this.post("appointments", { appointment }, form);
    if (!response) return;
    const body = await response.json();
    if (response.status === 409) {
      this.notice = this.t.taken;
      return this.go({ slot: null, step: "slot" });
    }
    if (!response.ok) {
      const error = body.errors[0];
      const name = (error.field || "").replace("fiche.", "");
      if (form.elements[name]) return this.invalid(form, name, this.t.invalid + " " + error.message).focus();
      return this.fail(form, () => this.submit(form));
    }
    this.booked += 1;
    this.lastBooking = body.appointment;
    Object.assign(this.prefill, values);
    this.emit("booked", { date: body.appointment.date, service: +p.get("service"), calendar: p.get("calendar") || "" });
    this.go({ step: "done" });
  }

  renderDone() {
    const t = this.t;
    const more = this.booked < this.data.max_multirdvs;
    this.app.append(h("section", { class: "step done" }, h("h2", { class: "step-title" }, t.done_title),
      h("p", {}, this.data.validateEmail ? t.done_verify : t.done_ok),
      more ? h("button", { type: "button", class: "button button-primary", on: { click: () =>
        this.go({ step: this.steps[0], service: null, calendar: null, slot: null, week: null }) } }, t.another)
        : this.data.max_multirdvs > 1 && h("p", {}, t.limit)));
  }
}

for (const root of $$("[data-bookgen-flow]")) new Flow(root);
