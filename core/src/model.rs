//! The hand-editable documents' data: `rules.json` and `settings.json` as types, shared by the
//! server (which validates, stores and applies them) and the dashboard (whose forms edit
//! them). Plain data with serde; with the `ssr` feature they also describe their JSON Schema.

use serde::{Deserialize, Serialize};

/// A reply button or a list row: the id comes back when the customer taps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Choice {
    /// A button or row without a description.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }
}

/// A titled group of list rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Section {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<Choice>,
}

/// How a rule's text is compared with the customer's message (both normalized).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole message is the text ("hola").
    Exact,
    /// The text appears anywhere ("precio" in "cuál es el precio?").
    #[default]
    Contains,
    /// The text appears as whole words ("hola" in "hola buenas", not in "holanda").
    Word,
    /// The message starts with the text.
    StartsWith,
    /// A regular expression, matched case-insensitively against the message as written.
    Regex,
}

impl MatchKind {
    /// Its name in `rules.json` (`starts_with`).
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Contains => "contains",
            MatchKind::Word => "word",
            MatchKind::StartsWith => "starts_with",
            MatchKind::Regex => "regex",
        }
    }
}

/// The weekly schedule. Each day lists ranges `"HH:MM-HH:MM"`; an empty list means closed;
/// `"00:00-24:00"` is the whole day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Hours {
    #[serde(default)]
    pub monday: Vec<String>,
    #[serde(default)]
    pub tuesday: Vec<String>,
    #[serde(default)]
    pub wednesday: Vec<String>,
    #[serde(default)]
    pub thursday: Vec<String>,
    #[serde(default)]
    pub friday: Vec<String>,
    #[serde(default)]
    pub saturday: Vec<String>,
    #[serde(default)]
    pub sunday: Vec<String>,
    /// Dates the shop is closed all day, `"YYYY-MM-DD"`.
    #[serde(default)]
    pub closed: Vec<String>,
}

/// The contents of `rules.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// Tried in this order; the first rule that matches answers.
    pub rules: Vec<Rule>,
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique; lowercase letters, digits, `_` and `-`.
    pub id: String,
    /// What the rule is for, in the owner's words.
    #[serde(default)]
    pub description: String,
    /// A disabled rule is kept but never answers.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// A greeting rule answers only a message that is just a greeting: when another rule
    /// also matches, that rule answers ("Buenas, ¿cuál es el horario?" gets the hours, not the
    /// menu), and a greeting followed by a question no rule answers gets the fallback (or the
    /// away message) rather than the greeting's reply.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub greeting: bool,
    /// When it answers.
    pub when: When,
    /// What it sends, in order.
    #[serde(default)]
    pub reply: Vec<Reply>,
    /// What it does besides replying.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Minutes before this rule answers the same contact again (0: always).
    #[serde(default)]
    pub cooldown_minutes: u32,
    /// After replying (with a question), keep the contact's next message as a field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<Capture>,
}

/// A capture step: the contact's next text message, within `minutes`, is stored as `field`
/// (for example `pedido`, `email`, `nombre`) and answered with `then`, where `{{field}}` is
/// filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// The field's name: lowercase letters, digits and `_`.
    pub field: String,
    /// How long the question stays open.
    #[serde(default = "capture_minutes")]
    pub minutes: u32,
    /// What to send once the answer is stored.
    #[serde(default)]
    pub then: Vec<Reply>,
}

fn capture_minutes() -> u32 {
    30
}

fn enabled_by_default() -> bool {
    true
}

/// Business-hours condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoursCondition {
    Open,
    Closed,
}

/// Triggers (any one is enough) and conditions (all must hold).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Texts that trigger the rule, compared without case, accents or punctuation.
    #[serde(default)]
    pub text: Vec<String>,
    /// How `text` is compared: `exact`, `contains` (default), `word`, `starts_with`, `regex`.
    #[serde(default, rename = "match")]
    pub match_kind: MatchKind,
    /// Ids of reply buttons or list rows that trigger the rule when tapped.
    #[serde(default)]
    pub button: Vec<String>,
    /// Message types that trigger the rule: `audio` (voice notes), `image`, `video`,
    /// `document`, `sticker`, `location`, `contacts`, `order`.
    #[serde(default)]
    pub message_type: Vec<String>,
    /// Only inside (`open`) or outside (`closed`) business hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursCondition>,
    /// Only on (`true`) or after (`false`) the contact's first message ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_contact: Option<bool>,
    /// Only if the contact has one of these labels.
    #[serde(default)]
    pub labels_any: Vec<String>,
    /// Only if the contact has none of these labels.
    #[serde(default)]
    pub labels_none: Vec<String>,
}

/// Reply buttons (up to 3). The message is a `template` or a `text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ButtonsReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    pub options: Vec<Choice>,
}

/// A list menu (up to 10 rows). The message is a `template` or a `text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListReply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The label of the button that opens the list.
    pub button: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    pub sections: Vec<Section>,
}

/// One message a rule sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// A template from `templates/` (or built in), with its variables filled in.
    Template(String),
    /// A literal text (variables such as `{{nombre}}` are filled in too).
    Text(String),
    /// Reply buttons.
    Buttons(ButtonsReply),
    /// A list menu.
    List(ListReply),
}

