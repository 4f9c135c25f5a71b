// bookgen runtime, the account login's password hash (clicrdv-api.md §2): SHA-1, hex. Only
// the sign-in step needs it, so it is published inside signin.js, not in every first step.
export const sha1 = async (text) => [...new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)))]
  .map((b) => b.toString(16).padStart(2, "0")).join("");
