// bookgen runtime, the slot step (issue 18 §2, §3): loaded on demand by booking.js, which
// passes itself (the flow: state, API, messages) and its helpers. Date first: one
// availability request for four weeks, a grid of those days marking the ones with free
// times, then only the chosen day's times, by part of day, at most MAX_TIMES at once.
let h, wall, day, offset, instant;
// Days asked for at once (the sandbox allows 62) and time buttons shown at once (issue 18 §2).
const SPAN = 28;
const MAX_TIMES = 40;

export default function (flow, lib, moveFocus) {
  ({ h, wall, day, offset, instant } = lib);
  const p = flow.params();
  return new Slots(flow).render(p.get("week"), p.get("day"), moveFocus);
}

class Slots {
  constructor(flow) {
    this.flow = flow;
    this.t = flow.t;
    this.data = flow.data;
    this.locale = flow.locale;
  }

  // Date first (issue 18 §2): one availability request for four weeks from `week`, a grid of
  // its days marking those with free times, then only the chosen day's times by part of day.
  async render(week, chosen, moveFocus) {
    const t = this.t;
    const zone = this.data.zone;
    // "Today" is the group's local date, not the visitor's nor UTC's.
    const today = day(Date.now() + offset(Date.now(), zone));
    const first = !week || week < today;
    if (first) week = today;
    const shift = (n) => day(Math.max(Date.parse(week) + n * 864e5, Date.parse(today)));
    const end = shift(SPAN - 1);
    const list = h("div", { class: "slots", "aria-busy": "true" }, h("p", { class: "loading" }, t.loading));
    const nav = h("div", { class: "slot-nav" },
      h("button", { type: "button", class: "button", disabled: week <= today,
        on: { click: () => this.flow.go({ week: shift(-SPAN), day: null }) } }, t.earlier),
      h("button", { type: "button", class: "button", on: { click: () => this.flow.go({ week: shift(SPAN), day: null }) } }, t.later));
    const notice = this.flow.notice && h("p", { class: "notice", role: "alert" }, this.flow.notice);
    this.flow.notice = null;
    const title = h("h2", { id: "slot-title", class: "step-title", tabindex: -1 }, t.slot_title);
    const named = h("p", { class: "zone" });
    // Before the flow's Back button, which render() has already added.
    this.flow.app.prepend(h("section", { class: "step", "aria-labelledby": "slot-title" },
      title, this.chosen(), notice, h("div", { class: "zone-line" }, named, this.toggles(named)), list, nav));
    if (moveFocus) title.focus();
    const p = this.flow.params();
    const query = new URLSearchParams({ "intervention_ids[]": p.get("service"), calendar_id: p.get("calendar") || "",
      start: week + " 00:00:00", end: end + " 23:59:59" });
    const answer = await this.flow.request(`groups/${this.flow.group}/availabletimeslots?${query}`);
    if (this.flow.current() !== "slot") return;
    list.removeAttribute("aria-busy");
    if (answer.status === 401 && this.flow.steps.includes("signin")) {
      this.flow.state.signed = null;
      return this.flow.go({ step: "signin" });
    }
    const slots = answer.status === 200 && answer.body?.availabletimeslots;
    if (!Array.isArray(slots)) return this.flow.fail(list, () => this.flow.render(false));
    // firstSlot: the first free time from `start` on (clicrdv-api.md §5); open on its day.
    const firstDay = (answer.body.firstSlot || "").slice(0, 10);
    if (!slots.length && first && firstDay > end) return this.flow.go({ week: firstDay }, true);
    if (!slots.length) {
      const jump = firstDay && (firstDay < week || firstDay > end);
      const phone = this.data.place?.phone;
      // "Please call us" gives the number (D16).
      list.replaceChildren(h("p", { class: "empty" }, jump ? t.no_slots : t.none_soon, !jump && phone && " ",
        !jump && phone && h("a", { href: "tel:" + phone.replace(/[^\d+]/g, ""), dir: "ltr" }, phone)),
        jump && h("button", { type: "button", class: "button button-primary", on: { click: () =>
          this.flow.go({ week: firstDay, day: null }) } }, t.first));
      return;
    }
    const days = new Map();
    for (const slot of slots) days.set(slot.start.slice(0, 10), [...(days.get(slot.start.slice(0, 10)) || []), slot]);
    if (!days.has(chosen)) chosen = days.has(firstDay) ? firstDay : days.keys().next().value;
    const format = (opts) => new Intl.DateTimeFormat(this.locale, { ...opts, timeZone: "UTC" });
    const long = format({ weekday: "long", day: "numeric", month: "long" });
    const short = format({ weekday: "short" });
    const month = format({ month: "long", year: "numeric" });
    const times = h("div", { class: "slot-times" });
    const next = this.flow.steps[this.flow.steps.indexOf("slot") + 1];
    const dates = [];
    // At most MAX_TIMES buttons at once: a busy day pages through its times.
    const show = (date, from = 0) => {
      chosen = date;
      times.classList.toggle("h12", !this.flow.h24());
      this.redraw = () => show(date, from);
      for (const b of dates) b.setAttribute("aria-pressed", String(b.dataset.date === date));
      const all = days.get(date);
      // Morning (before 12:00), afternoon, evening (18:00 on) by the hour shown: with the
      // visitor's zone first, runs in time order ("Evening", then the next day's "Morning").
      const parts = [];
      for (const slot of all.slice(from, from + MAX_TIMES)) {
        const at = instant(wall(slot.start), zone);
        const hour = new Date(at + offset(at, this.flow.shownZone())).getUTCHours();
        const name = hour < 12 ? t.morning : hour < 18 ? t.afternoon : t.evening;
        if (parts.at(-1)?.[0] !== name) parts.push([name, []]);
        parts.at(-1)[1].push(slot);
      }
      // The second time on each button is the other zone's, named once above them (D6).
      let legend = null;
      const said = h("p", { class: "slot-legend", "aria-hidden": "true" });
      times.replaceChildren(h("h3", {}, long.format(wall(date + " 00:00"))), said,
        ...parts.map(([name, list]) => h("div", { class: "slot-day" }, h("h4", {}, name),
          h("ul", { class: "slot-list", role: "list" }, list.map((slot) => {
            const [label, mine, , brief, zone] = this.flow.times(slot.start);
            legend ||= zone;
            return h("li", {}, h("button", { type: "button", class: "slot", "data-slot": slot.start,
              "aria-label": [long.format(wall(slot.start)), label, mine].filter(Boolean).join(", "),
              on: { click: () => this.flow.go({ slot: slot.start, step: next, day: date }) } },
            h("span", { class: "slot-time" }, label), mine && h("span", { class: "slot-mine" }, brief)));
          })))),
        h("div", { class: "slot-nav" }, from > 0 && h("button", { type: "button", class: "button",
          on: { click: () => show(date, from - MAX_TIMES) } }, t.fewer), all.length > from + MAX_TIMES &&
          h("button", { type: "button", class: "button", on: { click: () => show(date, from + MAX_TIMES) } }, t.more)));
      said.textContent = legend;
      said.hidden = !legend;
    };
    for (let i = 0; i < SPAN; i++) {
      const date = day(Date.parse(week) + i * 864e5);
      const ms = Date.parse(date);
      const free = days.has(date);
      dates.push(h("button", { type: "button", class: "date", "data-date": date, disabled: !free,
        "aria-label": long.format(ms), on: { click: () => {
          history.replaceState(null, "", "#" + new URLSearchParams({ ...Object.fromEntries(this.flow.params()), day: date }));
          show(date);
        } } }, h("span", {}, short.format(ms)), h("strong", {}, +date.slice(8))));
    }
    list.replaceChildren(h("p", { class: "months" }, month.formatRange(Date.parse(week), Date.parse(end))),
      h("div", { class: "dates", role: "group", "aria-labelledby": "slot-title" }, dates), times);
    show(chosen);
  }

