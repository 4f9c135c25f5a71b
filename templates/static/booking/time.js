// bookgen runtime, times: wall-clock arithmetic in a zone (also given to the step modules),
// and how the flow shows a time (methods of the Flow, booking.js).
import { fill } from "./dom.js";

// Slot times are wall-clock times in the group's zone ("2026-11-25 09:00:00").
export const wall = (s) => Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +s.slice(11, 13), +s.slice(14, 16));
export const day = (ms) => new Date(ms).toISOString().slice(0, 10);
export function offset(ms, zone) {
  const parts = {};
  for (const p of new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
    month: "numeric", day: "numeric", hour: "numeric", minute: "numeric" }).formatToParts(ms)) parts[p.type] = +p.value;
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - Math.floor(ms / 60000) * 60000;
}
export const instant = (ms, zone) => ms - offset(ms - offset(ms, zone), zone);

const DATED = { weekday: "long", day: "numeric", month: "long", year: "numeric" };

export const timeMethods = {
  // Display choices, kept for the tab (issue 18 §3): `state.mine` shows the visitor's zone first,
  // `state.h24` the 24-hour clock; by default the group's zone and the locale's own clock (CLDR via Intl).
  h24() { return this.state.h24 ?? /h2/.test(new Intl.DateTimeFormat(this.locale, { hour: "numeric" }).resolvedOptions().hourCycle); },
  shownZone() { return this.state.mine && this.differ(Date.now()) ? this.visitorZone : this.data.zone; },
  differ(at) { return offset(at, this.data.zone) !== offset(at, this.visitorZone); },
  zoneName(at, zone, style = "long") {
    return zone === this.data.zone && style === "long" ? this.t.zone_name : new Intl.DateTimeFormat(this.locale,
      { timeZone: zone, timeZoneName: style }).formatToParts(at).find((p) => p.type === "timeZoneName").value;
  },

  // A group wall time ("2026-12-01 10:00:00") as shown: [main, other, zone, brief, legend].
  // `main` is in the zone the visitor chose (the group's unless `state.mine`), dated when `date`
  // (or with its weekday when the visitor's day differs); `zone` names main's zone. When the
  // UTC offsets differ at that instant (Asia/Calcutta = Asia/Kolkata is no difference):
  // `other` is the other zone's time with its date and zone name ("Tue, Dec 1, 4:00 AM GMT+9
  // your time"), `brief` its weekday and time for a time button, `legend` the zone that
  // `brief` is in ("GMT+9 your time"). On a narrow line the other zone's date and time stay
  // in one piece (no-break spaces) and a button's breaks only after its weekday.
  times(slot, date) {
    const at = instant(wall(slot), this.data.zone);
    const zones = [this.data.zone, this.visitorZone];
    if (!this.differ(at)) return [this.format(at, zones[0], date ? DATED : {}), null, this.zoneName(at, zones[0])];
    if (this.state.mine) zones.reverse();
    const other = (opts) => this.format(at, zones[1], opts).replace(/ /g, "\u00a0");
    const legend = fill(this.state.mine ? this.t.their_time : this.t.your_time, { time: this.zoneName(at, zones[1], "short") });
    return [this.format(at, zones[0], date ? DATED : day(at + offset(at, zones[0])) !== slot.slice(0, 10) ? { weekday: "short" } : {}),
      other({ weekday: "short", day: "numeric", month: "short" }) + " " + legend, this.zoneName(at, zones[0]),
      other({ weekday: "short" }).replace("\u00a0", " "), legend];
  },

  format(at, timeZone, opts) {
    return new Intl.DateTimeFormat(this.locale, { hour: "numeric", minute: "2-digit",
      hourCycle: this.h24() ? "h23" : "h12", timeZone, ...opts }).format(at);
  },
};
