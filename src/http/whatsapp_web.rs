//! `/api/whatsapp-web`: the WhatsApp Web channel's link with the shop's phone (with the
//! `whatsapp-web` feature): its state, the QR code to scan as an image, a pairing code for a
//! phone number, and unlinking. Admins only: linking a phone gives this server the number.

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::channel::web::qr;
use crate::channel::web::runner::LinkError;
use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cocolu_core::fault::Fault;
use cocolu_core::model::LinkState;
use serde::{Deserialize, Serialize};

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/whatsapp-web",
        Access::Admin,
        Doc::new("whatsapp-web", "The link with the shop's phone")
            .describe(
                "`link` is null while another channel is chosen in Settings. The state is also \
                 sent on /ws as `link_changed` events.",
            )
            .returns::<LinkView>(),
        get(link),
    )
    .op(
        Method::GET,
        "/whatsapp-web/qr.svg",
        Access::Admin,
        Doc::new("whatsapp-web", "The QR code to scan now, as an SVG image")
            .describe(
                "WhatsApp replaces the code about every 20 seconds (`expires_at` of the link); \
                 fetch it again then. 404 when no pairing is going on.",
            )
            .answers("image/svg+xml"),
        get(qr_image),
    )
    .op(
        Method::POST,
        "/whatsapp-web/pair-code",
        Access::Admin,
        Doc::new(
            "whatsapp-web",
            "Link by typing a code on the phone instead of scanning",
        )
        .describe(
            "On the phone: Linked devices > Link a device > Link with phone number instead, \
             then type the code. The number is the shop's, with its country code.",
        )
        .body::<PairCodeRequest>()
        .returns::<PairCode>(),
        post(pair_code),
    )
    .op(
        Method::POST,
        "/whatsapp-web/unlink",
        Access::Admin,
        Doc::new(
            "whatsapp-web",
            "Unlink the phone and forget its keys; a new pairing starts",
        )
        .status(204),
        post(unlink),
    )
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct LinkView {
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    link: Option<LinkState>,
}

async fn link(State(state): State<AppState>) -> ApiJson<LinkView> {
    ApiJson(LinkView {
        link: state.web.state(),
    })
}

async fn qr_image(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(LinkState::Pairing { qr: Some(code), .. }) = state.web.state() else {
        return Err(ApiError::NotFound(
            "There is no QR code to scan now: the phone is linked, or WhatsApp Web is not the \
             channel in use."
                .into(),
        ));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            // Each code is good for one rotation only.
            (header::CACHE_CONTROL, "no-store"),
        ],
        qr::svg(&code).map_err(ApiError::Internal)?,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct PairCodeRequest {
    /// The shop's number with its country code, such as `+58 412 123 4567`.
    phone: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct PairCode {
    /// Eight characters to type on the phone.
    code: String,
}

/// The digits of a phone number written with its country code, or why it is not one.
fn phone_digits(phone: &str) -> Result<String, Fault> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    if !phone.chars().all(allowed) || !(8..=15).contains(&digits.len()) {
        return Err(Fault::NotAPhoneNumber {
            phone: phone.to_string(),
        });
    }
    Ok(digits)
}

async fn pair_code(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PairCodeRequest>,
) -> Result<ApiJson<PairCode>, ApiError> {
    let phone = phone_digits(&request.phone).map_err(|fault| ApiError::Faulty {
        code: "invalid",
        faults: vec![fault],
    })?;
    let code = state.web.pair_code(&phone).await.map_err(refusal)?;
    Ok(ApiJson(PairCode { code }))
}

async fn unlink(
    State(state): State<AppState>,
    Signed(by, client): Signed,
) -> Result<StatusCode, ApiError> {
    state.web.unlink().await.map_err(refusal)?;
    let auth = state.auth.clone();
    super::blocking(move || {
        auth.audit(
            &by.name,
            "whatsapp_web_unlinked",
            "whatsapp-web",
            &client,
            "keys forgotten; a new pairing started",
        );
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn refusal(error: LinkError) -> ApiError {
    let code = match &error {
        LinkError::NotInUse => "not_in_use",
        LinkError::AlreadyLinked => "already_linked",
        LinkError::Refused(_) => "refused",
        LinkError::Storage { .. } => return ApiError::Storage(error.to_string()),
    };
    ApiError::Refused {
        code,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::phone_digits;

    #[test]
    fn phone_numbers_are_taken_as_people_write_them() {
        assert_eq!(
            phone_digits("+58 412-123.45(67)").as_deref(),
            Ok("584121234567")
        );
        assert!(phone_digits("0412").is_err(), "too short");
        assert!(phone_digits("+58 412 CALL NOW").is_err(), "letters");
        assert!(phone_digits("1234567890123456").is_err(), "too long");
    }
}