  // The display toggles (issue 18 §3), kept for the tab in the flow's state: the visitor's
  // zone first (only when it differs from the group's now) and the 24-hour clock. Each redraws
  // the zone's name and the times in place; focus stays on the toggle.
  toggles(zone) {
    const flow = this.flow;
    const state = flow.state;
    const now = Date.now();
    const redraw = (button, pressed) => {
      button.setAttribute("aria-pressed", String(pressed));
      flow.save();
      zone.textContent = flow.times(day(now) + " 12:00:00")[2];
      this.redraw?.();
    };
    const toggle = (label, pressed, flip) => h("button", { type: "button", class: "button toggle", "aria-pressed": String(pressed),
      on: { click: (e) => redraw(e.currentTarget, flip()) } }, label);
    zone.textContent = flow.times(day(now) + " 12:00:00")[2];
    return h("div", { class: "display" },
      flow.differ(now) && toggle(this.t.show_mine, !!state.mine, () => (state.mine = !state.mine)),
      toggle(this.t.h24, flow.h24(), () => (state.h24 = !flow.h24())));
  }

  // What is chosen so far, repeated on the slot step (D16): the service and with whom.
  chosen() {
    const p = this.flow.params();
    const calendar = p.get("calendar") && this.flow.calendar(p.get("calendar"));
    // Each part isolated (<bdi>), so Latin names keep their places in an Arabic line (issue 18 item 3).
    const [before, after] = this.t.with.split("%(name)s");
    return h("p", { class: "chosen" }, h("bdi", {}, this.flow.service(p.get("service"))?.name),
      calendar && [" · ", h("bdi", {}, before, h("bdi", {}, calendar.name), after)]);
  }
}
