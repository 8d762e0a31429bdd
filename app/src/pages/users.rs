//! Usuarios (administrators): everyone with an account and their role, invitations (the code
//! is shown once), API tokens for scripts (shown once), and the audit log.

use crate::api::{self, encode};
use crate::components::{browser, signed_in, toaster, with_data, Copyable, PageHeader, Toaster};
use crate::i18n::{use_i18n, I18n, Lang, Said, Text, Words};
use crate::time;
use cocolu_core::api::accounts::{AuditPage, InvitationView, Role, TokenView, UserView};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

crate::i18n::page_texts!(UsersSaid {
    UsersForAdmins => (
        "Las cuentas, las invitaciones y los tokens de la API los gestiona un administrador. Si necesitas una cuenta para alguien del equipo o cambiar tu rol, pídeselo.",
        "Accounts, invitations and API tokens are managed by an administrator. Ask one if someone on the team needs an account or your role should change.",
    ),
    YourAccount => ("Tu cuenta", "Your account"),
    FromCommandLine => ("Desde la línea de comandos", "From the command line"),
    You => ("tú", "you"),
    Role => ("Rol", "Role"),
    Expired => ("Caducada", "Expired"),
    Withdraw => ("Retirar", "Withdraw"),
    SecretSeen => ("Ya lo guardé", "I have kept it"),
    UsersTitle => ("Personas con cuenta", "People with an account"),
    Person => ("Persona", "Person"),
    Since => ("Desde", "Since"),
    State => ("Estado", "State"),
    Actions => ("Acciones", "Actions"),
    RolesHint => (
        "Los agentes atienden la bandeja y prueban reglas; los administradores además cambian reglas, textos, ajustes y cuentas.",
        "Agents work the inbox and try rules; administrators also change rules, templates, settings and accounts.",
    ),
    InvitationsTitle => ("Invitaciones", "Invitations"),
    InvitationFor => ("Para quién", "For whom"),
    ValidFor => ("Caduca en", "Expires in"),
    OneDay => ("1 día", "1 day"),
    ThreeDays => ("3 días", "3 days"),
    OneWeek => ("1 semana", "1 week"),
    ThirtyDays => ("30 días", "30 days"),
    Invite => ("Invitar", "Invite"),
    CreatedBy => ("Creada por", "Made by"),
    Expires => ("Caduca", "Expires"),
    TokensTitle => ("Tokens de la API", "API tokens"),
    TokensHint => (
        "Para conectar otros programas con Cocolu. Un token tiene los permisos de su rol: guárdalo como una contraseña.",
        "For connecting other programs to Cocolu. A token has the permissions of its role: keep it like a password.",
    ),
    TokensHowTo => (
        "Para quien programa: la API REST y el WebSocket lo reciben en la cabecera Authorization: Bearer TOKEN.",
        "For programmers: the REST API and the WebSocket take it in the header Authorization: Bearer TOKEN.",
    ),
    TokenName => ("Para qué es", "What it is for"),
    MakeToken => ("Crear token", "Make token"),
    AuditTitle => ("Registro de actividad", "Audit log"),
    When => ("Cuándo", "When"),
    Who => ("Quién", "Who"),
    What => ("Qué", "What"),
    Detail => ("Detalle", "Detail"),
    Address => ("Dirección", "Address"),
    NoInvitations => ("No hay invitaciones pendientes.", "No pending invitations."),
    UsersIntro => (
        "Quién puede entrar al panel y con qué permisos.",
        "Who can use the dashboard, and with which permissions.",
            ),
    RoleAdmin => ("Administrador", "Administrator"),
    RoleAgent => ("Agente", "Agent"),
    Disabled => ("Desactivado", "Disabled"),
    Active => ("Activo", "Active"),
    Enable => ("Activar", "Enable"),
    Disable => ("Desactivar", "Disable"),
    ConfirmDeleteUser => ("¿Borrar esta cuenta? Sus sesiones terminan.", "Delete this account? Its sessions end."),
    Deleted => ("Borrado", "Deleted"),
    Withdrawn => ("Invitación retirada", "Invitation withdrawn"),
    InvitationReady => ("Invitación creada", "Invitation ready"),
    TokenOnce => ("Token de la API (solo se muestra ahora)", "API token (shown only now)"),
    ConfirmDeleteToken => ("¿Borrar este token? Los programas que lo usan dejan de funcionar.", "Delete this token? Scripts using it stop working."),
});

