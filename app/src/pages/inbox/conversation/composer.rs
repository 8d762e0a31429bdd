//! Manual replies: free text inside the 24-hour window, an approved template (with its
//! parameters) outside it.

use super::*;

/// How many `{{n}}` parameters a template body has.
fn parameter_count(body: &str) -> usize {
    (1..=20)
        .take_while(|n| body.contains(&format!("{{{{{n}}}}}")))
        .count()
}

/// Manual replies: text inside the 24-hour window, an approved template outside it.
#[component]
pub(super) fn Composer(id: String, window_open: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let draft = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let path = conversation_path(&id, "messages");
    let send = {
        let path = path.clone();
        move |message: Value, after: Box<dyn FnOnce()>| {
            sending.set(true);
            let path = path.clone();
            leptos::task::spawn_local(async move {
                match api::send::<Value>("POST", path, Some(json!({ "message": message }))).await {
                    Ok(_) => {
                        after();
                        toasts.ok(Text::ReplyQueued);
                    }
                    Err(failure) => toasts.failed(Text::ReplyFailed, failure),
                }
                sending.set(false);
            });
        }
    };
    let send_text = {
        let send = send.clone();
        move || {
            let body = draft.get_untracked();
            if body.trim().is_empty() || sending.get_untracked() {
                return;
            }
            send(
                json!({ "type": "text", "body": body }),
                Box::new(move || draft.set(String::new())),
            );
        }
    };
    let on_submit = {
        let send_text = send_text.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            send_text();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            send_text();
        }
    };
    // The composer or the template picker, rebuilt only when the window opens or closes.
    let open = Memo::new(move |_| window_open.get());
    view! {
        {move || if open.get() {
            view! {
            <form class="composer" id="composer" on:submit=on_submit.clone()>
                <label class="visually-hidden" for="composer-text">{i18n.t(Text::ReplyLabel)}</label>
                <textarea
                    id="composer-text"
                    rows="2"
                    placeholder=i18n.t(Text::ReplyPlaceholder)
                    title=i18n.t(Text::ReplyShortcut)
                    aria-keyshortcuts="Control+Enter"
                    bind:value=draft
                    on:keydown=on_key.clone()
                ></textarea>
                <button
                    type="submit"
                    class="button button-primary"
                    disabled=move || sending.get() || draft.read().trim().is_empty()
                >
                    {i18n.t(Text::Send)}
                </button>
            </form>
            }.into_any()
        } else {
            let send = send.clone();
            view! { <TemplatePicker send sending /> }.into_any()
        }}
    }
}

/// Outside the window: why free text is not allowed, and an approved template to send.
#[component]
fn TemplatePicker(
    send: impl Fn(Value, Box<dyn FnOnce()>) + Clone + Send + Sync + 'static,
    sending: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let templates = RwSignal::new(None::<Result<Vec<ApprovedTemplate>, String>>);
    let chosen = RwSignal::new(None::<usize>);
    let parameters = RwSignal::new(Vec::<String>::new());
    let load = move |_| {
        templates.set(Some(Ok(Vec::new())));
        let request = api::get_json::<Vec<ApprovedTemplate>>("/api/channel/templates");
        leptos::task::spawn_local(async move {
            templates.set(Some(request.await));
        });
    };
    let template = move || {
        let index = chosen.get()?;
        templates.get()?.ok()?.get(index).cloned()
    };
    let choose = move |ev| {
        let index = event_target_value(&ev).parse::<usize>().ok();
        chosen.set(index);
        let count = template()
            .and_then(|t| t.body)
            .map_or(0, |b| parameter_count(&b));
        parameters.set(vec![String::new(); count]);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = template() {
            send(
                json!({
                    "type": "template",
                    "name": t.name,
                    "language": t.language,
                    "parameters": parameters.get_untracked(),
                }),
                Box::new(move || chosen.set(None)),
            );
        }
    };
    view! {
        <div class="composer composer--closed" id="composer">
            <p class="notice" id="window-closed">{i18n.t(Text::WindowClosed)}</p>
            {move || match templates.get() {
                None => view! {
                    <button type="button" class="button" id="load-templates" on:click=load>
                        {i18n.t(Text::ChooseTemplate)}
                    </button>
                }.into_any(),
                Some(Err(error)) => view! {
                    <p class="notice notice-error" role="alert">{i18n.t(Text::TemplatesUnavailable)} " (" {error} ")"</p>
                }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="loading">{i18n.t(Text::NoApprovedTemplates)}</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <form class="template-form" on:submit=submit.clone()>
                        <label for="template-choice">{i18n.t(Text::ApprovedTemplate)}</label>
                        <select id="template-choice" on:change=choose>
                            <option value="">"—"</option>
                            {list.iter().enumerate().map(|(i, t)| view! {
                                <option value=i.to_string()>{format!("{} ({})", t.name, t.language)}</option>
                            }).collect_view()}
                        </select>
                        {move || template().and_then(|t| t.body).map(|body| view! {
                            <p class="template-body"><Formatted text=body /></p>
                        })}
                        {move || (0..parameters.read().len()).map(|i| view! {
                            <label>
                                {format!("{{{{{}}}}}", i + 1)}
                                <input
                                    type="text"
                                    required
                                    prop:value=move || parameters.read().get(i).cloned().unwrap_or_default()
                                    on:input=move |ev| parameters.update(|p| p[i] = event_target_value(&ev))
                                />
                            </label>
                        }).collect_view()}
                        <button type="submit" class="button button-primary" disabled=move || sending.get() || chosen.get().is_none()>
                            {i18n.t(Text::SendTemplate)}
                        </button>
                    </form>
                }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parameters_are_counted() {
        assert_eq!(parameter_count("Hola {{1}}, tu pedido {{2}} está listo"), 2);
        assert_eq!(parameter_count("Sin variables"), 0);
    }
}
