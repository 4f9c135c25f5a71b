// bookgen runtime, the details step (issue 18 §1, §4): loaded on demand by booking.js, so a
// widget's first step stays small. The summary of the chosen appointment (the same facts as
// the confirmation), the client's fiche, and the one confirmation request (an appointment,
// or with validateEmail an account parking it in pendingRdv, clicrdv-api.md §2, §4).
let h, fill;
// Codes whose next step is another time: back to refreshed slots with the message.
const RESLOT = ["NotAvailable", "SameTimeRdv", "MintimeRdv", "MintimeBetween", "MaxRdvPeriod"];

export default function (flow, lib, moveFocus) {
  ({ h, fill } = lib);
  render(flow);
  if (moveFocus) flow.app.querySelector("h2").focus();
}

function render(flow) {
  const p = flow.params();
  const t = flow.t;
  const reminders = flow.data.reminders;
  const service = flow.service(p.get("service"));
  const calendar = flow.calendar(p.get("calendar"));
  const item = flow.root.querySelector(`[data-service="${service.id}"]`);
  const [when, other, zone] = flow.times(p.get("slot"), true);
  // A signed-in Account books under its own email (the gateway refuses another): shown, not editable.
  if (flow.state.signed) flow.prefill.email = flow.state.signed;
  if (!flow.prefill.phone && flow.data.country_code) flow.prefill.phone = `+${flow.data.country_code} `;
  flow.form([h("h2", { class: "step-title", tabindex: -1 }, t.details_title),
    // The same facts as the confirmation (issue 18 §4): duration and price as the page shows them,
    // the time in the zone the visitor chose and the other zone's when the offset differs, the address.
    h("div", { class: "summary" }, h("strong", {}, t.summary),
      h("span", {}, h("bdi", {}, service.name), [".duration", ".price"].map((sel) => item?.querySelector(sel))
        .filter(Boolean).flatMap((e) => [" · ", h("bdi", {}, e.textContent)])),
      h("span", {}, when, " (", zone, ")"), other && h("span", {}, other),
      p.has("calendar") && h("span", {}, calendar ? fill(t.with, { name: calendar.name }) : t.any),
      flow.data.place?.address && h("span", { dir: "auto" }, flow.data.place.address)),
    flow.field("firstname", "text", { autocomplete: "given-name", required: true, maxlength: 64 }),
    flow.field("lastname", "text", { autocomplete: "family-name", required: true, maxlength: 64 }),
    flow.field("email", "email", { autocomplete: "email", required: true, maxlength: 255, readonly: !!flow.state.signed }),
    flow.field("phone", "tel", { autocomplete: "tel", maxlength: 25 }),
    reminders.sms_minutes > 0 && h("div", { class: "field field-check" }, h("label", {},
      h("input", { type: "checkbox", name: "sms", checked: reminders.sms_checked }), " ", t.sms))],
  t.confirm, (form, show) => submit(flow, form, show));
}
async function submit(flow, form, show) {
  const p = flow.params();
  const t = flow.t;
  const values = Object.fromEntries(["firstname", "lastname", "email", "phone"].map((n) => [n, form.elements[n].value.trim()]));
  const sms = form.elements.sms?.checked;
  const problems = [];
  for (const name of ["firstname", "lastname", "email"]) if (!values[name]) problems.push([name, t.required]);
  if (values.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) problems.push(["email", t.bad_email]);
  if (values.phone.replace(/\D/g, "") === (flow.data.country_code || "")) values.phone = "";
  if (values.phone && !/^\+?[0-9][0-9 .()-]{5,19}$/.test(values.phone)) problems.push(["phone", t.bad_phone]);
  if (sms && !values.phone) problems.push(["phone", t.required]);
  if (problems.length) return problems.map(([n, m]) => flow.invalid(form, n, m))[0].focus();
  const service = flow.service(p.get("service"));
  const calendar = flow.calendar(p.get("calendar"));
  const date = p.get("slot");
  const fiche = { firstname: values.firstname, lastname: values.lastname, email: values.email,
    firstphone: values.phone, rappel_sms: sms ? 1 : 0 };
  // Without an account session and with validateEmail, ClicRDV verifies the email first:
  // an Account parks the booking in pendingRdv (clicrdv-api.md §2, docs/clicrdv-assumptions.md).
  const pending = flow.data.validateEmail && !flow.state.signed;
  const [path, body] = pending
    ? ["accounts", { account: { email: values.email, group_id: +flow.group, pendingRdv: JSON.stringify({
      intervention_ids: [service.id], names: [service.name], calendar_id: calendar ? calendar.id : 0,
      calendar_name: calendar ? calendar.name : "", date, fiche: { ...fiche, email: undefined } }) } }]
    : [`groups/${flow.group}/appointments`, { appointment: { date, intervention_ids: [service.id],
      ...(calendar && { calendar_id: calendar.id }), from_web: 1, fiche } }];
  const json = JSON.stringify(body);
  // The same booking sent again ("Try again") keeps its Idempotency-Key; a changed one gets a new key.
  if (flow.attempt?.json !== json) flow.attempt = { json, key: crypto.randomUUID?.() || String(Math.random()).slice(2) };
  const attempt = flow.attempt;
  const answer = await flow.request(path, { method: "POST", body: json,
    headers: { "Content-Type": "application/json", "Idempotency-Key": attempt.key } });
  const unknown = attempt.unknown;
  attempt.unknown = !answer.status || answer.status >= 500;
  // SameTimeRdv (or, parking, EmailAlreadyExists) right after an attempt of ours whose
  // answer was lost: what exists is what that attempt made.
  if (answer.status === 201 || (unknown && /^(SameTimeRdv|EmailAlreadyExists)$/.test(answer.code))) {
    flow.attempt = null;
    Object.assign(flow.prefill, values);
    flow.state.booked = (flow.state.booked || 0) + 1;
    flow.state.done = { pending, id: pending ? null : answer.body?.id, service: service.name, serviceId: service.id,
      date, calendar: calendar?.name };
    flow.save();
    if (!pending) flow.emit("booked", { date, service: service.id, calendar: calendar ? String(calendar.id) : "" });
    return flow.go({ step: "done" }, true);
  }
  const message = answer.code && t["err_" + answer.code];
  if (RESLOT.includes(answer.code)) {
    flow.notice = message;
    return flow.go({ slot: null, step: "slot" });
  }
  if (/^Email/.test(answer.code)) {
    flow.invalid(form, "email", message).focus();
    // A known email cannot park a booking: the client signs in instead, then books directly.
    return pending && answer.code === "EmailAlreadyExists" && show(message, () => {
      Object.assign(flow.prefill, values);
      if (!flow.steps.includes("signin")) flow.steps.splice(flow.steps.indexOf("details"), 0, "signin");
      flow.go({ step: "signin" });
    }, t.signin);
  }
  if (message) return show(message);
  // A refused field (the sandbox's error.field, docs/clicrdv-assumptions.md) is marked where it is typed.
  const last = answer.body?.error?.field?.split(".").pop();
  const name = last === "firstphone" ? "phone" : last;
  if (answer.status === 400 && form.elements[name]) return flow.invalid(form, name, t.invalid).focus();
  if (answer.status === 400) return show(t.refused);
  show(t.error, () => form.requestSubmit());
}