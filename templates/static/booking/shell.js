// bookgen runtime, the shell around the steps (methods of the Flow, booking.js): the flow's
// own area beside the server-rendered fallback, the step sections and the progress list, the
// Back button, the announcement of each step, and failures shown in place.
import { $, $$, fill, h } from "./dom.js";

export const shellMethods = {
  // The flow takes over from the server-rendered page; the fallback stays, hidden, for its
  // link to the hosted module.
  mount() {
    this.live = $(".flow-live", this.root);
    this.fallback = $(".fallback", this.root);
    this.app = h("div", { class: "flow-app" });
    this.fallback.before(this.app);
    this.fallback.hidden = true;
    this.root.classList.add("is-enhanced");
  },

  // `step`'s server-rendered section and place in the progress list shown, the app emptied.
  progress(step) {
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
  },

  // After the step's own content: Back (from the second step on, not on a confirmation), and
  // the step announced.
  announce(step) {
    const index = this.steps.indexOf(step);
    if (index > 0 && step !== "done") this.app.append(h("button", { type: "button", class: "button back",
      // Back walks our own history; on a deep link (no entry of ours) it opens the previous step.
      on: { click: () => history.state?.bookgen ? history.back() : this.go({ step: this.steps[index - 1] }, true) } },
    this.t.back));
    // A sign-in step added on the way (a known email) has no progress item: its name is the message's.
    const name = $(`[data-progress=${step}]`, this.root)?.textContent ?? this.t[step];
    this.live.textContent = step === "done" ? this.doneTitle() : fill(this.t.step, { num: index + 1, total: this.steps.length, name });
  },

  // Focus on the shown step's heading (after a choice, Back or a new step).
  focusStep() {
    const heading = $("[data-step]:not([hidden]) h2", this.root) || $("h2", this.app);
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  },

  // A failure in place: the message, "Try again" and the hosted module; replaces what was there.
  fail(where, retry, message = this.t.error, label = this.t.retry) {
    where.removeAttribute("aria-busy");
    where.replaceChildren(h("p", {}, message),
      retry ? h("button", { type: "button", class: "button", on: { click: retry } }, label) : "", " ",
      h("a", { class: "button", href: $("a", this.fallback).href }, this.t.hosted));
    where.scrollIntoView?.({ block: "nearest" });
  },

  doneTitle() { return this.state.done?.pending ? this.t.pending_title : this.t.done_title; },
};
