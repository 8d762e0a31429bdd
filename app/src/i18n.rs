//! Every string the dashboard shows, in Spanish (the default) and English.
//!
//! Texts are looked up by [`Text`] key, or by a page's own key: a text only one page shows is
//! declared in that page with `page_texts!`, so that its table is loaded with the page rather
//! than with every page. Either way a key without an English (or Spanish) text does not
//! compile. The chosen language lives in the
//! `cocolu_lang` cookie, which the server reads to render and the browser reads to hydrate,
//! so both sides start from the same language.

use leptos::prelude::*;

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "cocolu_lang";

/// A dashboard language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Spanish, the default.
    #[default]
    Es,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code used in `<html lang>` and in the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    /// Parses a cookie value; anything unknown means the default.
    pub fn from_code(code: &str) -> Lang {
        match code.trim() {
            "en" => Lang::En,
            _ => Lang::Es,
        }
    }

    /// Finds the language cookie in a `Cookie` header value (`a=1; cocolu_lang=en`).
    pub fn from_cookie_header(header: &str) -> Lang {
        header
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(name, _)| name.trim() == LANG_COOKIE)
            .map(|(_, value)| Lang::from_code(value))
            .unwrap_or_default()
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Es => Lang::En,
            Lang::En => Lang::Es,
        }
    }
}

/// The language signal shared by every component, provided once by `App`.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

/// Reads the shared language signal.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n(RwSignal::new(Lang::default())))
}

impl I18n {
    /// A reactive translation: re-renders when the language changes.
    pub fn t<T: Said>(self, text: T) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || text.get(self.0.get())
    }
}

/// A key with a Spanish and an English text: [`Text`], or a page's own table (`page_texts!`).
pub trait Said: Copy + Send + Sync + 'static {
    /// The text in the given language.
    fn get(self, lang: Lang) -> &'static str;
}

/// A text in both languages, from whichever table: what a shared component (a field's label,
/// a toast, a page's header) takes, so that a page passes its own texts as well as [`Text`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words {
    es: &'static str,
    en: &'static str,
}

impl Words {
    /// The key's texts.
    pub fn of(said: impl Said) -> Words {
        Words {
            es: said.get(Lang::Es),
            en: said.get(Lang::En),
        }
    }
}

impl Said for Words {
    fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Es => self.es,
            Lang::En => self.en,
        }
    }
}

/// Declares a page's own texts, Spanish and English side by side like [`Text`]'s. Its table
/// ships with the page's code, loaded with the page, instead of with every page's.
macro_rules! page_texts {
    ($name:ident { $($key:ident => ($es:expr, $en:expr $(,)?)),* $(,)? }) => {
        /// This page's own texts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)]
        // A text only the browser shows (a toast after a click) is unused by the server's render.
        #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
        pub(crate) enum $name {
            $($key),*
        }

        impl $name {
            const TABLE: &'static [(&'static str, &'static str)] = &[$(($es, $en)),*];
        }

        impl $crate::i18n::Said for $name {
            fn get(self, lang: $crate::i18n::Lang) -> &'static str {
                let (es, en) = Self::TABLE[self as usize];
                match lang {
                    $crate::i18n::Lang::Es => es,
                    $crate::i18n::Lang::En => en,
                }
            }
        }

        impl From<$name> for $crate::i18n::Words {
            fn from(key: $name) -> $crate::i18n::Words {
                $crate::i18n::Words::of(key)
            }
        }
    };
}
pub(crate) use page_texts;

/// Declares [`Text`] and its Spanish and English strings side by side: one line per key, so a
/// key without both texts does not compile.
macro_rules! texts {
    ($($key:ident => ($es:expr, $en:expr $(,)?)),* $(,)?) => {
        /// The texts of the dashboard.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Text {
            $($key),*
        }

        impl Text {
            /// Spanish and English for each key, in the order of the keys (a table is a
            /// fraction of the size of a `match` in the browser's bundle).
            const TABLE: &'static [(&'static str, &'static str)] = &[$(($es, $en)),*];

            /// The text in the given language.
            pub fn get(self, lang: Lang) -> &'static str {
                let (es, en) = Text::TABLE[self as usize];
                match lang {
                    Lang::Es => es,
                    Lang::En => en,
                }
            }
        }

        impl Said for Text {
            fn get(self, lang: Lang) -> &'static str {
                Text::get(self, lang)
            }
        }

        impl From<Text> for Words {
            fn from(key: Text) -> Words {
                Words::of(key)
            }
        }
    };
}

