// bookgen runtime: turns the server-rendered booking page into a step-by-step flow
// speaking ClicRDV API v1 (docs/booking-flow.md) under the page's api_base_url, without
// apikey. No framework, no third-party code. Without it (or if the API is unreachable)
// the page still lists services and links to the hosted module.
//
// This entry wires the Flow from modules with one job each (templates/static/booking/,
// published inside this file): state.js (what the tab keeps, the URL, the prefill), api.js
// (requests), time.js (times in a zone, as the visitor chose to see them), shell.js (around
// the steps), choices.js (the service and calendar steps), forms.js, dom.js (helpers). Their
// flow methods use `this`. The later steps are modules of their own, loaded on demand so
// that the first step stays small (slots.js, signin.js with booking/sha1.js, details.js,
// done.js): each is given the Flow and LIB.
import { apiMethods } from "./booking/api.js";
import { choiceMethods } from "./booking/choices.js";
import { $, $$, fill, h } from "./booking/dom.js";
import { formMethods } from "./booking/forms.js";
import { shellMethods } from "./booking/shell.js";
import { stateMethods } from "./booking/state.js";
import { day, instant, offset, timeMethods, wall } from "./booking/time.js";

// What the on-demand step modules share with this one.
const LIB = { h, fill, wall, day, offset, instant };
// The steps whose view is a module of its own, by the data-* attribute naming its URL.
const MODULES = { slot: "slots", signin: "signin", details: "details", done: "done" };

class Flow {
  constructor(root) {
    this.root = root;
    this.data = JSON.parse($(".bookgen-data", root).textContent);
    this.t = JSON.parse($(".bookgen-messages", root).textContent);
    this.api = root.dataset.api.replace(/\/$/, "");
    this.locale = root.dataset.locale;
    this.group = this.data.group_id ?? this.data.slug;
    this.steps = this.data.steps.filter((s) => s !== "done");
    this.restore();
    this.visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.mount();
    this.enhance("service");
    this.enhance("calendar");
    this.fromUrl();
    addEventListener("hashchange", () => this.render(true));
    this.render(false);
    this.emit("ready", {});
  }

  // The flow's DOM events (docs/embed.md): frame.js posts them on to a widget's host.
  emit(name, detail) {
    this.root.dispatchEvent(new CustomEvent("bookgen:" + name, { bubbles: true, composed: true, detail }));
  }

  service(id) { return this.data.services.find((s) => String(s.id) === String(id)); }
  calendar(id) { return this.data.calendars.find((c) => String(c.id) === String(id)); }

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
    this.progress(step);
    if (step === "service" || step === "calendar") this.filter(step);
    if (MODULES[step]) this.load(step, moveFocus);
    this.announce(step);
    this.emit("step", { step });
    if (moveFocus) this.focusStep();
  }

  // A step's module, loaded on demand; it renders if its step is still the one shown.
  load(step, moveFocus) {
    import(new URL(this.root.dataset[MODULES[step]], document.baseURI))
      .then((m) => this.shown === step && m.default(this, LIB, moveFocus), () => this.fail(this.app, () => this.render(false)));
  }
}

// The rest of the Flow: one object of methods per module.
Object.assign(Flow.prototype, stateMethods, apiMethods, timeMethods, shellMethods, choiceMethods, formMethods);

for (const root of $$("[data-bookgen-flow]")) new Flow(root);
