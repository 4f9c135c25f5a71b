// bookgen runtime, the ClicRDV API v1 (docs/booking-flow.md) under the page's api_base_url,
// without apikey: the flow's one request method (booking.js), and what requests need.
// ClicRDV's appointment/account refusal codes (clicrdv-api.md §4), found anywhere in a 400 body.
const CODES = /\b(NotAvailable|SameTimeRdv|MaxRdvNumber|MintimeRdv|MintimeBetween|MaxRdvPeriod|EmailAlreadyExists|EmailNotFound)\b/;

export const apiMethods = {
  // One call to the API: never throws; a network failure or timeout (data-timeout ms, read at
  // each call) is status 0, a body that is not JSON (a proxy's HTML 502) is null, `code` is
  // ClicRDV's refusal code on a 400.
  async request(path, init = {}) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), +this.root.dataset.timeout || 15e3);
    try {
      // The session cookie must travel to a gateway on its own origin (docs/deploy.md) too.
      const credentials = new URL(this.api, document.baseURI).origin === location.origin ? "same-origin" : "include";
      const response = await fetch(`${this.api}/${path}`, { ...init, signal: abort.signal, credentials });
      const text = await response.text();
      let body = null;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      return { status: response.status, body, code: response.status === 400 && body && (text.match(CODES) || [])[1] };
    } catch {
      return { status: 0 };
    } finally {
      clearTimeout(timer);
    }
  },
};