texts! {
    AppTagline => ("Respuestas automáticas para WhatsApp", "WhatsApp auto-replies"),
    NavOverview => ("Resumen", "Overview"),
    NavInbox => ("Bandeja", "Inbox"),
    NavRules => ("Reglas", "Rules"),
    NavTemplates => ("Textos", "Texts"),
    NavQuickReplies => ("Respuestas rápidas", "Quick replies"),
    NavQuickShort => ("Rápidas", "Quick"),
    NavAnalytics => ("Analítica", "Analytics"),
    NavSettings => ("Ajustes", "Settings"),
    NavUsers => ("Usuarios", "Users"),
    MainNavigation => ("Navegación principal", "Main navigation"),
    CollapseSidebar => ("Contraer menú", "Collapse menu"),
    ExpandSidebar => ("Expandir menú", "Expand menu"),
    SwitchLanguage => ("English", "Español"),
    SkipToContent => ("Saltar al contenido", "Skip to content"),
    Loading => ("Cargando…", "Loading…"),
    ConnectionLost => (
        "Se perdió la conexión con el servidor; los datos pueden estar desactualizados. Reconectando…",
        "The connection to the server was lost; the figures may be out of date. Reconnecting…",
            ),
    LoadFailed => (
        "No se pudieron cargar los datos; vuelve a cargar la página.",
        "The data could not be loaded; reload the page.",
            ),
    StatReceived => ("recibidos", "received"),
    FillIn => ("Completar", "Fill in"),
    Logout => ("Cerrar sesión", "Sign out"),
    ErrorThrottled => (
        "Demasiados intentos fallidos. Espera un momento y vuelve a intentarlo.",
        "Too many failed attempts. Wait a moment and try again.",
            ),
    ErrorUsernameTaken => ("Ese usuario ya existe.", "That username is taken."),
    ErrorInvitation => (
        "La invitación no existe, ya se usó o caducó. Pide una nueva a un administrador.",
        "The invitation does not exist, was used or has expired. Ask an administrator for a new one.",
            ),
    ErrorAlreadySetUp => (
        "El administrador ya existe. Inicia sesión.",
        "The administrator already exists. Sign in.",
            ),
    ErrorCsrf => (
        "La solicitud no vino de este panel. Vuelve a cargar la página.",
        "The request did not come from this dashboard. Reload the page.",
            ),
    ErrorServer => (
        "Algo falló en el servidor; los detalles están en su registro.",
        "Something failed on the server; the details are in its log.",
            ),
    AppCrashed => (
        "Algo falló en esta página y ya no responde. Vuelve a cargarla; nada de lo guardado se perdió.",
        "Something failed on this page and it no longer responds. Reload it; nothing saved was lost.",
            ),
    NotifyOff => ("Activar notificaciones", "Turn on notifications"),
    NotifyOn => ("Notificaciones activadas", "Notifications on"),
    NotifyBlocked => (
        "El navegador no deja mostrar notificaciones: permítelas en la configuración del sitio.",
        "The browser does not allow notifications: allow them in the site's settings.",
            ),
    NotifyNeedsPerson => ("Quiere hablar con una persona", "Wants to talk to a person"),
    MetaToken => ("el token de acceso de Meta no es válido o caducó; pon uno nuevo en Ajustes", "Meta's access token is invalid or expired; enter a new one in Settings"),
    MetaPermission => ("la app de Meta no tiene permiso para esto (whatsapp_business_messaging)", "the Meta app lacks the permission for this (whatsapp_business_messaging)"),
    MetaRate => ("demasiados envíos seguidos; Meta pide esperar y se reintenta solo", "too many sends in a row; Meta asks to wait, and it is retried by itself"),
    MetaUndeliverable => ("WhatsApp no pudo entregarlo (el número puede no tener WhatsApp)", "WhatsApp could not deliver it (the number may not have WhatsApp)"),
    MetaWindow => ("pasaron más de 24 horas desde su último mensaje: solo se puede enviar una plantilla aprobada", "over 24 hours since their last message: only an approved template can be sent"),
    MetaNotDelivered => ("Meta decidió no entregarlo para no saturar al cliente", "Meta chose not to deliver it, to avoid overwhelming the customer"),
    MetaStoppedMarketing => ("el cliente dejó de recibir mensajes de marketing", "the customer stopped marketing messages"),
    MetaMedia => ("Meta no pudo descargar o subir el archivo", "Meta could not download or upload the file"),
    MetaTemplate => ("la plantilla no existe o sus datos no cuadran con los aprobados", "the template does not exist or its parameters do not match the approved ones"),
    MetaNotRegistered => ("el número del negocio no está registrado en la API de WhatsApp", "the business number is not registered with the WhatsApp API"),
    MetaBlocked => ("la cuenta de WhatsApp Business está bloqueada o restringida por Meta", "the WhatsApp Business account is locked or restricted by Meta"),
    MetaPayment => ("hay un problema con la forma de pago de la cuenta en Meta", "there is a problem with the account's payment method at Meta"),
    MetaParameter => ("Meta rechazó un dato del mensaje", "Meta refused a value in the message"),
    MetaTemporary => ("Meta tuvo un fallo temporal", "Meta had a temporary failure"),
    CodeNotFound => ("Eso ya no existe: quizá alguien lo borró. Vuelve a cargar la página.", "That no longer exists: someone may have deleted it. Reload the page."),
    CodeSignedOut => ("Tu sesión terminó. Vuelve a iniciar sesión.", "Your session ended. Sign in again."),
    CodeForbidden => ("Tu cuenta no puede hacer esto; pídeselo a un administrador.", "Your account cannot do this; ask an administrator."),
    CodeNotConfigured => ("Falta configurar la conexión con WhatsApp (Ajustes).", "The WhatsApp connection is not set up yet (Settings)."),
    CodeUpstream => ("WhatsApp (Meta) rechazó la solicitud o no respondió.", "WhatsApp (Meta) refused the request or did not answer."),
    CodeTooLarge => ("Es demasiado grande para enviarlo.", "It is too large to send."),
    CodeConflict => ("Alguien lo cambió a la vez; vuelve a cargar y repite el cambio.", "Someone changed it at the same time; reload and make the change again."),
    CodeStorage => ("El servidor no puede escribir en su carpeta de datos (¿disco lleno?); no se cambió nada.", "The server cannot write to its data folder (full disk?); nothing was changed."),
    CodeBusy => ("El servidor está ocupado; inténtalo en unos segundos.", "The server is busy; try again in a few seconds."),
    CodeNetwork => ("No se pudo contactar con el servidor. Revisa la conexión.", "The server could not be reached. Check the connection."),
    CodeOutsideWindow => ("Han pasado más de 24 horas desde su último mensaje: WhatsApp solo deja enviar una plantilla aprobada.", "More than 24 hours have passed since their last message: WhatsApp only allows an approved template."),
    CodeNoRecipient => ("Esta conversación no tiene un número al que escribir.", "This conversation has no number to write to."),
    CodeWrongPassword => ("La contraseña actual no es correcta.", "The current password is wrong."),
    CodeNotBuiltin => ("Este texto no tiene una versión original a la que volver.", "This text has no built-in version to go back to."),
    CodeOwnAccount => ("No puedes borrar tu propia cuenta; pídeselo a otro administrador.", "You cannot delete your own account; ask another administrator."),
    CodeBadRequest => ("El servidor no entendió la solicitud.", "The server did not understand the request."),
    CodeInvalid => ("Hay datos que no son válidos; revísalos.", "Some of the details are not valid; check them."),
    Close => ("Cerrar", "Close"),
    LoadMore => ("Cargar más", "Load more"),
    SaveFailed => ("No se pudo guardar", "Could not save"),
    Saved => ("Guardado", "Saved"),
    Add => ("Añadir", "Add"),
    ConflictToast => ("El archivo cambió mientras editabas", "The file changed while you were editing"),
    ViaApi => ("por API", "via API"),
    ReloadedFromFile => ("Se cargaron los cambios hechos en el archivo", "The changes made in the file were loaded"),
    HandEditBroken => (
        "La última edición a mano del archivo tiene errores; sigue en uso la última versión correcta:",
        "The last hand edit of the file has errors; the last good version stays in force:",
    ),
    Line => ("línea", "line"),
    Column => ("columna", "column"),
    ChangedOnDisk => (
        "El archivo cambió en el disco mientras tenías cambios sin guardar. Al guardar verás las dos versiones.",
        "The file changed on disk while you had unsaved changes. Saving will show you both versions.",
    ),
    LoadFileVersion => ("Descartar mis cambios y cargar el archivo", "Discard my changes and load the file"),
    UnsavedChanges => ("Cambios sin guardar", "Unsaved changes"),
    AllSaved => ("Todo guardado", "All saved"),
    Discard => ("Descartar", "Discard"),
    Save => ("Guardar", "Save"),
    Saving => ("Guardando…", "Saving…"),
    ConflictTitle => ("Alguien editó el archivo a la vez", "Someone edited the file at the same time"),
    ConflictIntro => (
        "Tus cambios y los del archivo no se mezclan solos. Compara las dos versiones y elige cuál queda.",
        "Your changes and the file's are not merged automatically. Compare both versions and choose which stays.",
    ),
    YourVersion => ("Tu versión", "Your version"),
    FileVersion => ("La versión del archivo", "The file's version"),
    KeepMine => ("Guardar la mía encima", "Save mine over it"),
    TakeTheirs => ("Quedarme con la del archivo", "Keep the file's"),
    ConfirmDiscard => ("Tienes cambios sin guardar en este texto. ¿Descartarlos?", "You have unsaved changes in this text. Discard them?"),
    Monday => ("Lunes", "Monday"),
    Tuesday => ("Martes", "Tuesday"),
    Wednesday => ("Miércoles", "Wednesday"),
    Thursday => ("Jueves", "Thursday"),
    Friday => ("Viernes", "Friday"),
    Saturday => ("Sábado", "Saturday"),
    Sunday => ("Domingo", "Sunday"),
    Copied => ("Copiado", "Copied"),
    CopyFailed => ("El navegador no dejó copiar; selecciona el texto y cópialo a mano.", "The browser did not allow copying; select the text and copy it by hand."),
    Copy => ("Copiar", "Copy"),
    LinkConnecting => ("Conectando…", "Connecting…"),
    LinkPairing => ("Vincula el teléfono: en WhatsApp, Dispositivos vinculados › Vincular un dispositivo.", "Link the phone: in WhatsApp, Linked devices › Link a device."),
    LinkConnected => ("Conectado", "Connected"),
    LinkDisconnected => ("Desconectado; reintentando:", "Disconnected; retrying:"),
    LinkLoggedOut => ("Sin vincular:", "Not linked:"),
    PairCodeHint => ("Escribe en el teléfono (Vincular con el número de teléfono):", "Type on the phone (Link with phone number instead):"),
    VerifyToken => ("Token de verificación", "Verify token"),
    PhoneNumberId => ("ID del número de teléfono", "Phone number ID"),
    WabaId => ("ID de la cuenta de WhatsApp Business", "WhatsApp Business account ID"),
    AccessToken => ("Token de acceso", "Access token"),
    AppSecret => ("Clave secreta de la app", "App secret"),
    Delete => ("Borrar", "Delete"),
    NoTokens => ("No hay tokens.", "No tokens."),
}

