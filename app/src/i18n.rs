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

/// Declares a page's own texts, Spanish and English side by side like [`Text`]'s. Its table
/// ships with the page's code, loaded with the page, instead of with every page's.
macro_rules! page_texts {
    ($name:ident { $($key:ident => ($es:expr, $en:expr $(,)?)),* $(,)? }) => {
        /// This page's own texts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names)]
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
    };
}

texts! {
    AppTagline => ("Respuestas automáticas para WhatsApp", "WhatsApp auto-replies"),
    NavOverview => ("Resumen", "Overview"),
    NavInbox => ("Bandeja", "Inbox"),
    NavRules => ("Reglas", "Rules"),
    NavTemplates => ("Textos", "Texts"),
    NavQuickReplies => ("Respuestas rápidas", "Quick replies"),
    QuickRepliesIntro => (
        "Tus respuestas guardadas. En el chat, escribe / y el atajo (por ejemplo /horario) para ponerla en el mensaje, con el nombre del cliente ya puesto.",
        "Your saved answers. In a chat, type / and the shortcut (such as /horario) to put one in the message, with the customer's name already in.",
    ),
    NavAnalytics => ("Analítica", "Analytics"),
    NavSettings => ("Ajustes", "Settings"),
    NavUsers => ("Usuarios", "Users"),
    MainNavigation => ("Navegación principal", "Main navigation"),
    CollapseSidebar => ("Contraer menú", "Collapse menu"),
    ExpandSidebar => ("Expandir menú", "Expand menu"),
    SwitchLanguage => ("English", "Español"),
    SkipToContent => ("Saltar al contenido", "Skip to content"),
    OverviewIntro => (
        "El estado del canal de WhatsApp y la actividad de hoy.",
        "The WhatsApp channel's state and today's activity.",
            ),
    Loading => ("Cargando…", "Loading…"),
    BotShare => ("de las respuestas las dio el bot", "of the replies came from the bot"),
    BotMedian => ("primera respuesta del bot (mediana)", "the bot's first reply (median)"),
    PeopleMedian => ("primera respuesta de una persona (mediana)", "a person's first reply (median)"),
    NewContacts => ("clientes nuevos", "new customers"),
    ReturningContacts => ("visitas de clientes que vuelven", "visits by returning customers"),
    ConnectionLost => (
        "Se perdió la conexión con el servidor; los datos pueden estar desactualizados. Reconectando…",
        "The connection to the server was lost; the figures may be out of date. Reconnecting…",
            ),
    FeedReceived => ("escribió", "wrote"),
    FeedQueued => ("recibió respuesta", "was answered"),
    FeedFailed => ("una respuesta no se pudo enviar", "a reply could not be sent"),
    FeedTakenOver => ("lo atiende una persona", "a person took over"),
    FeedGivenBack => ("vuelve a atenderlo el bot", "back with the bot"),
    FeedNeedsPerson => ("espera a una persona", "is waiting for a person"),
    LoadFailed => (
        "No se pudieron cargar los datos; vuelve a cargar la página.",
        "The data could not be loaded; reload the page.",
            ),
    ChannelConfigured => (
        "Configurado: Cocolu tiene los datos de Meta para recibir y enviar mensajes.",
        "Configured: Cocolu has Meta's values to receive and send messages.",
            ),
    ChannelNotConfigured => (
        "Sin configurar: faltan datos de Meta en /etc/cocolu/cocolu.env.",
        "Not configured: Meta's values are missing from /etc/cocolu/cocolu.env.",
            ),
    StatReceived => ("recibidos", "received"),
    StatBot => ("respondidos por el bot", "answered by the bot"),
    StatPeople => ("respondidos por personas", "answered by people"),
    StatPending => ("por enviar", "waiting to send"),
    StatFailed => ("fallidos", "failed"),
    AlertTokenRefused => (
        "Meta rechazó el token de acceso: los envíos están en pausa hasta que pongas uno nuevo en Ajustes.",
        "Meta refused the access token: sending is paused until you enter a new one in Settings.",
            ),
    AlertNotConfigured => (
        "La conexión con WhatsApp no está completa: pon el id del número, el token de acceso y la clave secreta de la app en Ajustes.",
        "The WhatsApp connection is not complete: enter the phone number id, the access token and the app secret in Settings.",
            ),
    AlertFileProblem => (
        "Un archivo editado a mano tiene un error; sigue vigente la última versión buena:",
        "A hand-edited file has an error; the last good version stays in force:",
            ),
    AlertOutsideWindow => (
        "Respuestas rechazadas en las últimas 24 horas porque el cliente escribió hace más de 24 horas (solo llega una plantilla aprobada):",
        "Replies refused in the last 24 hours because the customer wrote over 24 hours ago (only an approved template gets through):",
            ),
    AlertTemplateToFill => (
        "Falta completar un texto; hasta entonces el bot no lo envía y pasa la conversación a una persona:",
        "A template still needs filling in; until then the bot does not send it and hands the chat to a person:",
            ),
    FillIn => ("Completar", "Fill in"),
    AlertFailedSends => (
        "Respuestas que no se pudieron enviar o no llegaron en las últimas 24 horas:",
        "Replies that could not be sent or did not arrive in the last 24 hours:",
            ),
    InboxIntro => (
        "Las conversaciones con tus clientes.",
        "Your conversations with customers.",
            ),
    InboxEmpty => (
        "Todavía no hay conversaciones. Cuando un cliente escriba a tu número de WhatsApp, aparecerá aquí al momento.",
        "No conversations yet. When a customer writes to your WhatsApp number, it shows here at once.",
    ),
    RulesIntro => (
        "Qué responde el bot y cuándo.",
        "What the bot answers, and when.",
            ),
    TemplatesIntro => (
        "Lo que dice el bot: la bienvenida, el horario, los precios… Cada texto puede llevar el nombre del cliente y otros datos.",
        "What the bot says: the welcome, the hours, the prices… Each text can carry the customer's name and other details.",
            ),
    AnalyticsIntro => (
        "Mensajes por día, respuestas del bot y horas de más actividad.",
        "Messages per day, bot answers and busy hours.",
            ),
    SettingsIntro => (
        "Tu negocio, el horario y la conexión con WhatsApp.",
        "Your business, opening hours and the WhatsApp connection.",
            ),
    UsersIntro => (
        "Quién puede entrar al panel y con qué permisos.",
        "Who can use the dashboard, and with which permissions.",
            ),
    LoginTitle => ("Iniciar sesión", "Sign in"),
    LoginIntro => (
        "Entra con tu usuario del panel de Cocolu.",
        "Sign in with your Cocolu dashboard account.",
            ),
    LoginUser => ("Usuario", "Username"),
    LoginPassword => ("Contraseña", "Password"),
    LoginSubmit => ("Entrar", "Sign in"),
    AccountName => ("Nombre (opcional)", "Name (optional)"),
    PasswordHint => (
        "Al menos 10 caracteres. Una frase fácil de recordar es una buena contraseña.",
        "At least 10 characters. A phrase you can remember makes a good password.",
            ),
    SetupTitle => ("Crear el administrador", "Create the administrator"),
    SetupIntro => (
        "Este servidor aún no tiene cuentas. Crea la cuenta de administrador con el código de configuración.",
        "This server has no accounts yet. Create the administrator account with the setup code.",
            ),
    SetupCode => ("Código de configuración", "Setup code"),
    SetupCodeHint => (
        "Está en el registro del servidor: journalctl -u cocolu | grep setup_code",
        "It is in the server log: journalctl -u cocolu | grep setup_code",
            ),
    SetupSubmit => ("Crear administrador", "Create administrator"),
    RegisterTitle => ("Crear tu cuenta", "Create your account"),
    RegisterIntro => (
        "Usa el código de invitación que te dio un administrador.",
        "Use the invitation code an administrator gave you.",
            ),
    InvitationCode => ("Código de invitación", "Invitation code"),
    RegisterSubmit => ("Crear cuenta", "Create account"),
    Logout => ("Cerrar sesión", "Sign out"),
    ErrorWrongCredentials => (
        "Usuario o contraseña incorrectos.",
        "Wrong username or password.",
            ),
    ErrorThrottled => (
        "Demasiados intentos fallidos. Espera un momento y vuelve a intentarlo.",
        "Too many failed attempts. Wait a moment and try again.",
            ),
    ErrorSetupCode => (
        "El código de configuración no es correcto. El código vigente está en el registro del servidor.",
        "The setup code is wrong. The current code is in the server log.",
            ),
    ErrorInvalidAccount => (
        "Revisa los datos: el usuario lleva minúsculas, números y . _ - @ +, y la contraseña al menos 10 caracteres.",
        "Check the details: the username has lower case letters, digits and . _ - @ +, and the password at least 10 characters.",
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
    ShowContact => ("Contacto", "Contact"),
    ShowThread => ("Mensajes", "Messages"),
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
    FilterAll => ("Todas", "All"),
    FilterUnread => ("Sin leer", "Unread"),
    FilterPaused => ("Necesitan una persona", "Need a person"),
    FilterOptedOut => ("Dados de baja", "Opted out"),
    NoMatches => ("Ninguna conversación coincide con la búsqueda o el filtro.", "No conversation matches the search or filter."),
    LoadMore => ("Cargar más", "Load more"),
    TakenOver => ("Atiendes tú: el bot está en pausa para este cliente.", "You are answering: the bot is paused for this customer."),
    GivenBack => ("El bot vuelve a responder a este cliente.", "The bot answers this customer again."),
    SaveFailed => ("No se pudo guardar", "Could not save"),
    Saved => ("Guardado", "Saved"),
    AuthorBot => ("Bot", "Bot"),
    AuthorPerson => ("Persona", "Person"),
    TickQueued => ("En cola", "Queued"),
    TickSent => ("Enviado", "Sent"),
    TickDelivered => ("Entregado", "Delivered"),
    TickRead => ("Leído", "Read"),
    TickFailed => ("No enviado", "Not sent"),
    ReplyQueued => ("Enviando tu respuesta…", "Sending your reply…"),
    ReplyFailed => ("No se pudo enviar", "Could not send"),
    CannotAttach => ("No se puede adjuntar este archivo", "This file cannot be attached"),
    ContactName => ("Nombre", "Name"),
    ContactPhone => ("Teléfono", "Phone"),
    ContactUsername => ("Usuario", "Username"),
    Add => ("Añadir", "Add"),
    ConflictToast => ("El archivo cambió mientras editabas", "The file changed while you were editing"),
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
    MoveUp => ("Subir", "Move up"),
    MoveDown => ("Bajar", "Move down"),
    ConfirmDeleteRule => ("¿Borrar esta regla? Se quita del borrador; nada cambia hasta que guardes.", "Delete this rule? It leaves the draft; nothing changes until you save."),
    RuleId => ("Identificador", "Id"),
    RuleIdHint => ("Se escribe solo a partir de «Para qué sirve»; cámbialo si quieres (minúsculas, números, _ y -). Los botones de otros menús lo usan para llegar aquí.", "Written for you from «What it is for»; change it if you like (lowercase letters, digits, _ and -). Buttons of other menus use it to lead here."),
    RuleDescription => ("Para qué sirve", "What it is for"),
    RuleEnabled => ("Activa", "Enabled"),
    RuleTexts => ("Textos del cliente", "The customer's texts"),
    RuleTextsHint => ("Uno por línea. No importan mayúsculas, acentos ni signos.", "One per line. Case, accents and punctuation do not matter."),
    RuleMatch => ("Cómo se comparan", "How they compare"),
    MatchContains => ("El mensaje contiene el texto", "The message contains the text"),
    MatchWord => ("Como palabras enteras", "As whole words"),
    MatchExact => ("El mensaje es exactamente el texto", "The message is exactly the text"),
    MatchStartsWith => ("El mensaje empieza por el texto", "The message starts with the text"),
    MatchRegex => ("Expresión regular", "Regular expression"),
    RuleButtons => ("Botones o filas de lista tocados (ids)", "Buttons or list rows tapped (ids)"),
    RuleButtonsHint => ("Separados por comas.", "Separated by commas."),
    TypeAudio => ("Nota de voz o audio", "Voice note or audio"),
    TypeImage => ("Imagen", "Image"),
    TypeVideo => ("Vídeo", "Video"),
    TypeDocument => ("Documento", "Document"),
    TypeSticker => ("Sticker", "Sticker"),
    TypeLocation => ("Ubicación", "Location"),
    TypeContacts => ("Contacto", "Contact card"),
    TypeOrder => ("Pedido del catálogo", "Catalogue order"),
    RuleHours => ("Horario", "Hours"),
    HoursAny => ("A cualquier hora", "At any time"),
    HoursOpen => ("Solo con la tienda abierta", "Only while open"),
    HoursClosed => ("Solo con la tienda cerrada", "Only while closed"),
    RuleFirstContact => ("Primer mensaje del cliente", "The customer's first message"),
    FirstAny => ("Da igual", "Either"),
    FirstYes => ("Solo en su primer mensaje", "Only on their first message"),
    FirstNo => ("Solo después del primero", "Only after the first"),
    RuleLabelsAny => ("Solo si tiene alguna de estas etiquetas", "Only with one of these labels"),
    RuleLabelsNone => ("Solo si no tiene ninguna de estas etiquetas", "Only with none of these labels"),
    RuleAddLabels => ("Añadir etiquetas", "Add labels"),
    RuleRemoveLabels => ("Quitar etiquetas", "Remove labels"),
    RuleHandover => ("Pasar la conversación a una persona (el bot se pausa)", "Hand the chat to a person (the bot pauses)"),
    RuleOptOut => ("Dar de baja al cliente de los mensajes automáticos", "Opt the customer out of automatic messages"),
    RuleCooldown => ("Minutos antes de repetir esta respuesta al mismo cliente", "Minutes before answering the same customer again"),
    RuleCooldownHint => ("0: responde siempre.", "0: always answers."),
    RuleCaptureOn => ("Después de responder, guardar el siguiente mensaje del cliente", "After replying, keep the customer's next message"),
    RuleCaptureField => ("Nombre del dato", "Name of the field"),
    RuleCaptureFieldHint => ("Por ejemplo pedido o email; se usa como {{pedido}} en los textos.", "Such as pedido or email; used as {{pedido}} in texts."),
    RuleCaptureMinutes => ("Minutos que espera la respuesta", "Minutes it waits for the answer"),
    ReplyText => ("Texto", "Text"),
    ReplyTemplate => ("Texto guardado", "Saved text"),
    ReplyButtons => ("Botones", "Buttons"),
    ReplyList => ("Lista", "List"),
    ReplyKind => ("Tipo de respuesta", "Kind of reply"),
    BodySource => ("El mensaje es", "The message is"),
    MessageText => ("Texto del mensaje", "Message text"),
    VariablesHint => ("Puedes usar {{nombre}}, {{negocio}}, {{horario_hoy}}, {{horario_del_dia}} (el horario del día que pregunta el cliente) y {{horario_semana}}; *negrita*, _cursiva_, ~tachado~.", "You can use {{nombre}}, {{negocio}}, {{horario_hoy}}, {{horario_del_dia}} (the hours of the day the customer asks about) and {{horario_semana}}; *bold*, _italic_, ~strikethrough~."),
    Footer => ("Pie (opcional)", "Footer (optional)"),
    ChoiceTitle => ("Título", "Title"),
    ChoiceId => ("Id", "Id"),
    ChoiceIdHint => ("El id de la regla que responde al tocarlo.", "The id of the rule that answers when tapped."),
    ChoiceDescription => ("Descripción (opcional)", "Description (optional)"),
    ListButton => ("Texto del botón que abre la lista", "Label of the button that opens the list"),
    SectionTitle => ("Título de la sección", "Section title"),
    SimulatorDraft => ("Prueba tu borrador sin guardar. No se envía nada.", "Tries your unsaved draft. Nothing is sent."),
    SimulatorInForce => ("Prueba las reglas en uso. No se envía nada.", "Tries the rules in force. Nothing is sent."),
    WhyRule => ("Responde la regla", "The rule that answers is"),
    WhyGreetingGaveWay => ("El saludo no es un tema: la regla de saludo cede, regla", "A greeting is not a topic: the greeting gives way, rule"),
    WhyGreetingWithMore => ("El mensaje es más que un saludo y ninguna regla responde al resto, así que no responde la regla de saludo", "The message is more than a greeting and no rule answers the rest, so the greeting rule does not answer:"),
    WhyNeedsSetupUses => ("usaría el texto", "would use the text"),
    WhyNeedsSetupThen => ("No se envía: la conversación pasa a una persona del equipo.", "It is not sent: the chat goes to a person on the team."),
    WhyMatched => ("coincidió", "matched"),
    WhyWelcome => ("Mensaje de bienvenida (primer mensaje del cliente)", "Welcome message (the customer's first message)"),
    WhyAway => ("Fuera del horario: mensaje de ausencia", "Outside hours: the away message"),
    WhyFallback => ("Ninguna regla coincide: respuesta por defecto", "No rule matches: the fallback reply"),
    WhyQuiet => ("Ninguna regla coincide y la respuesta por defecto ya se envió hace poco", "No rule matches and the fallback was sent recently"),
    WhyOptedOut => ("El cliente se dio de baja: sin respuesta automática", "The customer opted out: no automatic reply"),
    WhyOptOut => ("El cliente pide la baja", "The customer opts out"),
    WhyOptIn => ("El cliente vuelve a darse de alta", "The customer opts back in"),
    WhyPaused => ("Una persona atiende esta conversación: el bot está en pausa", "A person is answering: the bot is paused"),
    WhyCapped => ("Límite de respuestas automáticas por hora alcanzado", "The hourly limit of automatic replies was reached"),
    WhyCaptured => ("Guarda la respuesta como", "Keeps the answer as"),
    ConfirmDiscard => ("Tienes cambios sin guardar en este texto. ¿Descartarlos?", "You have unsaved changes in this text. Discard them?"),
    ConfirmRestore => ("¿Volver al texto de fábrica? Se borra templates/NOMBRE.txt.", "Go back to the built-in text? templates/NAME.txt is removed."),
    Restored => ("Texto de fábrica restaurado", "Built-in text restored"),
    TemplateNameRule => ("El nombre lleva minúsculas, números, _ o -.", "The name takes lowercase letters, digits, _ or -."),
    BadgeBroken => ("con errores", "has errors"),
    BadgeEdited => ("editada", "edited"),
    BadgeBuiltin => ("de fábrica", "built-in"),
    BadgeToFill => ("por completar", "to fill in"),
    TemplateFromFile => ("Texto propio, guardado en", "Your own text, kept in"),
    TemplateBuiltin => ("Texto de fábrica; al guardar se crea", "Built-in text; saving creates"),
    TemplateNew => ("Texto nuevo; al guardar se crea", "New text; saving creates"),
    BusinessName => ("Nombre", "Name"),
    BusinessNameHint => ("Como lo conocen tus clientes; es {{negocio}} en los textos.", "As your customers know it; it is {{negocio}} in texts."),
    BusinessDescription => ("Descripción", "Description"),
    DefaultLanguage => ("Idioma del panel para quien entra por primera vez", "Dashboard language for first-time visitors"),
    Spanish => ("Español", "Spanish"),
    English => ("Inglés", "English"),
    Monday => ("Lunes", "Monday"),
    Tuesday => ("Martes", "Tuesday"),
    Wednesday => ("Miércoles", "Wednesday"),
    Thursday => ("Jueves", "Thursday"),
    Friday => ("Viernes", "Friday"),
    Saturday => ("Sábado", "Saturday"),
    Sunday => ("Domingo", "Sunday"),
    ClosedDates => ("Días cerrados", "Closed dates"),
    ClosedDatesHint => ("Fechas AAAA-MM-DD separadas por comas (festivos, vacaciones).", "YYYY-MM-DD dates separated by commas (holidays, vacations)."),
    WelcomeTemplate => ("Bienvenida (primer mensaje)", "Welcome (first message)"),
    WelcomeAgain => ("Volver a dar la bienvenida tras días sin escribir (0: nunca)", "Welcome again after days of silence (0: never)"),
    AwayTemplate => ("Fuera de horario", "Away (outside hours)"),
    AwayEvery => ("Como mucho un aviso de ausencia cada (horas)", "At most one away message every (hours)"),
    FallbackTemplate => ("Cuando ninguna regla responde", "When no rule answers"),
    FallbackEvery => ("Como mucho una respuesta por defecto cada (minutos)", "At most one fallback every (minutes)"),
    TakeoverHours => ("Horas de pausa del bot cuando atiende una persona", "Hours the bot pauses when a person takes over"),
    MaxPerHour => ("Máximo de respuestas automáticas por cliente y hora", "Most automatic replies per customer per hour"),
    OptOutWords => ("Palabras para darse de baja", "Words to opt out"),
    OptOutTemplate => ("Confirmación de la baja", "Opt-out confirmation"),
    OptInWords => ("Palabras para volver a darse de alta", "Words to opt back in"),
    OptInTemplate => ("Confirmación del alta", "Opt-in confirmation"),
    Copied => ("Copiado", "Copied"),
    CopyFailed => ("El navegador no dejó copiar; selecciona el texto y cópialo a mano.", "The browser did not allow copying; select the text and copy it by hand."),
    Copy => ("Copiar", "Copy"),
    NotSet => ("Sin configurar", "Not set"),
    ChannelChoice => ("Conectar por", "Connect through"),
    ChannelMeta => ("API de WhatsApp Cloud (Meta)", "WhatsApp Cloud API (Meta)"),
    ChannelWeb => ("WhatsApp Web (tu número, con código QR)", "WhatsApp Web (your own number, by QR code)"),
    ChannelHint => (
        "WhatsApp Web no es la API oficial: WhatsApp puede bloquear el número, y no hay plantillas aprobadas. Guarda para vincular.",
        "WhatsApp Web is not the official API: WhatsApp may ban the number, and there are no approved templates. Save to link.",
    ),
    LinkConnecting => ("Conectando…", "Connecting…"),
    LinkPairing => ("Vincula el teléfono: en WhatsApp, Dispositivos vinculados › Vincular un dispositivo.", "Link the phone: in WhatsApp, Linked devices › Link a device."),
    LinkConnected => ("Conectado", "Connected"),
    LinkDisconnected => ("Desconectado; reintentando:", "Disconnected; retrying:"),
    LinkLoggedOut => ("Sin vincular:", "Not linked:"),
    Unlink => ("Desvincular", "Unlink"),
    PairAgain => ("Vincular de nuevo", "Link again"),
    LinkFailed => ("WhatsApp Web no lo aceptó:", "WhatsApp Web did not accept it:"),
    PairAsk => ("Vincular con el número", "Link with the number"),
    PairCodeHint => ("Escribe en el teléfono (Vincular con el número de teléfono):", "Type on the phone (Link with phone number instead):"),
    ConnectionSave => ("Probar y guardar", "Test and save"),
    ConnectionSaving => ("Probando con Meta…", "Testing with Meta…"),
    ConnectionNotSaved => ("Meta no aceptó estos datos y no se guardó nada:", "Meta did not accept these values, so nothing was saved:"),
    ConnectionInvalid => ("Revisa los campos marcados; no se guardó nada.", "Check the marked fields; nothing was saved."),
    ConnectionUnreachableNotSaved => ("No se pudo llegar a Meta para probarlo y no se guardó nada:", "Meta could not be reached to test it, so nothing was saved:"),
    VerifyToken => ("Token de verificación", "Verify token"),
    PhoneNumberId => ("ID del número de teléfono", "Phone number ID"),
    WabaId => ("ID de la cuenta de WhatsApp Business", "WhatsApp Business account ID"),
    AccessToken => ("Token de acceso", "Access token"),
    AppSecret => ("Clave secreta de la app", "App secret"),
    Testing => ("Probando…", "Testing…"),
    TestConnection => ("Probar la conexión", "Test the connection"),
    ConnectionFailed => ("Meta rechazó la conexión:", "Meta refused the connection:"),
    ConnectionUnreachable => ("No se pudo llegar a Meta:", "Meta could not be reached:"),
    RoleAdmin => ("Administrador", "Administrator"),
    RoleAgent => ("Agente", "Agent"),
    Disabled => ("Desactivado", "Disabled"),
    Active => ("Activo", "Active"),
    Enable => ("Activar", "Enable"),
    Disable => ("Desactivar", "Disable"),
    ConfirmDeleteUser => ("¿Borrar esta cuenta? Sus sesiones terminan.", "Delete this account? Its sessions end."),
    Delete => ("Borrar", "Delete"),
    Deleted => ("Borrado", "Deleted"),
    Withdrawn => ("Invitación retirada", "Invitation withdrawn"),
    InvitationCodeOnce => ("Código de invitación (solo se muestra ahora)", "Invitation code (shown only now)"),
    TokenOnce => ("Token de la API (solo se muestra ahora)", "API token (shown only now)"),
    ConfirmDeleteToken => ("¿Borrar este token? Los programas que lo usan dejan de funcionar.", "Delete this token? Scripts using it stop working."),
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
