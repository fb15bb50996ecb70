// After django-otp-webauthn registers a passkey, show what follows (the first factor's
// recovery codes, else the refreshed list of factors).
document.addEventListener("otp_webauthn.register_complete", () => {
  const placeholder = document.getElementById("passkey-registration-placeholder");
  window.location.assign(placeholder.dataset.done);
});
