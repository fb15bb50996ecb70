// After django-otp-webauthn registers a passkey, show what follows (the first factor's
// recovery codes, else the refreshed list of factors). The URL sits on the card: the
// library replaces its placeholder with the button's template.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.assign(document.getElementById("factor-add").dataset.done);
});
