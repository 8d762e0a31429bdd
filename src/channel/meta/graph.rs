//! The Graph API client: sends messages and read receipts, checks the connection, lists the
//! approved templates. Every failure is classified the way the outbox needs it: retry later,
//! space out this customer, needs a template, token invalid (pause), or permanent.
//!
//! The base URL comes from configuration (`META_GRAPH_URL`); tests point it at a stand-in.
//! This is the Meta implementation of [`Channel`].

use super::{MetaConfig, MetaLink};
use crate::channel::Channel;
use cocolu_core::api::channel::{ApprovedTemplate, PhoneNumberInfo};
use cocolu_core::contact::ContactRef;
use cocolu_core::log::{Failure, SendError};
use cocolu_core::media_types;
use cocolu_core::outbound::{self, Outbound};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What one of Meta's error codes means for sending, for the codes that say more than
/// "permanent" (Cloud API error codes).
pub fn failure_of_code(code: i64) -> Option<Failure> {
    match code {
        190 => Some(Failure::TokenInvalid),
        131047 => Some(Failure::OutsideWindow),
        131056 => Some(Failure::RecipientThrottled),
        130429 | 80007 | 131048 | 4 | 613 | 131000 | 1 | 2 => Some(Failure::Retry),
        _ => None,
    }
}

/// Classifies Meta's answer (`{"error": {"code", "error_subcode", "message", "error_data"}}`).
pub fn classify(status: u16, body: &Value) -> SendError {
    let error = body.get("error");
    let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
    let subcode = error
        .and_then(|e| e.get("error_subcode"))
        .and_then(Value::as_i64);
    let details = error
        .and_then(|e| e.pointer("/error_data/details"))
        .and_then(Value::as_str);
    let text = error
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("no message");
    let message = match (code, details) {
        (Some(code), Some(details)) => format!("Meta error {code}: {text} ({details})"),
        (Some(code), None) => format!("Meta error {code}: {text}"),
        (None, _) => format!("the Graph API answered HTTP {status}"),
    };
    let failure = match code.and_then(failure_of_code) {
        Some(failure) => failure,
        None if status == 429 || status >= 500 => Failure::Retry,
        None => Failure::Permanent,
    };
    SendError {
        failure,
        status: Some(status),
        code,
        subcode,
        message,
    }
}

/// Where an inbound media file can be downloaded (the URL expires after a few minutes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: Option<String>,
    pub file_size: Option<u64>,
}

/// Hosts Meta serves inbound media from (`lookaside.fbsbx.com` in Meta's documentation of
/// `GET /{media_id}`), and the domains of its CDNs: the access token may go to these.
const META_MEDIA_HOST: &str = "lookaside.fbsbx.com";
const META_DOMAINS: [&str; 4] = [".fbsbx.com", ".facebook.com", ".fbcdn.net", ".whatsapp.net"];

/// Whether the access token may be sent to `url` (a media download URL the Graph API gave):
/// to Meta's hosts over https, or to the configured Graph API itself (same scheme, host and
/// port; the tests' stand-in is plain http on 127.0.0.1). Anywhere else the token would be
/// handed to whoever runs that host, so the answer is why not.
pub fn token_may_go_to(url: &str, graph_url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| "the Graph API gave a media URL that is not a URL: not fetched".to_string())?;
    let host = parsed.host_str().unwrap_or("");
    let same_origin = |graph: reqwest::Url| {
        graph.scheme() == parsed.scheme()
            && graph.host_str() == parsed.host_str()
            && graph.port_or_known_default() == parsed.port_or_known_default()
    };
    let graph_api = reqwest::Url::parse(graph_url).is_ok_and(same_origin);
    let meta = parsed.scheme() == "https"
        && (host == META_MEDIA_HOST || META_DOMAINS.iter().any(|d| host.ends_with(d)));
    if graph_api || meta {
        Ok(parsed)
    } else {
        Err(format!(
            "the Graph API gave a media URL on {scheme}://{host}, which is neither Meta's \
             (https on {META_MEDIA_HOST}, *.fbsbx.com, *.facebook.com, *.fbcdn.net, \
             *.whatsapp.net) nor the configured Graph API: not fetched, so the access token \
             is not sent there",
            scheme = parsed.scheme(),
        ))
    }
}

