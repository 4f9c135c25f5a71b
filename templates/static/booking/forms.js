// bookgen runtime, the forms of the sign-in and details steps (methods of the Flow,
// booking.js): labelled fields with their error line, and one submit at a time.
import { $, $$, h } from "./dom.js";

export const formMethods = {
  field(name, type, attrs = {}) {
    const id = `bk-${name}-${Math.random().toString(36).slice(2, 7)}`;
    return h("div", { class: "field" }, h("label", { for: id }, this.t[name]),
      h("input", { id, name, type, value: this.prefill[name] || "", "aria-describedby": id + "-error", ...attrs }),
      h("p", { class: "field-error", id: id + "-error" }));
  },

  invalid(form, name, message) {
    const input = form.elements[name];
    input.setAttribute("aria-invalid", "true");
    $(`#${input.id}-error`, form).textContent = message;
    return input;
  },

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
  },
};
