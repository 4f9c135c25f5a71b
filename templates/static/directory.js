// Filters the directory of businesses as the visitor types (index.html).
const input = document.querySelector("[data-bookgen-search]");
if (input) {
  const items = [...document.querySelectorAll("[data-search]")];
  const empty = document.querySelector("[data-bookgen-empty]");
  const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  input.addEventListener("input", () => {
    const words = fold(input.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of items) {
      const text = fold(item.dataset.search);
      const match = words.every((w) => text.includes(w));
      item.hidden = !match;
      shown += match;
    }
    empty.hidden = shown > 0;
  });
}
