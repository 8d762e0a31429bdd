//! `/api/templates`: the reply templates in force (built in, or from the templates folder),
//! and saving one from the dashboard with the same conflict and validation rules as a hand
//! edit.

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::store::templates::{display_name, TemplateStore};
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, put};
use cocolu_core::api::templates::{Saved, TemplateSave, TemplateView, Variable, VariableSource};
use cocolu_core::document::Revision;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/templates",
        Access::User,
        Doc::new(
            "templates",
            "Every template in force, with its revision and any problem",
        )
        .returns::<Vec<TemplateView>>(),
        get(list),
    )
    .op(
        Method::GET,
        "/templates/variables",
        Access::User,
        Doc::new(
            "templates",
            "The variables a template can use, with what they would be now",
        )
        .describe(
            "`nombre` (the customer's name), `negocio`, `horario_hoy` (today's hours), \
             `horario_del_dia` (a sentence on the hours of the day the customer asks about, \
             today here) and `horario_semana` (the week) from the settings, and the fields \
             rules capture (`{{pedido}}`...). For previews.",
        )
        .returns::<Vec<Variable>>(),
        get(variables),
    )
    .op(
        Method::PUT,
        "/templates/{name}",
        Access::Admin,
        Doc::new(
            "templates",
            "Save a template (creating `templates/NAME.txt`)",
        )
        .describe(
            "Based on the `revision` of the text you started from (the empty text's \
                 revision for a new template): 409 with the other version when it changed, \
                 422 with located problems (an unclosed `{{` or `[[`, an unknown variable, \
                 too long).",
        )
        .body::<TemplateSave>()
        .returns::<Saved>(),
        put(save),
    )
    .op(
        Method::DELETE,
        "/templates/{name}",
        Access::Admin,
        Doc::new(
            "templates",
            "Give a built-in template its own text back (removes the file)",
        )
        .status(204),
        delete(restore),
    )
}

async fn list(State(state): State<AppState>) -> ApiJson<Vec<TemplateView>> {
    let current = state.data.templates.current();
    ApiJson(
        current
            .texts
            .iter()
            .map(|(name, text)| {
                let file = display_name(name);
                TemplateView {
                    name: name.clone(),
                    text: text.to_string(),
                    revision: Revision::of(text.as_bytes()),
                    builtin: TemplateStore::is_builtin(name),
                    from_file: state.data.templates.has_file(name),
                    problems: current
                        .problems
                        .iter()
                        .filter(|p| p.file == file)
                        .cloned()
                        .collect(),
                }
            })
            .collect(),
    )
}

async fn variables(State(state): State<AppState>) -> ApiJson<Vec<Variable>> {
    use cocolu_core::engine::hours::Schedule;
    let settings = state.data.settings.get();
    let (zone, now) = (
        cocolu_core::settings::time_zone(&settings),
        state.clock.now(),
    );
    let today = settings.hours.today_text(&zone, now, "y", "cerrado");
    let day = settings.hours.day_text(&zone, now, "");
    let week = settings.hours.week_text(&zone, now);
    let variable = |name: &str, example: String, source| Variable {
        name: name.into(),
        example,
        source,
    };
    let mut list = vec![
        variable("nombre", "María".into(), VariableSource::Customer),
        variable(
            "negocio",
            settings.business.name.clone(),
            VariableSource::Settings,
        ),
        variable("horario_hoy", today, VariableSource::Settings),
        variable("horario_del_dia", day, VariableSource::Settings),
        variable("horario_semana", week, VariableSource::Settings),
    ];
    let mut captured: Vec<String> = state
        .data
        .rules
        .get()
        .rules
        .iter()
        .filter_map(|r| r.capture.as_ref().map(|c| c.field.clone()))
        .collect();
    captured.sort();
    captured.dedup();
    list.extend(
        captured
            .into_iter()
            .filter(|f| !cocolu_core::engine::render::VARIABLES.contains(&f.as_str()))
            .map(|f| variable(&f, String::new(), VariableSource::Captured)),
    );
    ApiJson(list)
}

async fn save(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(name): Path<String>,
    ApiJson(request): ApiJson<TemplateSave>,
) -> Result<ApiJson<Saved>, ApiError> {
    let (data, auth) = (state.data.clone(), state.auth.clone());
    let saved = name.clone();
    let revision = super::blocking(move || {
        let revision = data.save_template(&saved, &request.text, &request.revision)?;
        auth.audit(
            &by.name,
            "template_saved",
            &display_name(&saved),
            &client,
            &format!("revision {revision}"),
        );
        Ok::<_, crate::store::document::SaveError>(revision)
    })
    .await??;
    Ok(ApiJson(Saved { name, revision }))
}

async fn restore(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !TemplateStore::is_builtin(&name) {
        return Err(ApiError::Refused {
            code: "not_builtin",
            message: format!(
                "`{name}` has no built-in text to go back to; edit it, or delete the file \
                 templates/{name}.txt by hand once no rule uses it."
            ),
        });
    }
    let (data, auth) = (state.data.clone(), state.auth.clone());
    super::blocking(move || {
        let removed = data.restore_template(&name)?;
        if removed {
            auth.audit(
                &by.name,
                "template_restored",
                &display_name(&name),
                &client,
                "",
            );
        }
        Ok::<_, std::io::Error>(())
    })
    .await?
    .map_err(|e| ApiError::Storage(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}
