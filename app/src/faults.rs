//! The server's faults ([`Fault`]: a code and its parameters) in the dashboard's language.
//! The words are a module of their own that the browser loads with the first fault to show,
//! so a page that never shows one does not carry them.

use crate::api::Failure;
use crate::i18n::Lang;
use cocolu_core::document::FileProblem;
use cocolu_core::fault::{Fault, FaultJson, JsonKind, Part, Syntax};

/// `found` in the language, as a list: `«a», «b» o «c»`.
fn choices(words: &[String], lang: Lang) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("«{w}»")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => {
            let or = if lang == Lang::Es { "o" } else { "or" };
            format!("{} {or} {last}", rest.join(", "))
        }
    }
}

fn kind(kind: JsonKind, lang: Lang) -> &'static str {
    let es = lang == Lang::Es;
    match kind {
        JsonKind::Text => {
            if es {
                "un texto entre comillas"
            } else {
                "a text in quotes"
            }
        }
        JsonKind::Number => {
            if es {
                "un número"
            } else {
                "a number"
            }
        }
        JsonKind::Boolean => {
            if es {
                "true o false"
            } else {
                "true or false"
            }
        }
        JsonKind::List => {
            if es {
                "una lista [ ]"
            } else {
                "a list [ ]"
            }
        }
        JsonKind::Object => {
            if es {
                "un objeto { }"
            } else {
                "an object { }"
            }
        }
        JsonKind::Null => "null",
        JsonKind::Other => {
            if es {
                "otro valor"
            } else {
                "another value"
            }
        }
    }
}

fn part(part: Part, lang: Lang) -> String {
    let es = lang == Lang::Es;
    match part {
        Part::Text => (if es { "El texto" } else { "The text" }).into(),
        Part::Message => (if es { "El mensaje" } else { "The message" }).into(),
        Part::Header => (if es { "El encabezado" } else { "The header" }).into(),
        Part::Footer => (if es { "El pie" } else { "The footer" }).into(),
        Part::Caption => (if es { "El pie de foto" } else { "The caption" }).into(),
        Part::FileName => (if es {
            "El nombre del archivo"
        } else {
            "The file name"
        })
        .into(),
        Part::ListButton => (if es {
            "El botón de la lista"
        } else {
            "The list button"
        })
        .into(),
        Part::Template => (if es { "La plantilla" } else { "The template" }).into(),
        Part::ButtonTitle { button } => {
            if es {
                format!("El título del botón {button}")
            } else {
                format!("Button {button}'s title")
            }
        }
        Part::ButtonId { button } => {
            if es {
                format!("El identificador del botón {button}")
            } else {
                format!("Button {button}'s id")
            }
        }
        Part::SectionTitle { section } => {
            if es {
                format!("El título de la sección {section}")
            } else {
                format!("Section {section}'s title")
            }
        }
        Part::RowTitle { section, row } => {
            if es {
                format!("El título de la opción {row} (sección {section})")
            } else {
                format!("The title of option {row} (section {section})")
            }
        }
        Part::RowId { section, row } => {
            if es {
                format!("El identificador de la opción {row} (sección {section})")
            } else {
                format!("The id of option {row} (section {section})")
            }
        }
        Part::RowDescription { section, row } => {
            if es {
                format!("La descripción de la opción {row} (sección {section})")
            } else {
                format!("The description of option {row} (section {section})")
            }
        }
    }
}

