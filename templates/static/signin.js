// bookgen runtime, the sign-in step (ClicRDV account login, clicrdv-api.md §2): loaded on
// demand by booking.js, only for groups whose clients sign in (open / openData false).
import { sha1 } from "./booking/sha1.js";

let h;

export default function (flow, lib, moveFocus) {
  ({ h } = lib);
  render(flow);
  if (moveFocus) flow.app.querySelector("h2").focus();
}

function render(flow) {
  flow.form([h("h2", { class: "step-title" }, flow.t.signin), h("p", {}, flow.t.signin_intro),
    flow.field("email", "email", { autocomplete: "email", required: true }),
    flow.field("password", "password", { autocomplete: "current-password", required: true })], flow.t.signin,
  async (form, show) => {
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email || !password) return flow.invalid(form, email ? "password" : "email", flow.t.required).focus();
    // Account login (clicrdv-api.md §2): form-encoded, SHA-1 hex password; the server keeps the cookie.
    const answer = await flow.request("sessions/login", { method: "POST",
      body: new URLSearchParams({ "account[email]": email, "account[password]": await sha1(password) }) });
    if (answer.status === 401 || answer.status === 403 || (answer.status === 200 && answer.body?.error)) {
      // The next steps beside the message (D12): the business's phone, and the hosted module.
      flow.invalid(form, "password", "").focus();
      const phone = flow.data.place?.phone;
      const [before, after] = flow.t.call.split("%(phone)s");
      return show(phone ? [flow.t.bad_login, " ", before,
        h("a", { href: "tel:" + phone.replace(/[^\d+]/g, ""), dir: "ltr" }, phone), after] : flow.t.bad_login);
    }
    if (answer.status !== 200) return show(flow.t.error, () => form.requestSubmit());
    flow.state.signed = flow.prefill.email = email;
    flow.save();
    flow.go({ step: flow.steps[flow.steps.indexOf("signin") + 1] });
  });
}
