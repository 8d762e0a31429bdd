//! Sign-in, first-run set-up and registration with an invitation. Each is a plain HTML form
//! that posts to the server (`/login`, `/setup`, `/register`), so it works before the page is
//! hydrated and without JavaScript; the server answers with a redirect, carrying an `error`
//! code back to the form when something was wrong.

use crate::components::{Icon, IconName, LanguageSwitch};
use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for an `error` code the server put in the address.
fn error_text(code: &str) -> Text {
    match code {
        "wrong" => Text::ErrorWrongCredentials,
        "throttled" => Text::ErrorThrottled,
        "setup_code" => Text::ErrorSetupCode,
        "invalid" => Text::ErrorInvalidAccount,
        "taken" => Text::ErrorUsernameTaken,
        "invitation" => Text::ErrorInvitation,
        "set_up" => Text::ErrorAlreadySetUp,
        "csrf" => Text::ErrorCsrf,
        _ => Text::ErrorServer,
    }
}

/// The card every account page shares: brand, title, intro, the server's error if any.
#[component]
fn AuthCard(title: Text, intro: Text, children: Children) -> impl IntoView {
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
        <label for="username">{i18n.t(Text::LoginUser)}</label>
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
                    <label for="name">{i18n.t(Text::AccountName)}</label>
                    <input id="name" name="name" type="text" autocomplete="name" />
                }
            })}
        <label for="password">{i18n.t(Text::LoginPassword)}</label>
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
                        {i18n.t(Text::PasswordHint)}
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
        <AuthCard title=Text::LoginTitle intro=Text::LoginIntro>
            <form class="form" method="post" action="/login">
                <fieldset>
                    <AccountFields new_account=false />
                    <button type="submit" class="button button-primary">
                        <Icon name=IconName::Login />
                        {i18n.t(Text::LoginSubmit)}
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
        <AuthCard title=Text::SetupTitle intro=Text::SetupIntro>
            <form class="form" method="post" action="/setup">
                <fieldset>
                    <label for="code">{i18n.t(Text::SetupCode)}</label>
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
                    <p id="code-hint" class="field-hint">{i18n.t(Text::SetupCodeHint)}</p>
                    <AccountFields new_account=true />
                    <button type="submit" class="button button-primary">
                        {i18n.t(Text::SetupSubmit)}
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
        <AuthCard title=Text::RegisterTitle intro=Text::RegisterIntro>
            <form class="form" method="post" action="/register">
                <fieldset>
                    <label for="invitation">{i18n.t(Text::InvitationCode)}</label>
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
                        {i18n.t(Text::RegisterSubmit)}
                    </button>
                </fieldset>
            </form>
        </AuthCard>
    }
}
