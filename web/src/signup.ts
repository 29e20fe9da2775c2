import { request, SIGN_UP } from "./api";
import { h } from "./dom";

/**
 * The sign-up form. Verification on (production), the server mails a link and the page says
 * so; off, the new member is logged in at once (`onSession`).
 */
export function signUpForm(onSession: (token: string) => void, onCancel: () => void): HTMLElement {
  const field = (name: string, label: string, attrs: Record<string, string | boolean> = {}) => {
    const input = h("input", { name, ...attrs });
    return [input, h("label", {}, label, input)] as const;
  };
  const [name, nameLabel] = field("name", "Full name", {
    required: true,
    maxlength: "100",
    autocomplete: "name",
  });
  const [email, emailLabel] = field("email", "Email", {
    type: "email",
    required: true,
    autocomplete: "email",
  });
  const [password, passwordLabel] = field("password", "Password (8 characters or more)", {
    type: "password",
    required: true,
    minlength: "8",
    autocomplete: "new-password",
  });
  const [headline, headlineLabel] = field("headline", "Headline (optional)", { maxlength: "200" });
  const [employer, employerLabel] = field("employer", "Employer (optional)", { maxlength: "100" });
  const problem = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    {
      class: "login",
      onsubmit: (event) => {
        event.preventDefault();
        problem.textContent = "";
        const input = {
          name: name.value,
          email: email.value,
          password: password.value,
          headline: headline.value || null,
          employer: employer.value || null,
        };
        request<{ signUp: { status: string; token: string | null } }>(SIGN_UP, { input }).then(
          ({ signUp }) => {
            if (signUp.status === "ACTIVE" && signUp.token) return onSession(signUp.token);
            form.replaceChildren(
              h("h1", {}, "Check your mail"),
              h(
                "p",
                { role: "status" },
                `We sent a link to ${input.email}. Follow it to finish signing up.`,
              ),
            );
          },
          (err: unknown) => (problem.textContent = (err as Error).message),
        );
      },
    },
    h("h1", {}, "Create an account"),
    nameLabel,
    emailLabel,
    passwordLabel,
    headlineLabel,
    employerLabel,
    h("button", { type: "submit" }, "Sign up"),
    h("button", { type: "button", class: "quiet", onclick: onCancel }, "I have an account"),
    problem,
  );
  return form;
}
