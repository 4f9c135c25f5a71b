// bookgen runtime, DOM and text helpers shared by every step (booking.js hands them to the
// step modules it loads on demand).
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
// A translated message's %(name)s placeholders filled in.
export const fill = (text, vars) => text.replace(/%\((\w+)\)s/g, (_, key) => vars[key]);

// An element: attributes (true = present, false or null = absent, `on` = listeners) and children.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "on") for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    else if (value === true) el.setAttribute(key, "");
    else if (value !== false && value != null) el.setAttribute(key, value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}