crate::i18n::page_texts!(InvitationSaid {
    HowTo => (
        "Envíale este enlace a la persona: abre el formulario para crear su cuenta. Sirve una sola vez, y solo se muestra ahora.",
        "Send this link to the person: it opens the form to create their account. It works once, and is shown only now.",
    ),
    Sent => ("Ya la envié", "I have sent it"),
    Share => ("Enviar por WhatsApp", "Send over WhatsApp"),
    Message => ("Te invito a Cocolu, para atender los chats de la tienda. Crea tu cuenta aquí:", "You're invited to Cocolu, to answer the shop's chats. Create your account here:"),
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Loaded {
    users: Vec<UserView>,
    invitations: Vec<InvitationView>,
    tokens: Vec<TokenView>,
    audit: AuditPage,
    me: String,
    offset: i32,
}

fn role_text(role: &Role) -> UsersSaid {
    if *role == Role::Admin {
        UsersSaid::RoleAdmin
    } else {
        UsersSaid::RoleAgent
    }
}

/// The users page.
#[component]
pub fn Users() -> impl IntoView {
    let me = signed_in();
    let version = RwSignal::new(0u32);
    let loaded = Resource::new(
        move || version.get(),
        move |_| {
            let users = api::get_json::<Vec<UserView>>("/api/users");
            let invitations = api::get_json::<Vec<InvitationView>>("/api/invitations");
            let tokens = api::get_json::<Vec<TokenView>>("/api/tokens");
            let audit = api::get_json::<AuditPage>("/api/audit");
            async move {
                let me = me.await?;
                // Nothing is asked for an agent (the futures above do nothing until awaited).
                if !me.is_admin() {
                    return Err(String::new());
                }
                Ok(Loaded {
                    users: users.await?,
                    invitations: invitations.await?,
                    tokens: tokens.await?,
                    audit: audit.await?,
                    me: me.user.map(|u| u.id).unwrap_or_default(),
                    offset: me.utc_offset_minutes,
                })
            }
        },
    );
    let reload = move || version.update(|v| *v += 1);
    // A code or token just made, shown once; it outlives the reload that follows.
    let secret = RwSignal::new(None::<(UsersSaid, String)>);
    // An agent is told who manages accounts and shown their own, without asking for the lists.
    let role = Resource::new(
        || (),
        move |()| async move { me.await.map(|m| (m.is_admin(), m.user)) },
    );
    let i18n = use_i18n();
    view! {
        <PageHeader title=Text::NavUsers intro=UsersSaid::UsersIntro />
        {with_data(role, move |(admin, user)| if admin {
            with_data(loaded, move |loaded: Loaded| view! { <UsersBody loaded secret reload=Callback::new(move |()| reload()) /> }).into_any()
        } else {
            view! {
                <section class="card" id="users-for-admins">
                    <p class="notice" role="status">{i18n.t(UsersSaid::UsersForAdmins)}</p>
                    {user.map(|user| view! {
                        <h2>{i18n.t(UsersSaid::YourAccount)}</h2>
                        <p>
                            <strong>{if user.name.is_empty() { user.username.clone() } else { user.name.clone() }}</strong>
                            " (" {user.username.clone()} ") · " {i18n.t(role_text(&user.role))}
                        </p>
                    })}
                </section>
            }.into_any()
        })}
    }
}

/// Sends a change, says how it went, and reads the page again.
fn change(
    method: &'static str,
    path: String,
    body: Option<Value>,
    done: Words,
    toasts: Toaster,
    reload: Callback<()>,
) {
    leptos::task::spawn_local(async move {
        match api::send::<Value>(method, path, body).await {
            Ok(_) => {
                toasts.ok(done);
                reload.run(());
            }
            Err(failure) => toasts.failed(Text::SaveFailed, failure),
        }
    });
}

fn confirmed(i18n: I18n, question: impl Said) -> bool {
    browser::confirm(question.get(i18n.0.get_untracked()))
}

#[component]
fn UsersBody(
    loaded: Loaded,
    secret: RwSignal<Option<(UsersSaid, String)>>,
    reload: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let offset = loaded.offset;
    let now = time::now_ms();
    let users = loaded.users.into_iter().map(|user| {
        let is_me = user.id == loaded.me;
        let path = format!("/api/users/{}", encode(&user.id));
        let (role_path, disable_path, delete_path) = (path.clone(), path.clone(), path);
        let disabled = user.disabled;
        view! {
            <tr data-user=user.username.clone()>
                <td>
                    <strong>{user.username.clone()}</strong>
                    {(!user.name.is_empty()).then(|| view! { <span class="muted">" · " {user.name.clone()}</span> })}
                    {is_me.then(|| view! { <span class="badge">{i18n.t(UsersSaid::You)}</span> })}
                </td>
                <td>
                    <label class="visually-hidden" for=format!("role-{}", user.id)>{i18n.t(UsersSaid::Role)}</label>
                    <select id=format!("role-{}", user.id) disabled=is_me on:change=move |ev| {
                        change("PATCH", role_path.clone(), Some(json!({ "role": event_target_value(&ev) })), Text::Saved.into(), toasts, reload)
                    }>
                        <option value="admin" selected=user.role == Role::Admin>{i18n.t(UsersSaid::RoleAdmin)}</option>
                        <option value="agent" selected=user.role == Role::Agent>{i18n.t(UsersSaid::RoleAgent)}</option>
                    </select>
                </td>
                <td>{time::date(user.created_at, offset, i18n.0.get_untracked())}</td>
                <td>{i18n.t(if disabled { UsersSaid::Disabled } else { UsersSaid::Active })}</td>
                <td class="row-actions">
                    <button type="button" class="button button-quiet" disabled=is_me on:click=move |_| {
                        change("PATCH", disable_path.clone(), Some(json!({ "disabled": !disabled })), Text::Saved.into(), toasts, reload)
                    }>
                        {i18n.t(if disabled { UsersSaid::Enable } else { UsersSaid::Disable })}
                    </button>
                    <button type="button" class="button button-quiet button-danger" disabled=is_me on:click=move |_| {
                        if confirmed(i18n, UsersSaid::ConfirmDeleteUser) {
                            change("DELETE", delete_path.clone(), None, UsersSaid::Deleted.into(), toasts, reload)
                        }
                    }>
                        {i18n.t(Text::Delete)}
                    </button>
                </td>
            </tr>
        }
    }).collect_view();

    let invitation_role = RwSignal::new("agent".to_string());
    let invitation_note = RwSignal::new(String::new());
    let invitation_hours = RwSignal::new("72".to_string());
    let invite = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({
            "role": invitation_role.get_untracked(),
            "note": invitation_note.get_untracked(),
            "valid_hours": invitation_hours.get_untracked().trim().parse::<u32>().unwrap_or(72),
        });
        leptos::task::spawn_local(async move {
            match api::send::<Value>("POST", "/api/invitations".into(), Some(body)).await {
                Ok(answer) => {
                    secret.set(Some((
                        UsersSaid::InvitationReady,
                        answer["code"].as_str().unwrap_or_default().to_string(),
                    )));
                    invitation_note.set(String::new());
                    reload.run(());
                }
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
            }
        });
    };
    let no_invitations = loaded.invitations.is_empty();
    let no_tokens = loaded.tokens.is_empty();
    let invitations = loaded.invitations.into_iter().map(|inv| {
        let path = format!("/api/invitations/{}", encode(&inv.id));
        view! {
            <tr>
                <td>{if inv.note.is_empty() { "—".to_string() } else { inv.note.clone() }}</td>
                <td>{i18n.t(role_text(&inv.role))}</td>
                <td>{inv.created_by_name.clone().unwrap_or_else(|| "—".to_string())}</td>
                <td class:state-bad=inv.expired>
                    {if inv.expired { i18n.t(UsersSaid::Expired)().to_string() } else { time::when(inv.expires_at, now, offset, i18n.0.get_untracked()) }}
                </td>
                <td class="row-actions">
                    <button type="button" class="button button-quiet button-danger" on:click=move |_| change("DELETE", path.clone(), None, UsersSaid::Withdrawn.into(), toasts, reload)>
                        {i18n.t(UsersSaid::Withdraw)}
                    </button>
                </td>
            </tr>
        }
    }).collect_view();

    let token_name = RwSignal::new(String::new());
    let token_role = RwSignal::new("agent".to_string());
    let make_token = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body =
            json!({ "name": token_name.get_untracked(), "role": token_role.get_untracked() });
        leptos::task::spawn_local(async move {
            match api::send::<Value>("POST", "/api/tokens".into(), Some(body)).await {
                Ok(answer) => {
                    secret.set(Some((
                        UsersSaid::TokenOnce,
                        answer["token"].as_str().unwrap_or_default().to_string(),
                    )));
                    token_name.set(String::new());
                    reload.run(());
                }
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
            }
        });
    };
    let tokens = loaded.tokens.into_iter().map(|token| {
        let path = format!("/api/tokens/{}", encode(&token.id));
        view! {
            <tr>
                <td><strong>{token.name.clone()}</strong></td>
                <td>{i18n.t(role_text(&token.role))}</td>
                <td>{if token.created_by.is_empty() {
                    i18n.t(UsersSaid::FromCommandLine).into_any()
                } else {
                    token.created_by_name.clone().unwrap_or_else(|| "—".to_string()).into_any()
                }}</td>
                <td>{time::date(token.created_at, offset, i18n.0.get_untracked())}</td>
                <td class="row-actions">
                    <button type="button" class="button button-quiet button-danger" on:click=move |_| {
                        if confirmed(i18n, UsersSaid::ConfirmDeleteToken) {
                            change("DELETE", path.clone(), None, UsersSaid::Deleted.into(), toasts, reload)
                        }
                    }>{i18n.t(Text::Delete)}</button>
                </td>
            </tr>
        }
    }).collect_view();

    let audit = RwSignal::new(loaded.audit);
    let loading_more = RwSignal::new(false);
    let more = move |_| {
        let Some(cursor) = audit.with_untracked(|a| a.next_cursor.clone()) else {
            return;
        };
        loading_more.set(true);
        let request = api::get_json::<AuditPage>(&format!("/api/audit?cursor={}", encode(&cursor)));
        leptos::task::spawn_local(async move {
            if let Ok(page) = request.await {
                audit.update(|a| {
                    a.entries.extend(page.entries);
                    a.next_cursor = page.next_cursor;
                });
            }
            loading_more.set(false);
        });
    };

    view! {
        {move || secret.get().map(|(label, value)| {
            // An invitation goes as a link that opens the sign-up form with the code in it,
            // copied or sent over WhatsApp from the owner's phone.
            let invitation = label == UsersSaid::InvitationReady;
            // A token is shown as it is; an invitation only inside its link.
            let shown = if invitation {
                let link = format!("{}/register?code={}", browser::origin(), encode(&value));
                let message = format!("{} {link}", i18n.t(InvitationSaid::Message)());
                let share = format!("https://wa.me/?text={}", encode(&message));
                view! {
                    <p class="field-hint">{i18n.t(InvitationSaid::HowTo)}</p>
                    <p><Copyable id="invitation-link" value=link /></p>
                    <p><a class="button button-primary" id="share-invitation" href=share target="_blank" rel="noopener">
                        {i18n.t(InvitationSaid::Share)}
                    </a></p>
                }
                .into_any()
            } else {
                view! { <p><code class="mono secret-value">{value}</code></p> }.into_any()
            };
            let done: Words = if invitation { InvitationSaid::Sent.into() } else { UsersSaid::SecretSeen.into() };
            view! {
                <section class="card secret" role="alert" id="new-secret">
                    <h2>{i18n.t(label)}</h2>
                    {shown}
                    <button type="button" class="button" on:click=move |_| secret.set(None)>{i18n.t(done)}</button>
                </section>
            }
        })}
        <section class="card" aria-labelledby="users-title" id="users">
            <h2 id="users-title">{i18n.t(UsersSaid::UsersTitle)}</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th>{i18n.t(UsersSaid::Person)}</th><th>{i18n.t(UsersSaid::Role)}</th><th>{i18n.t(UsersSaid::Since)}</th><th>{i18n.t(UsersSaid::State)}</th><th><span class="visually-hidden">{i18n.t(UsersSaid::Actions)}</span></th>
                    </tr></thead>
                    <tbody>{users}</tbody>
                </table>
            </div>
            <p class="field-hint">{i18n.t(UsersSaid::RolesHint)}</p>
        </section>
        <section class="card" aria-labelledby="invitations-title" id="invitations">
            <h2 id="invitations-title">{i18n.t(UsersSaid::InvitationsTitle)}</h2>
            <form class="row-form" on:submit=invite>
                <div class="field">
                    <label for="invitation-note">{i18n.t(UsersSaid::InvitationFor)}</label>
                    <input id="invitation-note" type="text" bind:value=invitation_note maxlength="80" />
                </div>
                <div class="field">
                    <label for="invitation-role">{i18n.t(UsersSaid::Role)}</label>
                    <select id="invitation-role" on:change=move |ev| invitation_role.set(event_target_value(&ev))>
                        <option value="agent" selected=true>{i18n.t(UsersSaid::RoleAgent)}</option>
                        <option value="admin">{i18n.t(UsersSaid::RoleAdmin)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="invitation-hours">{i18n.t(UsersSaid::ValidFor)}</label>
                    <select id="invitation-hours" on:change=move |ev| invitation_hours.set(event_target_value(&ev))>
                        <option value="24">{i18n.t(UsersSaid::OneDay)}</option>
                        <option value="72" selected=true>{i18n.t(UsersSaid::ThreeDays)}</option>
                        <option value="168">{i18n.t(UsersSaid::OneWeek)}</option>
                        <option value="720">{i18n.t(UsersSaid::ThirtyDays)}</option>
                    </select>
                </div>
                <button type="submit" class="button button-primary" id="invite">{i18n.t(UsersSaid::Invite)}</button>
            </form>
            <div class="table-wrap">
                <table>
                    <thead><tr><th>{i18n.t(UsersSaid::InvitationFor)}</th><th>{i18n.t(UsersSaid::Role)}</th><th>{i18n.t(UsersSaid::CreatedBy)}</th><th>{i18n.t(UsersSaid::Expires)}</th><th><span class="visually-hidden">{i18n.t(UsersSaid::Actions)}</span></th></tr></thead>
                    <tbody>
                        {no_invitations.then(|| view! { <tr><td colspan="5" class="muted">{i18n.t(UsersSaid::NoInvitations)}</td></tr> })}
                        {invitations}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" aria-labelledby="tokens-title" id="tokens">
            <h2 id="tokens-title">{i18n.t(UsersSaid::TokensTitle)}</h2>
            <p class="field-hint">{i18n.t(UsersSaid::TokensHint)}</p>
            <p class="field-hint">{i18n.t(UsersSaid::TokensHowTo)}</p>
            <form class="row-form" on:submit=make_token>
                <div class="field">
                    <label for="token-name">{i18n.t(UsersSaid::TokenName)}</label>
                    <input id="token-name" type="text" required bind:value=token_name maxlength="80" />
                </div>
                <div class="field">
                    <label for="token-role">{i18n.t(UsersSaid::Role)}</label>
                    <select id="token-role" on:change=move |ev| token_role.set(event_target_value(&ev))>
                        <option value="agent" selected=true>{i18n.t(UsersSaid::RoleAgent)}</option>
                        <option value="admin">{i18n.t(UsersSaid::RoleAdmin)}</option>
                    </select>
                </div>
                <button type="submit" class="button button-primary" id="make-token">{i18n.t(UsersSaid::MakeToken)}</button>
            </form>
            <div class="table-wrap">
                <table>
                    <thead><tr><th>{i18n.t(UsersSaid::TokenName)}</th><th>{i18n.t(UsersSaid::Role)}</th><th>{i18n.t(UsersSaid::CreatedBy)}</th><th>{i18n.t(UsersSaid::Since)}</th><th><span class="visually-hidden">{i18n.t(UsersSaid::Actions)}</span></th></tr></thead>
                    <tbody>
                        {no_tokens.then(|| view! { <tr><td colspan="5" class="muted">{i18n.t(Text::NoTokens)}</td></tr> })}
                        {tokens}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" aria-labelledby="audit-title" id="audit">
            <h2 id="audit-title">{i18n.t(UsersSaid::AuditTitle)}</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr><th>{i18n.t(UsersSaid::When)}</th><th>{i18n.t(UsersSaid::Who)}</th><th>{i18n.t(UsersSaid::What)}</th><th>{i18n.t(UsersSaid::Detail)}</th><th>{i18n.t(UsersSaid::Address)}</th></tr></thead>
                    <tbody>
                        {move || audit.get().entries.into_iter().map(|e| view! {
                            <tr data-action=e.action.clone()>
                                <td>{time::when(e.at, now, offset, i18n.0.get_untracked())}</td>
                                <td>{if e.actor.is_empty() { "—".to_string() } else { e.actor.clone() }}</td>
                                <td>{action_words(&e.action, i18n.0.get())}</td>
                                <td>{[e.target.clone(), detail_words(&e.detail, i18n.0.get())].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</td>
                                <td class="mono">{e.ip.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {move || audit.read().next_cursor.is_some().then(|| view! {
                <button type="button" class="button" disabled=move || loading_more.get() on:click=more>{i18n.t(Text::LoadMore)}</button>
            })}
        </section>
    }
}

/// What an audit entry's action was, in `lang` (the action's name for one this dashboard does
/// not know).
fn action_words(action: &str, lang: Lang) -> String {
    let (es, en) = match action {
        "setup" => ("Primer administrador creado", "First administrator created"),
        "setup_failed" => ("Código de configuración incorrecto", "Wrong setup code"),
        "login" => ("Inició sesión", "Signed in"),
        "login_failed" => ("Intento de inicio de sesión fallido", "Failed sign-in"),
        "logout" => ("Cerró sesión", "Signed out"),
        "password_changed" => ("Cambió su contraseña", "Changed their password"),
        "invitation_created" => ("Invitación creada", "Invitation created"),
        "invitation_revoked" => ("Invitación anulada", "Invitation revoked"),
        "registered" => (
            "Cuenta creada con invitación",
            "Account created from an invitation",
        ),
        "register_failed" => ("Invitación no válida usada", "Invalid invitation used"),
        "user_updated" => ("Cuenta cambiada", "Account changed"),
        "user_deleted" => ("Cuenta borrada", "Account deleted"),
        "token_created" => ("Clave de API creada", "API token created"),
        "token_deleted" => ("Clave de API borrada", "API token deleted"),
        "settings_saved" => ("Ajustes guardados", "Settings saved"),
        "rules_saved" => ("Reglas guardadas", "Rules saved"),
        "template_saved" => ("Texto guardado", "Text saved"),
        "template_restored" => ("Texto original recuperado", "Text restored"),
        "file_reloaded" => (
            "Archivo editado a mano y cargado",
            "File edited by hand and loaded",
        ),
        "contact_erased" => ("Datos de un cliente borrados", "A customer's data erased"),
        "whatsapp_web_unlinked" => ("WhatsApp Web desvinculado", "WhatsApp Web unlinked"),
        "connection_saved" => (
            "Conexión con WhatsApp cambiada",
            "WhatsApp connection changed",
        ),
        other => return other.to_string(),
    };
    (if lang == Lang::Es { es } else { en }).to_string()
}

/// An audit entry's detail in `lang`: the server writes it in English for the file, in a few
/// fixed shapes; sentences that only repeat the action are left out.
fn detail_words(detail: &str, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let role = |role: &str| match role {
        "admin" => UsersSaid::RoleAdmin.get(lang).to_string(),
        "agent" => UsersSaid::RoleAgent.get(lang).to_string(),
        other => other.to_string(),
    };
    match detail {
        "wrong setup code"
        | "unknown or expired invitation"
        | "first administrator created"
        | "keys forgotten; a new pairing started"
        | "edited outside the dashboard; the new version is in force" => return String::new(),
        "admin" | "agent" => return role(detail),
        _ => {}
    }
    if let Some(revision) = detail.strip_prefix("revision ") {
        return format!("{} {revision}", if es { "revisión" } else { "revision" });
    }
    if let Some(rest) = detail.strip_prefix("role ") {
        if let Some((name, state)) = rest.split_once(", ") {
            let state = match (state, es) {
                ("disabled", true) => "desactivada",
                ("disabled", false) => "disabled",
                (_, true) => "activa",
                (_, false) => "active",
            };
            return format!("{}, {state}", role(name));
        }
    }
    if let Some(fields) = detail.strip_prefix("changed: ") {
        let words: Vec<&str> = fields
            .split(", ")
            .map(|field| {
                let text = match field {
                    "phone_number_id" => Text::PhoneNumberId,
                    "waba_id" => Text::WabaId,
                    "access_token" => Text::AccessToken,
                    "app_secret" => Text::AppSecret,
                    "verify_token" => Text::VerifyToken,
                    other => return other,
                };
                text.get(lang)
            })
            .collect();
        return words.join(", ");
    }
    if let Some((records, media)) = detail
        .strip_suffix(" media files")
        .and_then(|d| d.split_once(" records, "))
    {
        return if es {
            format!("{records} registros, {media} archivos")
        } else {
            format!("{records} records, {media} files")
        };
    }
    detail.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_entries_read_in_the_page_s_language() {
        assert_eq!(action_words("rules_saved", Lang::Es), "Reglas guardadas");
        assert_eq!(
            detail_words("changed: access_token, verify_token", Lang::Es),
            "Token de acceso, Token de verificación"
        );
        assert_eq!(
            action_words("from_a_newer_server", Lang::Es),
            "from_a_newer_server"
        );
        assert_eq!(detail_words("revision 3fa9", Lang::Es), "revisión 3fa9");
        assert_eq!(
            detail_words("role agent, disabled", Lang::Es),
            "Agente, desactivada"
        );
        assert_eq!(detail_words("admin", Lang::En), "Administrator");
        assert_eq!(
            detail_words("12 records, 2 media files", Lang::Es),
            "12 registros, 2 archivos"
        );
        assert_eq!(detail_words("first administrator created", Lang::Es), "");
    }
}
