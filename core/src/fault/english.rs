//! Faults in English: the API's `message`, the journal and `cocolu check` (the dashboard
//! words them in the person's language itself).

use super::{Fault, Part};
use std::fmt;

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Text => f.write_str("the text"),
            Part::Message => f.write_str("the message"),
            Part::Header => f.write_str("the header"),
            Part::Footer => f.write_str("the footer"),
            Part::Caption => f.write_str("the caption"),
            Part::FileName => f.write_str("the file name"),
            Part::ListButton => f.write_str("the list button"),
            Part::Template => f.write_str("the template"),
            Part::ButtonTitle { button } => write!(f, "button {button} title"),
            Part::ButtonId { button } => write!(f, "button {button} id"),
            Part::SectionTitle { section } => write!(f, "section {section} title"),
            Part::RowTitle { section, row } => write!(f, "row {row} of section {section}: title"),
            Part::RowId { section, row } => write!(f, "row {row} of section {section}: id"),
            Part::RowDescription { section, row } => {
                write!(f, "row {row} of section {section}: description")
            }
        }
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Fault::*;
        match self {
            Syntax { detail, .. } | InvalidValue { detail } => f.write_str(detail),
            UnknownVariant { found, expected } => write!(
                f,
                "unknown variant `{found}`, expected one of {}",
                quoted(expected)
            ),
            UnknownField { found, expected } => {
                write!(
                    f,
                    "unknown field `{found}`, expected one of {}",
                    quoted(expected)
                )
            }
            MissingField { field } => write!(f, "missing field `{field}`"),
            DuplicateField { field } => write!(f, "duplicate field `{field}`"),
            WrongType { found, expected } => {
                write!(f, "invalid type: {found:?}, expected {expected:?}")
            }
            NewerFormat { found, known } => write!(
                f,
                "this file is format version {found}, newer than this Cocolu understands \
                 ({known}); upgrade Cocolu"
            ),
            CannotMigrate { detail } => write!(f, "cannot migrate: {detail}"),
            FileDeleted => f.write_str(
                "the file was deleted; the last good version stays in force until it is saved \
                 again",
            ),
            Unreadable { detail } => write!(f, "cannot read the file: {detail}"),
            NotUtf8 => f.write_str("the file is not UTF-8 text"),
            TemplateName => {
                f.write_str("a template name uses lowercase letters, digits, _ and - only")
            }
            CorruptRecord { detail } => {
                write!(
                    f,
                    "corrupt record ({detail}); `cocolu repair` moves it aside"
                )
            }
            IncompleteSegment { bytes } => write!(
                f,
                "a sealed segment ends with {bytes} bytes of an incomplete record"
            ),
            NotARuleId { id } => write!(
                f,
                "'{id}' is not a rule id (lowercase letters, digits, _ and -)"
            ),
            NoTrigger => {
                f.write_str("the rule has no trigger: give it `text`, `button` or `message_type`")
            }
            BadPattern { detail } => write!(f, "not a valid regular expression: {detail}"),
            NeverMatches => {
                f.write_str("this text has no letters or digits, so it can never match")
            }
            NotAMessageType { kind } => {
                write!(f, "'{kind}' is not a message type a rule can answer")
            }
            NoEffect => f.write_str("the rule neither replies nor acts"),
            NotAFieldName { name } => write!(
                f,
                "'{name}' is not a field name (lowercase letters, digits, _)"
            ),
            NoCaptureTime => f.write_str("a capture needs at least one minute to be answered"),
            NoSuchTemplate { name } => write!(
                f,
                "there is no template '{name}' (built in or in templates/)"
            ),
            TemplateOrText => f.write_str("give the message either a `template` or a `text`"),
            TooManyRules { found, max } => write!(f, "at most {max} rules (this has {found})"),
            TooManyTexts { max } => write!(f, "a rule has at most {max} texts"),
            TextTooLong { max_bytes } => {
                write!(f, "a text or pattern has at most {max_bytes} bytes")
            }
            PatternsTooLong { found_kib, max_kib } => write!(
                f,
                "the regular expressions of all rules have at most {max_kib} KiB of text \
                 together (these have {found_kib} KiB)"
            ),
            PatternsTooComplex { max_mib } => write!(
                f,
                "the regular expressions of all rules together are too large for the bot to use \
                 (over {max_mib} MiB compiled) from this one on: make some simpler (fewer \
                 repetitions such as {{1000}}, fewer alternatives), or use `contains` rules \
                 instead"
            ),
            RuleIdTaken { id } => write!(f, "another rule already has the id '{id}'"),
            OptionUnanswered { id } => write!(
                f,
                "no rule answers the option '{id}': add it to some rule's `when.button`"
            ),
            Empty { what } => write!(f, "{what} is empty"),
            TooLong { what, chars, max } => {
                write!(f, "{what} has {chars} characters; WhatsApp allows {max}")
            }
            ButtonCount { found, max } => {
                write!(f, "{found} buttons; WhatsApp allows 1 to {max}")
            }
            SectionCount { found, max } => {
                write!(f, "{found} sections; WhatsApp allows 1 to {max}")
            }
            RowCount { found, max } => {
                write!(f, "{found} rows in all; WhatsApp allows 1 to {max}")
            }
            SectionNeedsTitle { section } => {
                write!(f, "section {section} needs a title when there are several")
            }
            TemplateIncomplete => f.write_str("a template needs its name and language"),
            NotAMediaType { kind } => write!(f, "'{kind}' is not a media type WhatsApp sends"),
            NoMediaSource => f.write_str("the media has no id or link"),
            NeverClosed { open, close } => write!(f, "`{open}` is never closed with `{close}`"),
            NotAVariable { name } => write!(
                f,
                "`{{{{{name}}}}}` is not a variable name (lowercase letters, digits, _)"
            ),
            EmptyBlank => f.write_str(
                "`[[ ]]` is empty: write between the brackets what is still to fill in, or \
                 remove it",
            ),
            NoBusinessName => f.write_str("the business name is empty"),
            UnknownTimeZone { zone } => write!(
                f,
                "unknown time zone '{zone}'; use an IANA name such as America/Caracas"
            ),
            NoWhatsappWeb => f.write_str(
                "this Cocolu was built without the WhatsApp Web channel; use \"meta\", or build \
                 it with `cargo build --release --features whatsapp-web`",
            ),
            NotAMetaId => f.write_str("an id from Meta is made of digits only"),
            BadSecret => {
                f.write_str("a token or secret has no spaces and is at most 1024 characters long")
            }
            NotAttachable { mime_type } => write!(
                f,
                "WhatsApp does not take a file of type '{mime_type}' as an attachment; send a \
                 photo (JPEG or PNG) or a document (PDF, Word, Excel, PowerPoint or text)"
            ),
            AttachmentTooBig { max_mb } => write!(
                f,
                "the file is larger than the {max_mb} MB WhatsApp takes for its type"
            ),
            EmptyFile => f.write_str("the file is empty"),
            NotLikeItsType { mime_type } => write!(
                f,
                "the file's content is not a '{mime_type}' file, as its type or name says"
            ),
            NoSuchUpload => f.write_str(
                "the attached file is not on the server (uploads are kept for the media \
                 retention); attach it again",
            ),
            AttachmentNeedsMeta => f.write_str(
                "files attached in the dashboard are sent through Meta's Cloud API only, and \
                 this shop uses the WhatsApp Web channel; send a link to the file instead",
            ),
            NotAShortcut => f.write_str(
                "a shortcut has lowercase letters, digits, _ and - only, at most 32 of them",
            ),
            ShortcutTwice { shortcut } => write!(f, "the shortcut /{shortcut} is used twice"),
            TooManyQuickReplies { max } => write!(f, "at most {max} quick replies"),
            SetByServer => f.write_str(
                "this value is set by the server's configuration (its environment), which wins; \
                 change it there",
            ),
            NotARange { range } => write!(
                f,
                "'{range}' is not a range such as \"09:00-18:00\" (or \"20:00-02:00\" past \
                 midnight)"
            ),
            NotADate { date } => write!(f, "'{date}' is not a date such as \"2026-12-25\""),
            NotAPhoneNumber { phone } => write!(
                f,
                "'{phone}' is not a phone number with its country code, such as +58 412 123 4567"
            ),
            LabelLength { max } => write!(f, "a label has 1 to {max} characters"),
            LabelsAtOnce { max } => write!(f, "at most {max} labels at a time"),
            TooManyLabels { max } => write!(f, "a contact has at most {max} labels"),
            NotesTooLong { max } => write!(f, "notes have at most {max} characters"),
            UsernameLength { max } => write!(f, "a username has 1 to {max} characters"),
            UsernameCharacters => f.write_str(
                "a username has lower case letters, digits and `.` `_` `-` `@` `+` only",
            ),
            PasswordTooShort { min } => {
                write!(f, "the password needs at least {min} characters")
            }
            PasswordTooLong { max } => {
                write!(f, "the password can have at most {max} characters")
            }
            PasswordIsUsername => f.write_str("the password cannot be the username"),
            CredentialsTooLong {
                username_max,
                password_max,
            } => write!(
                f,
                "a username has at most {username_max} bytes and a password at most \
                 {password_max}"
            ),
            NameTooLong { max } => write!(f, "a name has at most {max} characters"),
            TokenName { max } => write!(f, "a token needs a name of 1 to {max} characters"),
            LastAdmin => f.write_str("at least one active administrator must remain"),
            IdTwice { id } => write!(f, "the id `{id}` is used twice"),
            UsernameTwice { username } => write!(f, "the username `{username}` is used twice"),
            NotAnArgonHash => {
                f.write_str("not an Argon2 hash; set passwords with `cocolu user reset-password`")
            }
            Other => f.write_str("something is wrong"),
        }
    }
}

/// Several faults in English, as one sentence.
pub fn sentence(faults: &[Fault]) -> String {
    faults
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