/// A media file being downloaded, a piece at a time (nothing holds the whole file).
pub struct MediaDownload {
    response: reqwest::Response,
}

impl MediaDownload {
    /// The size the server announced, if it did.
    pub fn announced_len(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next piece, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, SendError> {
        self.response.chunk().await.map_err(|e| {
            SendError::local(Failure::Retry, format!("the media download broke off: {e}"))
        })
    }
}

/// The Graph API, as configured.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    link: MetaLink,
    /// Where attached files wait to be uploaded (the data folder's `media/`).
    media_dir: std::path::PathBuf,
}

/// How long an upload may take: the usual request time, plus a second per 128 KB (a 100 MB
/// document on a slow uplink).
fn upload_time(bytes: u64) -> Duration {
    Duration::from_secs(20 + bytes / (128 * 1024))
}

impl GraphClient {
    pub fn new(link: MetaLink, media_dir: std::path::PathBuf) -> GraphClient {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("cocolu/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        GraphClient {
            http,
            link,
            media_dir,
        }
    }

    /// The connection in force now (changed from the dashboard without a restart).
    fn config(&self) -> MetaConfig {
        self.link.current()
    }

    fn url(config: &MetaConfig, path: &str) -> String {
        format!("{}/{}/{path}", config.graph_url, config.graph_version)
    }

    fn token(config: &MetaConfig) -> Result<&str, SendError> {
        config.access_token.as_deref().ok_or_else(|| {
            SendError::local(
                Failure::TokenInvalid,
                "the access token (META_ACCESS_TOKEN) is not configured",
            )
        })
    }

    fn phone_number_id(config: &MetaConfig) -> Result<&str, SendError> {
        config.phone_number_id.as_deref().ok_or_else(|| {
            SendError::local(
                Failure::Permanent,
                "the phone number id (META_PHONE_NUMBER_ID) is not configured",
            )
        })
    }

    async fn call(
        &self,
        config: &MetaConfig,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SendError> {
        let response = request
            .bearer_auth(Self::token(config)?)
            .send()
            .await
            .map_err(|e| {
                SendError::local(Failure::Retry, format!("cannot reach the Graph API: {e}"))
            })?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(classify(status, &body))
        }
    }