fn syntax(problem: Syntax, lang: Lang) -> &'static str {
    let es = lang == Lang::Es;
    match problem {
        Syntax::EndsEarly => {
            if es {
                "El archivo termina antes de cerrar todo lo que abre: falta un «}», un «]» o unas comillas"
            } else {
                "The file ends before closing everything it opens: a «}», «]» or quote is missing"
            }
        }
        Syntax::ExpectedValue => {
            if es {
                "Aquí falta un valor (un texto entre comillas, un número, true, false, una lista o un objeto)"
            } else {
                "A value is missing here (a text in quotes, a number, true, false, a list or an object)"
            }
        }
        Syntax::ExpectedComma => {
            if es {
                "Aquí falta una coma, o cerrar la lista o el objeto"
            } else {
                "A comma is missing here, or the end of the list or object"
            }
        }
        Syntax::ExpectedColon => {
            if es {
                "Aquí faltan los dos puntos «:» entre el nombre y su valor"
            } else {
                "The colon «:» between a name and its value is missing here"
            }
        }
        Syntax::TrailingComma => {
            if es {
                "Sobra una coma antes de cerrar la lista o el objeto"
            } else {
                "There is one comma too many before the end of the list or object"
            }
        }
        Syntax::TrailingCharacters => {
            if es {
                "Hay texto de más después del final del archivo"
            } else {
                "There is text after the end of the document"
            }
        }
        Syntax::KeyMustBeText => {
            if es {
                "Un nombre debe ir entre comillas dobles"
            } else {
                "A name must be in double quotes"
            }
        }
        Syntax::Other => {
            if es {
                "Esto no es JSON válido"
            } else {
                "This is not valid JSON"
            }
        }
    }
}

