// PRINT THIS REPORT: the browser's print dialog (the page's print styles hide the buttons).
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-report");
  if (button) button.addEventListener("click", () => window.print());
});
