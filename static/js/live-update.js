// Keeps a page up to date without reloading it: a reload every few seconds makes screen
// readers start reading the page again, and axe-core reports a timed meta refresh
// (WCAG 2.2.1, Timing Adjustable). Used by the PDF status page
// (templates/documents/status.html) and the venue's "now and next" screen
// (templates/sessions_app/now_next.html); without script their <noscript> meta refresh
// does the same job by reloading.
//
// The page marks one element with data-refresh-seconds (how often to ask, in seconds) and
// data-refreshing ("true" while the page may still change). Every so many seconds the
// script fetches the page's own URL and, for each element marked data-refresh-part (each
// with an id), puts the fetched element's content in place of its own when it differs.
// The element itself stays, so a live region (role="status") keeps its node and screen
// readers announce its new text, and an unchanged part is left alone (nothing announced).
// The marked element then takes the fetched one's data- attributes, and:
// - when data-navigate-url appears, the browser goes there (the status page of a PDF that
//   has just become ready: its download starts, the page stays);
// - when data-refreshing is no longer "true", the script stops;
// - when the page answers with a redirect, or without a marked element, the browser goes
//   to data-follow-url (else reloads), as the no-script refresh would.
// After a network error or an error status it waits twice as long as the time before, up
// to MAX_DELAY_SECONDS, and goes back to the page's own pace once an answer arrives.
"use strict";

(() => {
  const MAX_DELAY_SECONDS = 300;
  const root = document.querySelector("[data-refresh-seconds]");
  if (!root) {
    return;
  }
  let failures = 0;

  const dataAttributes = (element) => element.getAttributeNames().filter((name) => name.startsWith("data-"));

  function leave() {
    window.location.assign(root.dataset.followUrl || window.location.href);
  }

  function schedule() {
    if (root.dataset.refreshing !== "true") {
      return;
    }
    const seconds = Math.max(1, Number(root.dataset.refreshSeconds) || 1);
    const delay = Math.min(seconds * 2 ** failures, Math.max(seconds, MAX_DELAY_SECONDS));
    window.setTimeout(poll, delay * 1000);
  }

  function failed() {
    failures += 1;
    schedule();
  }

  function apply(fetched) {
    const next = fetched.querySelector("[data-refresh-seconds]");
    if (!next) {
      leave();
      return;
    }
    for (const part of document.querySelectorAll("[data-refresh-part][id]")) {
      const source = fetched.getElementById(part.id);
      if (source && source.innerHTML !== part.innerHTML) {
        part.innerHTML = source.innerHTML;
      }
    }
    const navigatedTo = root.dataset.navigateUrl;
    for (const name of dataAttributes(root)) {
      if (!next.hasAttribute(name)) {
        root.removeAttribute(name);
      }
    }
    for (const name of dataAttributes(next)) {
      root.setAttribute(name, next.getAttribute(name));
    }
    if (root.dataset.navigateUrl && root.dataset.navigateUrl !== navigatedTo) {
      window.location.assign(root.dataset.navigateUrl);
      return;
    }
    schedule();
  }

  async function poll() {
    let text;
    try {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: { Accept: "text/html" },
      });
      if (response.type === "opaqueredirect") {
        leave();
        return;
      }
      if (!response.ok) {
        failed();
        return;
      }
      text = await response.text();
    } catch {
      failed();
      return;
    }
    failures = 0;
    apply(new DOMParser().parseFromString(text, "text/html"));
  }

  schedule();
})();