/// One fault, in `lang`.
pub fn word(fault: &Fault, lang: Lang) -> String {
    let es = lang == Lang::Es;
    let say = |spanish: String, english: String| if es { spanish } else { english };
    match fault {
        Fault::Syntax { problem, .. } => syntax(*problem, lang).into(),
        Fault::UnknownVariant { found, expected } => say(
            format!("«{found}» no es una de las opciones: {}", choices(expected, lang)),
            format!("«{found}» is not one of the choices: {}", choices(expected, lang)),
        ),
        Fault::UnknownField { found, expected } => say(
            format!("«{found}» no es un campo de este archivo (se esperaba {})", choices(expected, lang)),
            format!("«{found}» is not a field of this file (expected {})", choices(expected, lang)),
        ),
        Fault::MissingField { field } => say(
            format!("Falta el campo «{field}»"),
            format!("The field «{field}» is missing"),
        ),
        Fault::DuplicateField { field } => say(
            format!("El campo «{field}» aparece dos veces"),
            format!("The field «{field}» appears twice"),
        ),
        Fault::WrongType { found, expected } => say(
            format!("Aquí va {}, no {}", kind(*expected, lang), kind(*found, lang)),
            format!("This takes {}, not {}", kind(*expected, lang), kind(*found, lang)),
        ),
        Fault::InvalidValue { detail } => say(
            format!("Valor no válido ({detail})"),
            format!("Invalid value ({detail})"),
        ),
        Fault::NewerFormat { found, known } => say(
            format!("El archivo es del formato {found}, más nuevo que el que entiende este Cocolu ({known}): actualiza Cocolu"),
            format!("The file is format {found}, newer than this Cocolu understands ({known}): upgrade Cocolu"),
        ),
        Fault::CannotMigrate { detail } => say(
            format!("No se pudo pasar el archivo al formato actual ({detail})"),
            format!("The file could not be brought to the current format ({detail})"),
        ),
        Fault::FileDeleted => say(
            "Se borró el archivo; sigue vigente la última versión buena hasta que se guarde de nuevo".into(),
            "The file was deleted; the last good version stays in force until it is saved again".into(),
        ),
        Fault::Unreadable { detail } => say(
            format!("No se puede leer el archivo ({detail})"),
            format!("The file cannot be read ({detail})"),
        ),
        Fault::NotUtf8 => say(
            "El archivo no es texto UTF-8".into(),
            "The file is not UTF-8 text".into(),
        ),
        Fault::TemplateName => say(
            "El nombre de un texto lleva solo minúsculas, números, _ y -".into(),
            "A text's name has lowercase letters, digits, _ and - only".into(),
        ),
        Fault::CorruptRecord { .. } => say(
            "Registro dañado: «cocolu repair» lo aparta".into(),
            "Damaged record: `cocolu repair` moves it aside".into(),
        ),
        Fault::IncompleteSegment { bytes } => say(
            format!("Un tramo cerrado del registro acaba con {bytes} bytes incompletos"),
            format!("A sealed log segment ends with {bytes} bytes of an incomplete record"),
        ),
        Fault::NotARuleId { id } => say(
            format!("«{id}» no sirve como identificador: usa minúsculas, números, _ y -"),
            format!("«{id}» is not a valid id: use lowercase letters, digits, _ and -"),
        ),
        Fault::NoTrigger => say(
            "La regla no tiene disparador: añade palabras, un botón o un tipo de mensaje".into(),
            "The rule has no trigger: add words, a button or a message type".into(),
        ),
        Fault::BadPattern { .. } => say(
            "No es una expresión regular válida".into(),
            "Not a valid regular expression".into(),
        ),
        Fault::NeverMatches => say(
            "Este texto no tiene letras ni números, así que nunca coincidirá".into(),
            "This text has no letters or digits, so it can never match".into(),
        ),
        Fault::NotAMessageType { kind } => say(
            format!("«{kind}» no es un tipo de mensaje que una regla pueda contestar"),
            format!("«{kind}» is not a message type a rule can answer"),
        ),
        Fault::NoEffect => say(
            "La regla ni responde ni hace nada: añade una respuesta o una acción".into(),
            "The rule neither replies nor acts: add a reply or an action".into(),
        ),
        Fault::NotAFieldName { name } => say(
            format!("«{name}» no sirve como nombre de dato: usa minúsculas, números y _"),
            format!("«{name}» is not a field name: use lowercase letters, digits and _"),
        ),
        Fault::NoCaptureTime => say(
            "La pregunta necesita al menos un minuto para ser contestada".into(),
            "The question needs at least one minute to be answered".into(),
        ),
        Fault::NoSuchTemplate { name } => say(
            format!("No existe el texto «{name}»"),
            format!("There is no text «{name}»"),
        ),
        Fault::TemplateOrText => say(
            "La respuesta lleva o un texto guardado o un texto escrito, no los dos".into(),
            "The reply takes either a saved text or a written one, not both".into(),
        ),
        Fault::TooManyRules { found, max } => say(
            format!("Como mucho {max} reglas (hay {found})"),
            format!("At most {max} rules (there are {found})"),
        ),
        Fault::TooManyTexts { max } => say(
            format!("Una regla tiene como mucho {max} textos"),
            format!("A rule has at most {max} texts"),
        ),
        Fault::TextTooLong { max_bytes } => say(
            format!("Un texto o patrón tiene como mucho {max_bytes} bytes"),
            format!("A text or pattern has at most {max_bytes} bytes"),
        ),
        Fault::PatternsTooLong { found_kib, max_kib } => say(
            format!("Las expresiones regulares de todas las reglas suman como mucho {max_kib} KiB (estas suman {found_kib} KiB)"),
            format!("The regular expressions of all rules add up to at most {max_kib} KiB (these add up to {found_kib} KiB)"),
        ),
        Fault::PatternsTooComplex { .. } => say(
            "Las expresiones regulares son demasiado complejas a partir de esta: simplifica alguna o usa reglas de «contiene»".into(),
            "The regular expressions are too complex from this one on: simplify some or use «contains» rules".into(),
        ),
        Fault::RuleIdTaken { id } => say(
            format!("Otra regla ya se llama «{id}»"),
            format!("Another rule is already called «{id}»"),
        ),
        Fault::OptionUnanswered { id } => say(
            format!("Ninguna regla contesta la opción «{id}»: añádela a los botones de alguna regla"),
            format!("No rule answers the option «{id}»: add it to some rule's buttons"),
        ),
        Fault::Empty { what } => say(
            format!("{} está vacío", part(*what, lang)),
            format!("{} is empty", part(*what, lang)),
        ),
        Fault::TooLong { what, chars, max } => say(
            format!("{} tiene {chars} caracteres; WhatsApp permite {max}", part(*what, lang)),
            format!("{} has {chars} characters; WhatsApp allows {max}", part(*what, lang)),
        ),
        Fault::ButtonCount { found, max } => say(
            format!("{found} botones; WhatsApp permite de 1 a {max}"),
            format!("{found} buttons; WhatsApp allows 1 to {max}"),
        ),
        Fault::SectionCount { found, max } => say(
            format!("{found} secciones; WhatsApp permite de 1 a {max}"),
            format!("{found} sections; WhatsApp allows 1 to {max}"),
        ),
        Fault::RowCount { found, max } => say(
            format!("{found} opciones en total; WhatsApp permite de 1 a {max}"),
            format!("{found} options in all; WhatsApp allows 1 to {max}"),
        ),
        Fault::SectionNeedsTitle { section } => say(
            format!("La sección {section} necesita un título cuando hay varias"),
            format!("Section {section} needs a title when there are several"),
        ),
        Fault::TemplateIncomplete => say(
            "Una plantilla necesita su nombre y su idioma".into(),
            "A template needs its name and language".into(),
        ),
        Fault::NotAMediaType { kind } => say(
            format!("WhatsApp no envía archivos de tipo «{kind}»"),
            format!("WhatsApp does not send files of type «{kind}»"),
        ),
        Fault::NoMediaSource => say(
            "Falta el archivo o su enlace".into(),
            "The file or its link is missing".into(),
        ),
        Fault::NeverClosed { open, close } => say(
            format!("«{open}» no se cierra con «{close}»"),
            format!("«{open}» is never closed with «{close}»"),
        ),
        Fault::NotAVariable { name } => say(
            format!("«{{{{{name}}}}}» no es un nombre de variable: usa minúsculas, números y _"),
            format!("«{{{{{name}}}}}» is not a variable name: use lowercase letters, digits and _"),
        ),
        Fault::EmptyBlank => say(
            "«[[ ]]» está vacío: escribe entre los corchetes lo que falta por completar, o quítalo".into(),
            "«[[ ]]» is empty: write between the brackets what is still to fill in, or remove it".into(),
        ),
        Fault::NoBusinessName => say(
            "Falta el nombre del negocio".into(),
            "The business name is missing".into(),
        ),
        Fault::UnknownTimeZone { zone } => say(
            format!("«{zone}» no es una zona horaria conocida; elige una de la lista, como America/Caracas"),
            format!("«{zone}» is not a known time zone; choose one from the list, such as America/Caracas"),
        ),
        Fault::NoWhatsappWeb => say(
            "Este Cocolu se compiló sin el canal WhatsApp Web; usa la API de Meta".into(),
            "This Cocolu was built without the WhatsApp Web channel; use Meta's API".into(),
        ),
        Fault::NotAMetaId => say(
            "Los identificadores de Meta son solo números: cópialo tal cual de Meta".into(),
            "Meta's ids are digits only: copy it exactly as Meta shows it".into(),
        ),
        Fault::BadSecret => say(
            "Sin espacios y de 1024 caracteres como mucho: cópialo tal cual de Meta".into(),
            "No spaces, and at most 1024 characters: copy it exactly as Meta shows it".into(),
        ),
        // The type's technical name (`application/x-msdownload`) means nothing to a person.
        Fault::NotAttachable { .. } => say(
            "WhatsApp no acepta este tipo de archivo: envía una foto (JPEG o PNG) o un documento (PDF, Word, Excel, PowerPoint o texto)".into(),
            "WhatsApp does not take this kind of file: send a photo (JPEG or PNG) or a document (PDF, Word, Excel, PowerPoint or text)".into(),
        ),
        Fault::AttachmentTooBig { max_mb } => say(
            format!("El archivo pesa más de {max_mb} MB, lo máximo que WhatsApp acepta para ese tipo"),
            format!("The file is larger than {max_mb} MB, the most WhatsApp takes for its type"),
        ),
        Fault::EmptyFile => say("El archivo está vacío".into(), "The file is empty".into()),
        Fault::NotLikeItsType { mime_type } => say(
            format!("El contenido del archivo no es de tipo «{mime_type}», como dice su nombre: quizá lo renombraron"),
            format!("The file's content is not «{mime_type}», as its name says: it may have been renamed"),
        ),
        Fault::NoSuchUpload => say(
            "El archivo adjunto ya no está en el servidor: adjúntalo otra vez".into(),
            "The attached file is no longer on the server: attach it again".into(),
        ),
        Fault::AttachmentNeedsMeta => say(
            "Los archivos adjuntos se envían solo con la API de Meta, y esta tienda usa WhatsApp Web: envía un enlace al archivo".into(),
            "Attached files are sent through Meta's API only, and this shop uses WhatsApp Web: send a link to the file instead".into(),
        ),
        Fault::NotAShortcut => say(
            "Un atajo lleva solo minúsculas, números, _ y -, sin espacios (32 como mucho)".into(),
            "A shortcut has lowercase letters, digits, _ and - only, no spaces (32 at most)".into(),
        ),
        Fault::ShortcutTwice { shortcut } => say(
            format!("El atajo /{shortcut} ya lo usa otra respuesta"),
            format!("The shortcut /{shortcut} is already used by another answer"),
        ),
        Fault::TooManyQuickReplies { max } => say(
            format!("Caben {max} respuestas rápidas como mucho"),
            format!("There is room for {max} quick replies at most"),
        ),
        Fault::SetByServer => say(
            "Este valor lo fija la configuración del servidor, que manda; se cambia allí".into(),
            "This value is set by the server's configuration, which wins; change it there".into(),
        ),
        Fault::NotARange { range } => say(
            format!("«{range}» no es un horario como 09:00-18:00 (o 20:00-02:00 pasada la medianoche)"),
            format!("«{range}» is not a range such as 09:00-18:00 (or 20:00-02:00 past midnight)"),
        ),
        Fault::NotADate { date } => say(
            format!("«{date}» no es una fecha como 2026-12-25"),
            format!("«{date}» is not a date such as 2026-12-25"),
        ),
        Fault::NotAPhoneNumber { phone } => say(
            format!("«{phone}» no es un teléfono con su código de país, como +58 412 123 4567"),
            format!("«{phone}» is not a phone number with its country code, such as +58 412 123 4567"),
        ),
        Fault::LabelLength { max } => say(
            format!("Una etiqueta tiene de 1 a {max} caracteres"),
            format!("A label has 1 to {max} characters"),
        ),
        Fault::LabelsAtOnce { max } => say(
            format!("Como mucho {max} etiquetas a la vez"),
            format!("At most {max} labels at a time"),
        ),
        Fault::TooManyLabels { max } => say(
            format!("Un contacto tiene como mucho {max} etiquetas"),
            format!("A contact has at most {max} labels"),
        ),
        Fault::NotesTooLong { max } => say(
            format!("Las notas tienen como mucho {max} caracteres"),
            format!("Notes have at most {max} characters"),
        ),
        Fault::UsernameLength { max } => say(
            format!("El usuario tiene de 1 a {max} caracteres"),
            format!("A username has 1 to {max} characters"),
        ),
        Fault::UsernameCharacters => say(
            "El usuario lleva solo minúsculas, números y . _ - @ +".into(),
            "A username has lowercase letters, digits and . _ - @ + only".into(),
        ),
        Fault::PasswordTooShort { min } => say(
            format!("La contraseña necesita al menos {min} caracteres"),
            format!("The password needs at least {min} characters"),
        ),
        Fault::PasswordTooLong { max } => say(
            format!("La contraseña tiene como mucho {max} caracteres"),
            format!("The password has at most {max} characters"),
        ),
        Fault::PasswordIsUsername => say(
            "La contraseña no puede ser el usuario".into(),
            "The password cannot be the username".into(),
        ),
        Fault::CredentialsTooLong { username_max, password_max } => say(
            format!("El usuario tiene como mucho {username_max} bytes y la contraseña {password_max}"),
            format!("A username has at most {username_max} bytes and a password {password_max}"),
        ),
        Fault::NameTooLong { max } => say(
            format!("Un nombre tiene como mucho {max} caracteres"),
            format!("A name has at most {max} characters"),
        ),
        Fault::TokenName { max } => say(
            format!("La clave necesita un nombre de 1 a {max} caracteres"),
            format!("A token needs a name of 1 to {max} characters"),
        ),
        Fault::LastAdmin => say(
            "Debe quedar al menos un administrador activo".into(),
            "At least one active administrator must remain".into(),
        ),
        Fault::IdTwice { id } => say(
            format!("El identificador «{id}» está repetido"),
            format!("The id «{id}» is used twice"),
        ),
        Fault::UsernameTwice { username } => say(
            format!("El usuario «{username}» está repetido"),
            format!("The username «{username}» is used twice"),
        ),
        Fault::NotAnArgonHash => say(
            "No es una contraseña cifrada con Argon2; cámbiala con «cocolu user reset-password»".into(),
            "Not an Argon2 hash; set the password with `cocolu user reset-password`".into(),
        ),
        Fault::Other => say("Algo no es válido".into(), "Something is not valid".into()),
    }
}