    /// `POST /{version}/{phone_number_id}/media`: uploads an attached file (streamed from
    /// the media folder, as `multipart/form-data`); returns its media id.
    async fn upload(
        &self,
        config: &MetaConfig,
        file: &str,
        filename: Option<&str>,
    ) -> Result<String, SendError> {
        let gone = |e: std::io::Error| {
            SendError::local(
                Failure::Permanent,
                format!(
                    "the attached file is no longer on the server (kept for the media \
                     retention): {e}"
                ),
            )
        };
        // Only a file a reply claimed (the reply handler renames it) is sent.
        let media_type =
            media_types::stored_type(file, media_types::ATTACHED).ok_or_else(|| {
                SendError::local(
                    Failure::Permanent,
                    format!("{file} is not a file attached to a reply"),
                )
            })?;
        let opened = tokio::fs::File::open(self.media_dir.join(file))
            .await
            .map_err(gone)?;
        let size = opened.metadata().await.map_err(gone)?.len();
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(opened));
        let part = reqwest::multipart::Part::stream_with_length(body, size)
            .file_name(filename.unwrap_or(file).to_string())
            .mime_str(media_type.mime_type)
            .map_err(|e| SendError::local(Failure::Permanent, e.to_string()))?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", media_type.mime_type)
            .part("file", part);
        let url = Self::url(config, &format!("{}/media", Self::phone_number_id(config)?));
        let answer = self
            .call(
                config,
                self.http
                    .post(url)
                    .multipart(form)
                    .timeout(upload_time(size)),
            )
            .await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                SendError::local(
                    Failure::Permanent,
                    "the Graph API accepted the file but returned no media id",
                )
            })
    }

    /// Sends a message; returns Meta's id for it (`wamid...`). Limits are checked first; an
    /// attached file is uploaded first, and sent by its media id.
    pub async fn send(&self, to: &ContactRef, message: &Outbound) -> Result<String, SendError> {
        outbound::check(message)
            .map_err(|e| SendError::local(Failure::Permanent, e.to_string()))?;
        let config = self.config();
        let uploaded;
        let message = match message {
            Outbound::Attachment {
                kind,
                file,
                filename,
                caption,
            } => {
                uploaded = Outbound::Media {
                    kind: kind.as_str().into(),
                    source: self.upload(&config, file, filename.as_deref()).await?,
                    caption: caption.clone(),
                    filename: filename.clone(),
                };
                &uploaded
            }
            other => other,
        };
        let url = Self::url(
            &config,
            &format!("{}/messages", Self::phone_number_id(&config)?),
        );
        let body = self
            .call(
                &config,
                self.http
                    .post(url)
                    .json(&super::body::graph_body(to, message)),
            )
            .await?;
        body.pointer("/messages/0/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                SendError::local(
                    Failure::Permanent,
                    "the Graph API accepted the message but returned no id",
                )
            })
    }

    /// Marks a customer's message as read, optionally showing the typing indicator.
    pub async fn mark_read(&self, message_id: &str, typing: bool) -> Result<(), SendError> {
        let config = self.config();
        let url = Self::url(
            &config,
            &format!("{}/messages", Self::phone_number_id(&config)?),
        );
        self.call(
            &config,
            self.http
                .post(url)
                .json(&super::body::read_receipt_body(message_id, typing)),
        )
        .await
        .map(|_| ())
    }

    /// `GET /{version}/{media_id}`: where to download an inbound media file.
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, SendError> {
        let config = self.config();
        let body = self
            .call(&config, self.http.get(Self::url(&config, media_id)))
            .await?;
        let url = body.get("url").and_then(Value::as_str).ok_or_else(|| {
            SendError::local(Failure::Permanent, "the Graph API returned no media URL")
        })?;
        Ok(MediaInfo {
            url: url.to_string(),
            mime_type: body
                .get("mime_type")
                .and_then(Value::as_str)
                .map(str::to_string),
            file_size: body.get("file_size").and_then(Value::as_u64),
        })
    }

    /// Starts downloading an inbound media file from the URL [`GraphClient::media_info`]
    /// gave. The access token goes with the request only when [`token_may_go_to`] allows the
    /// URL; otherwise no request is made at all. (On a redirect to another host, reqwest
    /// drops the `Authorization` header.)
    pub async fn open_download(&self, url: &str) -> Result<MediaDownload, SendError> {
        let config = self.config();
        let url = token_may_go_to(url, &config.graph_url)
            .map_err(|reason| SendError::local(Failure::Permanent, reason))?;
        let response = self
            .http
            .get(url)
            .bearer_auth(Self::token(&config)?)
            .send()
            .await
            .map_err(|e| {
                SendError::local(Failure::Retry, format!("cannot download the media: {e}"))
            })?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return Err(classify(status, &body));
        }
        Ok(MediaDownload { response })
    }

    /// `GET /{version}/{phone_number_id}`: the verified name and number, or why not.
    pub async fn check_connection(&self) -> Result<PhoneNumberInfo, SendError> {
        let config = self.config();
        let url = Self::url(&config, Self::phone_number_id(&config)?);
        let body = self
            .call(
                &config,
                self.http.get(url).query(&[(
                    "fields",
                    "verified_name,display_phone_number,quality_rating",
                )]),
            )
            .await?;
        let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
        Ok(PhoneNumberInfo {
            verified_name: field("verified_name"),
            display_phone_number: field("display_phone_number"),
            quality_rating: field("quality_rating"),
        })
    }

    /// The approved templates of the business account.
    pub async fn approved_templates(&self) -> Result<Vec<ApprovedTemplate>, SendError> {
        let config = self.config();
        let waba = config.waba_id.as_deref().ok_or_else(|| {
            SendError::local(
                Failure::Permanent,
                "the business account id (META_WABA_ID) is not configured",
            )
        })?;
        let url = Self::url(&config, &format!("{waba}/message_templates"));
        let body = self
            .call(
                &config,
                self.http.get(url).query(&[
                    ("status", "APPROVED"),
                    ("limit", "100"),
                    ("fields", "name,language,category,status,components"),
                ]),
            )
            .await?;
        let templates = body
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(templates
            .iter()
            .filter(|t| {
                t.get("status")
                    .and_then(Value::as_str)
                    .is_none_or(|s| s == "APPROVED")
            })
            .filter_map(|t| {
                Some(ApprovedTemplate {
                    name: t.get("name")?.as_str()?.to_string(),
                    language: t.get("language")?.as_str()?.to_string(),
                    category: t
                        .get("category")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    body: t
                        .get("components")
                        .and_then(Value::as_array)
                        .and_then(|c| {
                            c.iter()
                                .find(|c| c.get("type").and_then(Value::as_str) == Some("BODY"))
                        })
                        .and_then(|c| c.get("text"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
            })
            .collect())
    }
}

impl Channel for GraphClient {
    fn send<'a>(
        &'a self,
        to: &'a ContactRef,
        message: &'a Outbound,
    ) -> Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>> {
        Box::pin(GraphClient::send(self, to, message))
    }

    fn mark_read<'a>(
        &'a self,
        message_id: &'a str,
        typing: bool,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(GraphClient::mark_read(self, message_id, typing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta_error(code: i64) -> Value {
        json!({"error": {"message": "x", "type": "OAuthException", "code": code, "error_data": {"details": "d"}, "fbtrace_id": "A"}})
    }

    #[test]
    fn meta_error_codes_are_classified() {
        assert_eq!(
            classify(401, &meta_error(190)).failure,
            Failure::TokenInvalid
        );
        assert_eq!(
            classify(400, &meta_error(131047)).failure,
            Failure::OutsideWindow
        );
        assert_eq!(
            classify(400, &meta_error(131056)).failure,
            Failure::RecipientThrottled
        );
        assert_eq!(classify(400, &meta_error(130429)).failure, Failure::Retry);
        assert_eq!(
            classify(400, &meta_error(131026)).failure,
            Failure::Permanent
        );
        assert_eq!(classify(400, &meta_error(100)).failure, Failure::Permanent);
    }

    #[test]
    fn http_statuses_without_a_meta_error_are_classified() {
        assert_eq!(classify(503, &Value::Null).failure, Failure::Retry);
        assert_eq!(classify(429, &Value::Null).failure, Failure::Retry);
        assert_eq!(classify(404, &Value::Null).failure, Failure::Permanent);
    }

    const GRAPH: &str = "https://graph.facebook.com";

    #[test]
    fn the_token_goes_to_meta_media_hosts_over_https() {
        for url in [
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=3",
            "https://scontent.xx.fbcdn.net/v/t1/abc.jpg",
            "https://mmg.whatsapp.net/d/f/abc.enc",
            "https://cdn.fbsbx.com/x",
            "https://graph.facebook.com/v23.0/123",
            "https://LOOKASIDE.FBSBX.COM/x",
        ] {
            assert!(token_may_go_to(url, GRAPH).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_token_goes_nowhere_else() {
        for url in [
            "http://lookaside.fbsbx.com/x",
            "https://fbsbx.com.evil.example/x",
            "https://evilfbsbx.com/x",
            "https://evil.example/lookaside.fbsbx.com",
            "https://lookaside.fbsbx.com@evil.example/x",
            "https://lookaside.fbsbx.com.evil.example/x",
            "https://127.0.0.1/x",
            "ftp://lookaside.fbsbx.com/x",
            "not a url",
            "",
        ] {
            assert!(token_may_go_to(url, GRAPH).is_err(), "{url}");
        }
    }

    #[test]
    fn the_token_goes_to_the_configured_graph_api_on_its_own_scheme_host_and_port() {
        let graph = "http://127.0.0.1:4000";
        assert!(token_may_go_to("http://127.0.0.1:4000/download/M1", graph).is_ok());
        assert!(token_may_go_to("http://127.0.0.1:4001/download/M1", graph).is_err());
        assert!(token_may_go_to("https://127.0.0.1:4000/download/M1", graph).is_err());
        assert!(token_may_go_to("http://localhost:4000/download/M1", graph).is_err());
    }

    #[test]
    fn a_refusal_names_the_host() {
        let reason = token_may_go_to("https://evil.example/m", GRAPH).expect_err("refused");
        assert!(reason.contains("https://evil.example"), "{reason}");
        assert!(reason.contains("access token"), "{reason}");
    }

    #[test]
    fn the_message_names_code_and_details() {
        let error = classify(400, &meta_error(131047));
        assert_eq!(error.message, "Meta error 131047: x (d)");
        assert_eq!(error.code, Some(131047));
    }
}
