//! Sign-in, first-run set-up and registration with an invitation. Each is a plain HTML form
//! that posts to the server (`/login`, `/setup`, `/register`), so it works before the page is
//! hydrated and without JavaScript; the server answers with a redirect, carrying an `error`
//! code back to the form when something was wrong.

use crate::components::{Icon, IconName, LanguageSwitch};
use crate::i18n::{use_i18n, Text, Words};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

crate::i18n::page_texts!(LoginSaid {
    LoginTitle => ("Iniciar sesión", "Sign in"),
    LoginIntro => (
        "Entra con tu usuario del panel de Cocolu.",
        "Sign in with your Cocolu dashboard account.",
            ),
    LoginUser => ("Usuario", "Username"),
    LoginPassword => ("Contraseña", "Password"),
    LoginSubmit => ("Entrar", "Sign in"),
    AccountName => ("Nombre (opcional)", "Name (optional)"),
    PasswordHint => (
        "Al menos 10 caracteres. Una frase fácil de recordar es una buena contraseña.",
        "At least 10 characters. A phrase you can remember makes a good password.",
            ),
    SetupTitle => ("Crear el administrador", "Create the administrator"),
    SetupIntro => (
        "Este servidor aún no tiene cuentas. Crea la cuenta de administrador con el código de configuración.",
        "This server has no accounts yet. Create the administrator account with the setup code.",
            ),
    SetupCode => ("Código de configuración", "Setup code"),
    SetupCodeHint => (
        "Está en el registro del servidor: journalctl -u cocolu | grep setup_code",
        "It is in the server log: journalctl -u cocolu | grep setup_code",
            ),
    SetupSubmit => ("Crear administrador", "Create administrator"),
    RegisterTitle => ("Crear tu cuenta", "Create your account"),
    RegisterIntro => (
        "Usa el código de invitación que te dio un administrador.",
        "Use the invitation code an administrator gave you.",
            ),
    InvitationCode => ("Código de invitación", "Invitation code"),
    RegisterSubmit => ("Crear cuenta", "Create account"),
    ErrorWrongCredentials => (
        "Usuario o contraseña incorrectos.",
        "Wrong username or password.",
            ),
    ErrorSetupCode => (
        "El código de configuración no es correcto. El código vigente está en el registro del servidor.",
        "The setup code is wrong. The current code is in the server log.",
            ),
    ErrorInvalidAccount => (
        "Revisa los datos: el usuario lleva minúsculas, números y . _ - @ +, y la contraseña al menos 10 caracteres.",
        "Check the details: the username has lower case letters, digits and . _ - @ +, and the password at least 10 characters.",
            ),
});

/// The message for an `error` code the server put in the address.
fn error_text(code: &str) -> Words {
    match code {
        "wrong" => LoginSaid::ErrorWrongCredentials.into(),
        "throttled" => Text::ErrorThrottled.into(),
        "setup_code" => LoginSaid::ErrorSetupCode.into(),
        "invalid" => LoginSaid::ErrorInvalidAccount.into(),
        "taken" => Text::ErrorUsernameTaken.into(),
        "invitation" => Text::ErrorInvitation.into(),
        "set_up" => Text::ErrorAlreadySetUp.into(),
        "csrf" => Text::ErrorCsrf.into(),
        _ => Text::ErrorServer.into(),
    }
}

/// The card every account page shares: brand, title, intro, the server's error if any.
#[component]
fn AuthCard(title: LoginSaid, intro: LoginSaid, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let error = move || query.read().get("error").map(|code| error_text(&code));
    view! {
        <Title text=i18n.t(title) />
        <main class="auth-page" id="content">
            <section class="auth-card">
                <div class="auth-top">
                    <div class="brand auth-brand">
                        <span class="brand-mark" aria-hidden="true">"C"</span>
                        <span class="brand-name">"Cocolu"</span>
                    </div>
                    <LanguageSwitch class="button button-quiet language-switch" />
                </div>
                <h1>{i18n.t(title)}</h1>
                <p class="page-intro">{i18n.t(intro)}</p>
                {move || {
                    error()
                        .map(|text| {
                            view! {
                                <p class="notice notice-error" role="alert" id="form-error">
                                    {i18n.t(text)}
                                </p>
                            }
                        })
                }}
                {children()}
            </section>
        </main>
    }
}

/// Username, name (for new accounts) and password fields.
#[component]
fn AccountFields(new_account: bool) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let username = move || query.read().get("user").unwrap_or_default();
    view! {
        <label for="username">{i18n.t(LoginSaid::LoginUser)}</label>
        <input
            id="username"
            name="username"
            type="text"
            required=true
            autocapitalize="none"
            autocomplete="username"
            value=username
        />
        {new_account
            .then(|| {
                view! {
                    <label for="name">{i18n.t(LoginSaid::AccountName)}</label>
                    <input id="name" name="name" type="text" autocomplete="name" />
                }
            })}
        <label for="password">{i18n.t(LoginSaid::LoginPassword)}</label>
        <input
            id="password"
            name="password"
            type="password"
            required=true
            minlength=if new_account { "10" } else { "1" }
            autocomplete=if new_account { "new-password" } else { "current-password" }
            aria-describedby=new_account.then_some("password-hint")
        />
        {new_account
            .then(|| {
                view! {
                    <p id="password-hint" class="field-hint">
                        {i18n.t(LoginSaid::PasswordHint)}
                    </p>
                }
            })}
    }
}

/// The sign-in page, outside the signed-in layout.
#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AuthCard title=LoginSaid::LoginTitle intro=LoginSaid::LoginIntro>
            <form class="form" method="post" action="/login">
                <fieldset>
                    <AccountFields new_account=false />
                    <button type="submit" class="button button-primary">
                        <Icon name=IconName::Login />
                        {i18n.t(LoginSaid::LoginSubmit)}
                    </button>
                </fieldset>
            </form>
        </AuthCard>
    }
}

/// First run: create the administrator with the setup code from the server log.
#[component]
pub fn Setup() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AuthCard title=LoginSaid::SetupTitle intro=LoginSaid::SetupIntro>
            <form class="form" method="post" action="/setup">
                <fieldset>
                    <label for="code">{i18n.t(LoginSaid::SetupCode)}</label>
                    <input
                        id="code"
                        name="code"
                        type="text"
                        required=true
                        autocomplete="one-time-code"
                        autocapitalize="characters"
                        placeholder="XXXX-XXXX-XXXX"
                        aria-describedby="code-hint"
                    />
                    <p id="code-hint" class="field-hint">{i18n.t(LoginSaid::SetupCodeHint)}</p>
                    <AccountFields new_account=true />
                    <button type="submit" class="button button-primary">
                        {i18n.t(LoginSaid::SetupSubmit)}
                    </button>
                </fieldset>
            </form>
        </AuthCard>
    }
}

/// Registration with an invitation code (the link an admin shares carries it).
#[component]
pub fn Register() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let code = move || query.read().get("code").unwrap_or_default();
    view! {
        <AuthCard title=LoginSaid::RegisterTitle intro=LoginSaid::RegisterIntro>
            <form class="form" method="post" action="/register">
                <fieldset>
                    <label for="invitation">{i18n.t(LoginSaid::InvitationCode)}</label>
                    <input
                        id="invitation"
                        name="invitation"
                        type="text"
                        required=true
                        autocomplete="off"
                        value=code
                    />
                    <AccountFields new_account=true />
                    <button type="submit" class="button button-primary">
                        {i18n.t(LoginSaid::RegisterSubmit)}
                    </button>
                </fieldset>
            </form>
        </AuthCard>
    }
}
