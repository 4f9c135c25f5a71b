// bookgen runtime, the confirmation (issue 18 §4): loaded on demand by booking.js. What,
// when (the business's time and, if the offset differs, the visitor's), where with a map
// link, with whom, status, reference, phone, how to cancel or change, and "Add to
// calendar": an RFC 5545 file built here plus Google and Outlook links (no server).
let h, fill, wall, instant;

export default function (flow, lib, moveFocus) {
  ({ h, fill, wall, instant } = lib);
  render(flow);
  if (moveFocus) flow.app.querySelector("h2").focus();
}

// RFC 5545 §3.3.11 TEXT escaping, and §3.1 folding: lines of at most 75 octets joined by CRLF
// plus one space, never splitting a UTF-8 character.
export const text = (s) => String(s).replace(/[\\;,]/g, "\\$&").replace(/\r\n?|\n/g, "\\n");
export function fold(line) {
  const out = [];
  let part = "";
  let size = 0;
  for (const ch of line) {
    const n = new TextEncoder().encode(ch).length;
    if (size + n > (out.length ? 74 : 75)) { out.push(part); part = ""; size = 0; }
    part += ch;
    size += n;
  }
  return [...out, part].join("\r\n ");
}
const stamp = (ms) => new Date(ms).toISOString().replace(/[-:]|\.\d+/g, "");

// event: {uid, start, end (ms, UTC), summary, location, description} → an iCalendar file.
export function ics(event) {
  return ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bookgen//booking//EN", "BEGIN:VEVENT",
    "UID:" + event.uid, "DTSTAMP:" + stamp(Date.now()), "DTSTART:" + stamp(event.start), "DTEND:" + stamp(event.end),
    "SUMMARY:" + text(event.summary), event.location && "LOCATION:" + text(event.location),
    "DESCRIPTION:" + text(event.description), "END:VEVENT", "END:VCALENDAR"]
    .filter(Boolean).map(fold).join("\r\n") + "\r\n";
}

function render(flow) {
  const t = flow.t;
  const data = flow.data;
  const done = flow.state.done;
  const place = data.place || {};
  const service = flow.service(done.serviceId) || { name: done.service, length: 0 };
  const item = document.querySelector(`[data-service="${done.serviceId}"]`);
  const facts = [".duration", ".price"].map((sel) => item?.querySelector(sel)?.textContent.trim()).filter(Boolean);
  const start = instant(wall(done.date), data.zone);
  const end = start + (service.length || 0) * 6e4;
  // In the zone and clock the visitor chose on the slot step, the other zone's time beside it.
  const [when, other, zone] = flow.times(done.date, true);
  const ref = done.id != null && fill(t.reference, { id: done.id });
  const who = done.calendar && fill(t.with, { name: done.calendar });
  const summary = `${done.service} — ${place.name}`;
  const description = [who, ref, place.phone && fill(t.call, { phone: place.phone }), t.change].filter(Boolean).join("\n");
  const event = { uid: `${done.id ?? done.date.replace(/\D/g, "")}-${flow.group}@${location.hostname}`,
    start, end, summary, location: place.address, description };
  const google = "https://calendar.google.com/calendar/render?" + new URLSearchParams({ action: "TEMPLATE", text: summary,
    dates: `${stamp(start)}/${stamp(end)}`, location: place.address || "", details: description });
  const outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + new URLSearchParams({ path: "/calendar/action/compose",
    rru: "addevent", subject: summary, startdt: new Date(start).toISOString(), enddt: new Date(end).toISOString(), location: place.address || "", body: description });
  const row = (name, ...value) => [h("dt", {}, name), h("dd", {}, ...value)];
  const more = !done.pending && (flow.state.booked || 0) < data.max_multirdvs;
  flow.app.prepend(h("section", { class: "step done" }, h("h2", { class: "step-title", tabindex: -1 }, flow.doneTitle()),
    h("p", { class: "status" }, done.pending ? t.done_verify : t.done_ok),
    h("dl", { class: "summary facts" },
      row(t.what, h("bdi", {}, done.service), facts.length ? " · " + facts.join(" · ") : "", who && h("br"), who),
      row(t.when, when, " (", zone, ")", other && h("br"), other),
      place.address && row(t.where, h("span", { dir: "auto" }, place.address), " ", h("a", { rel: "noopener", target: "_blank",
        href: "https://www.openstreetmap.org/search?query=" + encodeURIComponent(place.address) }, t.map)),
    ),
    ref && h("p", {}, ref),
    h("p", {}, t.change, " ", place.phone && h("a", { href: "tel:" + place.phone.replace(/[^\d+]/g, ""), dir: "ltr" }, place.phone)),
    h("p", { class: "add-calendar" }, h("strong", {}, t.add_calendar), " ",
      h("a", { class: "button", download: "appointment.ics",
        href: "data:text/calendar;charset=utf-8," + encodeURIComponent(ics(event)) }, t.ics), " ",
      h("a", { class: "button", href: google, rel: "noopener", target: "_blank" }, "Google"), " ",
      h("a", { class: "button", href: outlook, rel: "noopener", target: "_blank" }, "Outlook")),
    more ? h("button", { type: "button", class: "button button-primary", on: { click: () =>
      flow.go({ step: flow.steps[0] }) } }, t.another)
      : !done.pending && data.max_multirdvs > 1 && h("p", {}, t.limit)));  // parked: no limit reached yet
}
