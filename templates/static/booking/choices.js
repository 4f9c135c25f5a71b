// bookgen runtime, the service and calendar steps (methods of the Flow, booking.js): the
// server-rendered lists, whose items become buttons; each list shows what the other choice allows.
import { $, $$, h } from "./dom.js";

const offers = (calendar, service) => !calendar.services || calendar.services.includes(+service);

export const choiceMethods = {
  // Turn the server-rendered list items into buttons; keep their markup (names, prices).
  enhance(kind) {
    for (const item of $$(`[data-${kind}]`, $(`[data-step=${kind}]`, this.root) || this.app)) {
      const button = h("button", { type: "button", class: "choice", "aria-pressed": "false",
        on: { click: () => this.choose(kind, item.dataset[kind]) } });
      button.append(...item.childNodes);
      item.className = "choice-item";
      item.replaceChildren(button);
    }
  },

  choose(kind, value) {
    const at = this.steps.indexOf(kind);
    this.go({ [kind]: value, step: this.steps[at + 1], slot: null });
  },

  // The service or calendar step: the items the other choice allows, the chosen one pressed.
  filter(kind) {
    const p = this.params();
    const keep = kind === "service"
      ? (id) => !p.has("calendar") || !p.get("calendar") || offers(this.calendar(p.get("calendar")), id)
      : (id) => id === "" || !p.get("service") || offers(this.calendar(id), p.get("service"));
    const chosen = p.get(kind);
    for (const item of $$(`[data-${kind}]`, this.root)) {
      item.hidden = !keep(item.dataset[kind]);
      $("button", item)?.setAttribute("aria-pressed", String(item.dataset[kind] === chosen));
    }
  },
};
