// Forms marked data-busy show a spinner on their button while the request runs (Pico's
// aria-busy) and cannot be sent twice by a double click. Without JavaScript they work the same.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.matches("form[data-busy]")) return;
  const button = event.submitter || form.querySelector("button[type=submit]");
  if (!button) return;
  if (button.getAttribute("aria-busy") === "true") {
    event.preventDefault();
    return;
  }
  button.setAttribute("aria-busy", "true");
});