/// Something a rule does besides replying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AddLabel(String),
    RemoveLabel(String),
    /// Hand the chat to a person: the bot pauses for this contact.
    Handover,
    /// Opt the contact out of automatic messages.
    OptOut,
}

/// The contents of `settings.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// The business the bot speaks for.
    pub business: Business,
    /// IANA time zone of the shop, such as `America/Caracas` or `Europe/Madrid`.
    pub time_zone: String,
    /// Language the dashboard starts in for new visitors.
    #[serde(default)]
    pub language: Language,
    /// Business hours, in `time_zone`.
    #[serde(default = "default_hours")]
    pub hours: Hours,
    /// Welcome, away, fallback, takeover, opt-out and the automatic-reply cap.
    #[serde(default)]
    pub replies: ReplyPolicy,
    /// Which WhatsApp connection customers' messages come by and replies go out through.
    #[serde(default)]
    pub channel: ChannelKind,
}

/// The WhatsApp connection in use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Meta's WhatsApp Cloud API (a business number verified with Meta).
    #[default]
    Meta,
    /// WhatsApp Web: the shop's own number, linked as a device by scanning a QR code. Needs a
    /// Cocolu built with the `whatsapp-web` feature.
    WhatsappWeb,
}

impl ChannelKind {
    /// The name in `settings.json`.
    pub fn key(self) -> &'static str {
        match self {
            ChannelKind::Meta => "meta",
            ChannelKind::WhatsappWeb => "whatsapp_web",
        }
    }
}

impl From<ChannelKind> for &'static str {
    fn from(kind: ChannelKind) -> &'static str {
        kind.key()
    }
}

impl TryFrom<String> for ChannelKind {
    type Error = String;

    fn try_from(name: String) -> Result<ChannelKind, String> {
        [ChannelKind::Meta, ChannelKind::WhatsappWeb]
            .into_iter()
            .find(|kind| kind.key() == name)
            .ok_or_else(|| format!("unknown channel `{name}`, expected `meta` or `whatsapp_web`"))
    }
}

/// How the bot behaves beyond the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ReplyPolicy {
    /// Template for a contact's first message ever.
    pub welcome_template: String,
    /// Welcome again after this many days of silence (0: only the very first time).
    pub welcome_again_after_days: u32,
    /// Template sent outside business hours when no rule answers.
    pub away_template: String,
    /// At most one away message per contact per this many hours.
    pub away_every_hours: u32,
    /// Template sent when no rule matches.
    pub fallback_template: String,
    /// At most one fallback per contact per this many minutes.
    pub fallback_every_minutes: u32,
    /// Hours the bot stays paused for a contact after a person takes over.
    pub takeover_quiet_hours: u32,
    /// Words that opt a contact out of automatic messages.
    pub opt_out_keywords: Vec<String>,
    /// Template confirming the opt-out (sent once).
    pub opt_out_template: String,
    /// Words that opt a contact back in.
    pub opt_in_keywords: Vec<String>,
    /// Template confirming the opt-in.
    pub opt_in_template: String,
    /// At most this many automatic replies per contact per hour.
    pub max_auto_replies_per_hour: u32,
}

impl Default for ReplyPolicy {
    fn default() -> ReplyPolicy {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect();
        ReplyPolicy {
            welcome_template: "bienvenida".into(),
            welcome_again_after_days: 0,
            away_template: "fuera_de_horario".into(),
            away_every_hours: 12,
            fallback_template: "no_entendi".into(),
            fallback_every_minutes: 30,
            takeover_quiet_hours: 12,
            opt_out_keywords: words(&["baja", "stop", "darme de baja", "no quiero mensajes"]),
            opt_out_template: "baja".into(),
            opt_in_keywords: words(&["alta", "start"]),
            opt_in_template: "alta".into(),
            max_auto_replies_per_hour: 20,
        }
    }
}

pub fn default_hours() -> Hours {
    let day = |ranges: &[&str]| ranges.iter().map(|r| r.to_string()).collect();
    Hours {
        monday: day(&["09:00-18:00"]),
        tuesday: day(&["09:00-18:00"]),
        wednesday: day(&["09:00-18:00"]),
        thursday: day(&["09:00-18:00"]),
        friday: day(&["09:00-18:00"]),
        saturday: day(&["09:00-13:00"]),
        sunday: Vec::new(),
        closed: Vec::new(),
    }
}

/// The business the bot speaks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Business {
    /// The name customers know, used as `{{negocio}}` in templates.
    pub name: String,
    /// One line about the shop.
    #[serde(default)]
    pub description: String,
}

/// A dashboard language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Es,
    En,
}

/// Where the WhatsApp Web channel's link with the shop's phone stands (that channel only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LinkState {
    /// Opening the connection (at start, after pairing, or reconnecting).
    Connecting,
    /// Waiting for the phone: the QR code to scan (rotated by the library) and, when a phone
    /// number was given, the code to type instead. `expires_at` is in ms since the epoch.
    Pairing {
        qr: Option<String>,
        code: Option<String>,
        expires_at: i64,
    },
    /// Linked and online.
    Connected { number: Option<String> },
    /// The connection dropped; it is being opened again. `since` is in ms since the epoch.
    Disconnected { reason: String, since: i64 },
    /// Not linked any more: pairing again is needed.
    LoggedOut { reason: String },
}