/// One fault found in the browser (a file WhatsApp would refuse), in `lang`.
pub async fn fault_in(fault: Fault, lang: Lang) -> String {
    word_one(fault, lang).await
}

/// One fault in `lang`, from the module the faults' words are in.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn word_one(fault: Fault, lang: Lang) -> String {
    word(&fault, lang)
}

#[cfg(not(feature = "hydrate"))]
async fn word_one(fault: Fault, lang: Lang) -> String {
    word(&fault, lang)
}

/// Several faults, each in `lang`: a module the browser loads with the first fault to show.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn word_all(faults: Vec<Option<FaultJson>>, lang: Lang) -> Vec<Option<String>> {
    words(&faults, lang)
}

/// Several faults, each in `lang` (on the server, where size does not matter).
#[cfg(not(feature = "hydrate"))]
async fn word_all(faults: Vec<Option<FaultJson>>, lang: Lang) -> Vec<Option<String>> {
    words(&faults, lang)
}

fn words(faults: &[Option<FaultJson>], lang: Lang) -> Vec<Option<String>> {
    faults
        .iter()
        .map(|fault| fault.as_ref().map(|f| word(&f.read(), lang)))
        .collect()
}

/// `problems` with their messages in `lang` (those without a fault keep the server's words).
pub async fn problems_in(problems: Vec<FileProblem>, lang: Lang) -> Vec<FileProblem> {
    if problems.iter().all(|p| p.fault.is_none()) {
        return problems;
    }
    let faults = problems.iter().map(|p| p.fault.clone()).collect();
    let words = word_all(faults, lang).await;
    problems
        .into_iter()
        .zip(words)
        .map(|(problem, words)| FileProblem {
            message: words.unwrap_or_else(|| problem.message.clone()),
            ..problem
        })
        .collect()
}

/// What a failed request says, in `lang`: its faults, the words for its code, or (for a code
/// this dashboard does not know) the server's.
pub async fn failure_in(failure: Failure, lang: Lang) -> String {
    let faults: Vec<Option<FaultJson>> = if failure.faults.is_empty() {
        failure.problems().into_iter().map(|p| p.fault).collect()
    } else {
        failure.faults.iter().cloned().map(Some).collect()
    };
    if faults.iter().any(Option::is_some) {
        let words: Vec<String> = word_all(faults, lang).await.into_iter().flatten().collect();
        return words.join(". ");
    }
    match crate::i18n::code_text(&failure.code) {
        Some(text) => text.get(lang).to_string(),
        None => failure.message,
    }
}
