//! The sign-in page. Until this server has accounts, the form is shown disabled with the
//! reason, so nobody types a password into a form that cannot work.

use crate::components::{Icon, IconName};
use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use leptos_meta::Title;

/// The sign-in page, outside the signed-in layout.
#[component]
pub fn Login() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t(Text::LoginTitle) />
        <main class="auth-page" id="content">
            <section class="auth-card">
                <div class="brand auth-brand">
                    <span class="brand-mark" aria-hidden="true">"C"</span>
                    <span class="brand-name">"Cocolu"</span>
                </div>
                <h1>{i18n.t(Text::LoginTitle)}</h1>
                <p class="page-intro">{i18n.t(Text::LoginIntro)}</p>
                <p class="notice" role="status">{i18n.t(Text::LoginUnavailable)}</p>
                <form class="form" aria-describedby="login-state">
                    <fieldset disabled=true>
                        <label for="login-user">{i18n.t(Text::LoginUser)}</label>
                        <input id="login-user" name="username" type="text" autocomplete="username" />
                        <label for="login-password">{i18n.t(Text::LoginPassword)}</label>
                        <input
                            id="login-password"
                            name="password"
                            type="password"
                            autocomplete="current-password"
                        />
                        <button type="submit" class="button button-primary">
                            <Icon name=IconName::Login />
                            {i18n.t(Text::LoginSubmit)}
                        </button>
                    </fieldset>
                    <p id="login-state" class="field-hint">{i18n.t(Text::NotYetAvailable)}</p>
                </form>
                <a class="back-link" href="/">{i18n.t(Text::BackToDashboard)}</a>
            </section>
        </main>
    }
}
