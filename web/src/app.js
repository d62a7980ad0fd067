// Plotline's small page enhancements. Every page works without them; they
// only save clicks. No inline handlers anywhere: everything binds here.

function copyLink(button) {
  const status = document.getElementById(button.dataset.status || "");
  const done = (msg) => {
    if (status) status.textContent = msg;
  };
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      done("Link copied.");
    } catch {
      done("Copy failed: the address bar holds the link.");
    }
  });
}

// A select or checkbox marked data-autosubmit submits its form on change,
// so keyboard users still have the form's own submit button.
function autosubmit(el) {
  el.addEventListener("change", () => el.form && el.form.requestSubmit());
}

document.querySelectorAll("[data-copy-link]").forEach(copyLink);
document.querySelectorAll("[data-autosubmit]").forEach(autosubmit);