/// What one of Meta's error codes means, when the dashboard has words for it.
fn meta_text(code: i64) -> Option<Text> {
    Some(match code {
        0 | 190 => Text::MetaToken,
        3 | 10 | 200..=299 | 131005 => Text::MetaPermission,
        4 | 80007 | 130429 | 131048 | 131056 => Text::MetaRate,
        131026 => Text::MetaUndeliverable,
        131047 => Text::MetaWindow,
        131049 => Text::MetaNotDelivered,
        131050 => Text::MetaStoppedMarketing,
        131052 | 131053 => Text::MetaMedia,
        132000..=132016 => Text::MetaTemplate,
        133010 => Text::MetaNotRegistered,
        368 | 131031 => Text::MetaBlocked,
        131042 => Text::MetaPayment,
        100 | 131008 | 131009 | 131051 => Text::MetaParameter,
        1 | 2 | 131000 | 131016 => Text::MetaTemporary,
        _ => return None,
    })
}

/// Who sent a reply, as the dashboard names them: a username, or an API token's name
/// (`token:copia` is "copia (por API)").
pub fn sender(user: &str, lang: Lang) -> String {
    match user.strip_prefix("token:") {
        Some(name) => format!("{name} ({})", Text::ViaApi.get(lang)),
        None => user.to_string(),
    }
}

