// The screens of someone not logged in: log in, sign up (then follow the e-mailed link), ask for a
// password reset, and set a new password from the e-mailed link.
import { html, useState } from "../lib/html.js";
import { useServices } from "../context.js";
import { Field, FormError, useSubmit } from "../ui/form.js";
import { navigate } from "../router.js";

/** @param {{children: any, title: string}} props */
function AuthCard({ title, children }) {
  return html`<main class="auth">
    <div class="auth-card">
      <div class="brand"><img src=${new URL("../../static/icon.svg", import.meta.url).href} alt="" width="40" height="40" /> pingme</div>
      <h1>${title}</h1>
      ${children}
    </div>
  </main>`;
}

/** @param {{onLoggedIn: () => void, notice?: string}} props */
export function Login({ onLoggedIn, notice }) {
  const { api } = useServices();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, fields, run } = useSubmit(["username", "password"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      await api.login(username.trim(), password);
      onLoggedIn();
    });
  };
  return html`<${AuthCard} title="Welcome back">
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <form onSubmit=${submit} novalidate>
      <${Field} label="Username" name="username" value=${username} onInput=${setUsername} error=${fields.username} autocomplete="username" required autofocus />
      <${Field} label="Password" name="password" type="password" value=${password} onInput=${setPassword} error=${fields.password} autocomplete="current-password" required />
      <${FormError} error=${error} />
      <button class="primary wide" disabled=${busy}>${busy ? "Logging in…" : "Log in"}</button>
    </form>
    <p class="switch"><a href="/forgot">Forgot your password?</a></p>
    <p class="switch">New here? <a href="/signup">Create an account</a></p>
  <//>`;
}

export function Signup() {
  const { api } = useServices();
  const [form, setForm] = useState({ username: "", email: "", email2: "", password: "" });
  const [done, setDone] = useState(/** @type {string|null} */ (null));
  const { busy, error, fields, run } = useSubmit(["username", "email", "email2", "password"]);
  /** @param {keyof typeof form} key */
  const set = (key) => (/** @type {string} */ value) => setForm({ ...form, [key]: value });
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      const answer = await api.request("POST", "/api/account/register/", { json: { ...form, username: form.username.trim() }, auth: false });
      setDone(answer?.message ?? "Registration successful. Check your email.");
    });
  };
  if (done) {
    return html`<${AuthCard} title="Check your e-mail">
      <p role="status">${done} Follow the link we sent to ${form.email} to activate your account, then log in.</p>
      <${Resend} email=${form.email} />
      <p class="switch"><a href="/login">Go to log in</a></p>
    <//>`;
  }
  return html`<${AuthCard} title="Create an account">
    <form onSubmit=${submit} novalidate>
      <${Field} label="Username" name="username" value=${form.username} onInput=${set("username")} error=${fields.username} autocomplete="username" hint="Letters, digits and @ . + - _" required autofocus />
      <${Field} label="E-mail" name="email" type="email" value=${form.email} onInput=${set("email")} error=${fields.email} autocomplete="email" required />
      <${Field} label="E-mail again" name="email2" type="email" value=${form.email2} onInput=${set("email2")} error=${fields.email2} autocomplete="email" required />
      <${Field} label="Password" name="password" type="password" value=${form.password} onInput=${set("password")} error=${fields.password} autocomplete="new-password" hint="At least 8 characters, not only digits, not a common one" required />
      <${FormError} error=${error} />
      <button class="primary wide" disabled=${busy}>${busy ? "Creating…" : "Create account"}</button>
    </form>
    <p class="switch">Already have an account? <a href="/login">Log in</a></p>
  <//>`;
}

/** @param {{email: string}} props */
function Resend({ email }) {
  const { api } = useServices();
  const [sent, setSent] = useState(/** @type {string|null} */ (null));
  const { busy, error, run } = useSubmit([]);
  const resend = () =>
    run(async () => {
      const answer = await api.request("POST", "/api/account/resend_verification/", { json: { email }, auth: false });
      setSent(answer?.message ?? "Sent again.");
    });
  return html`<div>
    <button class="secondary" onClick=${resend} disabled=${busy}>Send the link again</button>
    ${sent && html`<p role="status">${sent}</p>`}
    <${FormError} error=${error} />
  </div>`;
}

export function Forgot() {
  const { api } = useServices();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(/** @type {string|null} */ (null));
  const { busy, error, fields, run } = useSubmit(["email"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      const answer = await api.request("POST", "/api/account/password_reset/", { json: { email: email.trim() }, auth: false });
      setSent(answer?.message ?? "If that address has an account, a link is on its way.");
    });
  };
  return html`<${AuthCard} title="Reset your password">
    ${sent
      ? html`<p role="status">${sent}</p>`
      : html`<form onSubmit=${submit} novalidate>
          <p>Enter the e-mail address of your account; we will send a link to choose a new password.</p>
          <${Field} label="E-mail" name="email" type="email" value=${email} onInput=${setEmail} error=${fields.email} autocomplete="email" required autofocus />
          <${FormError} error=${error} />
          <button class="primary wide" disabled=${busy}>${busy ? "Sending…" : "Send the link"}</button>
        </form>`}
    <p class="switch"><a href="/login">Back to log in</a></p>
  <//>`;
}

/** @param {{uid: string, token: string}} props */
export function Reset({ uid, token }) {
  const { api } = useServices();
  const [one, setOne] = useState("");
  const [two, setTwo] = useState("");
  const { busy, error, fields, run } = useSubmit(["new_password1", "new_password2"]);
  const submit = (/** @type {Event} */ e) => {
    e.preventDefault();
    run(async () => {
      await api.request("POST", "/api/account/password_reset_confirm/", {
        json: { uid, token, new_password1: one, new_password2: two },
        auth: false,
      });
      navigate("/login?reset=1", { replace: true });
    });
  };
  return html`<${AuthCard} title="Choose a new password">
    <form onSubmit=${submit} novalidate>
      <${Field} label="New password" name="new_password1" type="password" value=${one} onInput=${setOne} error=${fields.new_password1} autocomplete="new-password" required autofocus />
      <${Field} label="New password again" name="new_password2" type="password" value=${two} onInput=${setTwo} error=${fields.new_password2} autocomplete="new-password" required />
      <${FormError} error=${error} />
      <button class="primary wide" disabled=${busy}>${busy ? "Saving…" : "Set the new password"}</button>
    </form>
    <p class="switch"><a href="/forgot">Ask for a new link</a></p>
  <//>`;
}
