// The language menu in the header sends its form as soon as a language is picked (a listener
// here, not an onchange attribute, which the Content-Security-Policy refuses). Without
// JavaScript the <noscript> button sends it.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (select instanceof HTMLSelectElement && select.matches("select[data-submit-on-change]")) {
    select.form.submit();
  }
});
