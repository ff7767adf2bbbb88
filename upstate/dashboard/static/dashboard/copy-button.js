// Buttons with data-copy="<element id>" copy that element's text to the clipboard.
document.querySelectorAll("[data-copy]").forEach((button) => {
  const label = button.textContent;
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent;
    try { await navigator.clipboard.writeText(text); button.textContent = "Copied"; }
    catch (e) { button.textContent = "Select and copy"; }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
});