/// An error Meta answered, in `lang`: its meaning when the code is known (Meta's own text
/// otherwise), and the code.
pub fn meta_error(code: Option<i64>, text: &str, lang: Lang) -> String {
    let words = code.and_then(meta_text).map_or(text, |t| t.get(lang));
    match code {
        Some(code) => format!("{words} ({code})"),
        None => words.to_string(),
    }
}

/// The words for an API error code, when the dashboard has its own.
pub fn code_text(code: &str) -> Option<Text> {
    Some(match code {
        "not_found" => Text::CodeNotFound,
        "unauthorized" => Text::CodeSignedOut,
        "forbidden" => Text::CodeForbidden,
        "csrf" => Text::ErrorCsrf,
        "too_many_attempts" => Text::ErrorThrottled,
        "not_configured" => Text::CodeNotConfigured,
        "upstream" => Text::CodeUpstream,
        "too_large" => Text::CodeTooLarge,
        "conflict" => Text::CodeConflict,
        "storage_unavailable" => Text::CodeStorage,
        "busy" => Text::CodeBusy,
        "internal" | "server" => Text::ErrorServer,
        "network" => Text::CodeNetwork,
        "outside_window" => Text::CodeOutsideWindow,
        "no_recipient" => Text::CodeNoRecipient,
        "already_set_up" => Text::ErrorAlreadySetUp,
        "bad_invitation" => Text::ErrorInvitation,
        "wrong_password" => Text::CodeWrongPassword,
        "username_taken" => Text::ErrorUsernameTaken,
        "not_builtin" => Text::CodeNotBuiltin,
        "own_account" => Text::CodeOwnAccount,
        "bad_request" => Text::CodeBadRequest,
        "invalid" | "limit" => Text::CodeInvalid,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_cookie_is_found_among_others() {
        assert_eq!(
            Lang::from_cookie_header("a=1; cocolu_lang=en; b=2"),
            Lang::En
        );
        assert_eq!(Lang::from_cookie_header("cocolu_lang=es"), Lang::Es);
    }

    #[test]
    fn a_missing_or_unknown_language_means_spanish() {
        assert_eq!(Lang::from_cookie_header(""), Lang::Es);
        assert_eq!(Lang::from_cookie_header("cocolu_lang=fr"), Lang::Es);
        assert_eq!(Lang::from_cookie_header("other_lang=en"), Lang::Es);
    }

    #[test]
    fn every_key_finds_its_own_texts() {
        assert_eq!(
            Text::AppTagline.get(Lang::Es),
            "Respuestas automáticas para WhatsApp"
        );
        assert_eq!(Text::NavInbox.get(Lang::En), "Inbox");
        assert_eq!(Text::NoTokens.get(Lang::Es), "No hay tokens.");
        assert_eq!(Text::NoTokens.get(Lang::En), "No tokens.");
    }
}
