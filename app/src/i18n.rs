//! Every string the dashboard shows, in Spanish (the default) and English.
//!
//! Texts are looked up by [`Text`] key; the `match` in [`Text::get`] is exhaustive, so a key
//! without an English (or Spanish) text does not compile. The chosen language lives in the
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
    pub fn t(self, text: Text) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || text.get(self.0.get())
    }
}

/// The texts of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    AppTagline,
    NavOverview,
    NavInbox,
    NavRules,
    NavTemplates,
    NavAnalytics,
    NavSettings,
    NavUsers,
    MainNavigation,
    CollapseSidebar,
    ExpandSidebar,
    SwitchLanguage,
    SkipToContent,
    OverviewIntro,
    Loading,
    RangeLabel,
    Days,
    TotalsTitle,
    BotShare,
    BotMedian,
    PeopleMedian,
    NewContacts,
    ReturningContacts,
    PerDayTitle,
    Replies,
    TopRulesTitle,
    NoData,
    HeatmapTitle,
    HeatmapLegend,
    ConnectionLost,
    FeedTitle,
    FeedEmpty,
    FeedReceived,
    FeedQueued,
    FeedFailed,
    FeedTakenOver,
    FeedGivenBack,
    LoadFailed,
    ChannelTitle,
    ChannelConfigured,
    ChannelNotConfigured,
    LastWebhook,
    Never,
    TodayTitle,
    StatReceived,
    StatBot,
    StatPeople,
    StatPending,
    StatFailed,
    AlertsTitle,
    NoAlerts,
    AlertTokenRefused,
    AlertNotConfigured,
    AlertFileProblem,
    AlertOutsideWindow,
    AlertFailedSends,
    InboxIntro,
    InboxEmpty,
    RulesIntro,
    RulesEmpty,
    TemplatesIntro,
    TemplatesEmpty,
    AnalyticsIntro,
    SettingsIntro,
    SettingsEmpty,
    UsersIntro,
    UsersEmpty,
    LoginTitle,
    LoginIntro,
    LoginUser,
    LoginPassword,
    LoginSubmit,
    AccountName,
    PasswordHint,
    SetupTitle,
    SetupIntro,
    SetupCode,
    SetupCodeHint,
    SetupSubmit,
    RegisterTitle,
    RegisterIntro,
    InvitationCode,
    RegisterSubmit,
    Logout,
    ErrorWrongCredentials,
    ErrorThrottled,
    ErrorSetupCode,
    ErrorInvalidAccount,
    ErrorUsernameTaken,
    ErrorInvitation,
    ErrorAlreadySetUp,
    ErrorCsrf,
    ErrorServer,
    BackToDashboard,
    NotFoundTitle,
    NotFoundBody,
}

impl Text {
    /// The text in the given language.
    pub fn get(self, lang: Lang) -> &'static str {
        let (es, en) = match self {
            Text::AppTagline => ("Respuestas automáticas para WhatsApp", "WhatsApp auto-replies"),
            Text::NavOverview => ("Resumen", "Overview"),
            Text::NavInbox => ("Bandeja", "Inbox"),
            Text::NavRules => ("Reglas", "Rules"),
            Text::NavTemplates => ("Plantillas", "Templates"),
            Text::NavAnalytics => ("Analítica", "Analytics"),
            Text::NavSettings => ("Ajustes", "Settings"),
            Text::NavUsers => ("Usuarios", "Users"),
            Text::MainNavigation => ("Navegación principal", "Main navigation"),
            Text::CollapseSidebar => ("Contraer menú", "Collapse menu"),
            Text::ExpandSidebar => ("Expandir menú", "Expand menu"),
            Text::SwitchLanguage => ("English", "Español"),
            Text::SkipToContent => ("Saltar al contenido", "Skip to content"),
            Text::OverviewIntro => (
                "El estado del canal de WhatsApp y la actividad de hoy.",
                "The WhatsApp channel's state and today's activity.",
            ),
            Text::Loading => ("Cargando…", "Loading…"),
            Text::RangeLabel => ("Periodo", "Period"),
            Text::Days => ("días", "days"),
            Text::TotalsTitle => ("En el periodo", "In the period"),
            Text::BotShare => ("de las respuestas las dio el bot", "of the replies came from the bot"),
            Text::BotMedian => ("primera respuesta del bot (mediana)", "the bot's first reply (median)"),
            Text::PeopleMedian => ("primera respuesta de una persona (mediana)", "a person's first reply (median)"),
            Text::NewContacts => ("clientes nuevos", "new customers"),
            Text::ReturningContacts => ("visitas de clientes que vuelven", "visits by returning customers"),
            Text::PerDayTitle => ("Mensajes por día", "Messages per day"),
            Text::Replies => ("respuestas", "replies"),
            Text::TopRulesTitle => ("Reglas que más responden", "Rules that answer most"),
            Text::NoData => ("Sin datos en este periodo.", "No data in this period."),
            Text::HeatmapTitle => ("Horas de más movimiento", "Busiest hours"),
            Text::HeatmapLegend => (
                "Filas: de lunes a domingo; columnas: de 0 a 23 h, en la zona horaria de la tienda. Más oscuro, más mensajes.",
                "Rows: Monday to Sunday; columns: 0 to 23 h, in the shop's time zone. Darker means more messages.",
            ),
            Text::ConnectionLost => (
                "Se perdió la conexión con el servidor; los datos pueden estar desactualizados. Reconectando…",
                "The connection to the server was lost; the figures may be out of date. Reconnecting…",
            ),
            Text::FeedTitle => ("Actividad", "Activity"),
            Text::FeedEmpty => (
                "Sin actividad desde que abriste esta página.",
                "No activity since you opened this page.",
            ),
            Text::FeedReceived => ("Mensaje recibido", "Message received"),
            Text::FeedQueued => ("Respuesta en cola", "Reply queued"),
            Text::FeedFailed => ("Respuesta fallida", "Reply failed"),
            Text::FeedTakenOver => ("Una persona tomó la conversación", "A person took over"),
            Text::FeedGivenBack => ("La conversación volvió al bot", "Given back to the bot"),
            Text::LoadFailed => (
                "No se pudieron cargar los datos; vuelve a cargar la página.",
                "The data could not be loaded; reload the page.",
            ),
            Text::ChannelTitle => ("Canal de WhatsApp", "WhatsApp channel"),
            Text::ChannelConfigured => (
                "Configurado: Cocolu tiene los datos de Meta para recibir y enviar mensajes.",
                "Configured: Cocolu has Meta's values to receive and send messages.",
            ),
            Text::ChannelNotConfigured => (
                "Sin configurar: faltan datos de Meta en /etc/cocolu/cocolu.env.",
                "Not configured: Meta's values are missing from /etc/cocolu/cocolu.env.",
            ),
            Text::LastWebhook => ("Último mensaje de Meta", "Last message from Meta"),
            Text::Never => ("nunca", "never"),
            Text::TodayTitle => ("Hoy", "Today"),
            Text::StatReceived => ("recibidos", "received"),
            Text::StatBot => ("respondidos por el bot", "answered by the bot"),
            Text::StatPeople => ("respondidos por personas", "answered by people"),
            Text::StatPending => ("por enviar", "waiting to send"),
            Text::StatFailed => ("fallidos", "failed"),
            Text::AlertsTitle => ("Avisos", "Alerts"),
            Text::NoAlerts => ("Todo en orden.", "All is well."),
            Text::AlertTokenRefused => (
                "Meta rechazó el token de acceso: los envíos están en pausa hasta que se cambie META_ACCESS_TOKEN.",
                "Meta refused the access token: sending is paused until META_ACCESS_TOKEN is replaced.",
            ),
            Text::AlertNotConfigured => (
                "La conexión con WhatsApp no está completa (META_APP_SECRET, META_ACCESS_TOKEN, META_PHONE_NUMBER_ID).",
                "The WhatsApp connection is not complete (META_APP_SECRET, META_ACCESS_TOKEN, META_PHONE_NUMBER_ID).",
            ),
            Text::AlertFileProblem => (
                "Un archivo editado a mano tiene un error; sigue vigente la última versión buena:",
                "A hand-edited file has an error; the last good version stays in force:",
            ),
            Text::AlertOutsideWindow => (
                "Respuestas rechazadas en las últimas 24 horas porque el cliente escribió hace más de 24 horas (solo llega una plantilla aprobada):",
                "Replies refused in the last 24 hours because the customer wrote over 24 hours ago (only an approved template gets through):",
            ),
            Text::AlertFailedSends => (
                "Respuestas que no se pudieron enviar en las últimas 24 horas:",
                "Replies that could not be sent in the last 24 hours:",
            ),
            Text::InboxIntro => (
                "Las conversaciones con tus clientes.",
                "Your conversations with customers.",
            ),
            Text::InboxEmpty => (
                "La bandeja del panel está en construcción. Las conversaciones ya se guardan y el bot ya responde; para integraciones están en /api/conversations.",
                "The dashboard's inbox is being built. Conversations are already stored and the bot already answers; for integrations they are at /api/conversations.",
            ),
            Text::RulesIntro => (
                "Qué responde el bot y cuándo.",
                "What the bot answers, and when.",
            ),
            Text::RulesEmpty => (
                "El editor de reglas está en construcción. Las reglas están en data/rules.json y se aplican en cuanto guardas el archivo.",
                "The rules editor is being built. The rules are in data/rules.json and take effect as soon as the file is saved.",
            ),
            Text::TemplatesIntro => (
                "Los textos que envía el bot, con variables como {{nombre}}.",
                "The texts the bot sends, with variables such as {{nombre}}.",
            ),
            Text::TemplatesEmpty => (
                "El editor de plantillas está en construcción. Las plantillas están en la carpeta templates/ y se aplican en cuanto guardas el archivo.",
                "The templates editor is being built. Templates are in the templates/ folder and take effect as soon as a file is saved.",
            ),
            Text::AnalyticsIntro => (
                "Mensajes por día, respuestas del bot y horas de más actividad.",
                "Messages per day, bot answers and busy hours.",
            ),
            Text::SettingsIntro => (
                "Tu negocio, el horario y la conexión con WhatsApp.",
                "Your business, opening hours and the WhatsApp connection.",
            ),
            Text::SettingsEmpty => (
                "Los ajustes todavía no se pueden editar desde el panel: están en data/settings.json y se aplican en cuanto guardas el archivo.",
                "Settings cannot be edited from the dashboard yet: they are in data/settings.json and take effect as soon as the file is saved.",
            ),
            Text::UsersIntro => (
                "Quién puede entrar al panel y con qué permisos.",
                "Who can use the dashboard, and with which permissions.",
            ),
            Text::UsersEmpty => (
                "La gestión de usuarios desde el panel está en construcción. Mientras tanto: «cocolu user» y «cocolu token» en el servidor, o /api/users e /api/invitations.",
                "Managing users from the dashboard is being built. Meanwhile: `cocolu user` and `cocolu token` on the server, or /api/users and /api/invitations.",
            ),
            Text::LoginTitle => ("Iniciar sesión", "Sign in"),
            Text::LoginIntro => (
                "Entra con tu usuario del panel de Cocolu.",
                "Sign in with your Cocolu dashboard account.",
            ),
            Text::LoginUser => ("Usuario", "Username"),
            Text::LoginPassword => ("Contraseña", "Password"),
            Text::LoginSubmit => ("Entrar", "Sign in"),
            Text::AccountName => ("Nombre (opcional)", "Name (optional)"),
            Text::PasswordHint => (
                "Al menos 10 caracteres. Una frase fácil de recordar es una buena contraseña.",
                "At least 10 characters. A phrase you can remember makes a good password.",
            ),
            Text::SetupTitle => ("Crear el administrador", "Create the administrator"),
            Text::SetupIntro => (
                "Este servidor aún no tiene cuentas. Crea la cuenta de administrador con el código de configuración.",
                "This server has no accounts yet. Create the administrator account with the setup code.",
            ),
            Text::SetupCode => ("Código de configuración", "Setup code"),
            Text::SetupCodeHint => (
                "Está en el registro del servidor: journalctl -u cocolu | grep setup_code",
                "It is in the server log: journalctl -u cocolu | grep setup_code",
            ),
            Text::SetupSubmit => ("Crear administrador", "Create administrator"),
            Text::RegisterTitle => ("Crear tu cuenta", "Create your account"),
            Text::RegisterIntro => (
                "Usa el código de invitación que te dio un administrador.",
                "Use the invitation code an administrator gave you.",
            ),
            Text::InvitationCode => ("Código de invitación", "Invitation code"),
            Text::RegisterSubmit => ("Crear cuenta", "Create account"),
            Text::Logout => ("Cerrar sesión", "Sign out"),
            Text::ErrorWrongCredentials => (
                "Usuario o contraseña incorrectos.",
                "Wrong username or password.",
            ),
            Text::ErrorThrottled => (
                "Demasiados intentos fallidos. Espera un momento y vuelve a intentarlo.",
                "Too many failed attempts. Wait a moment and try again.",
            ),
            Text::ErrorSetupCode => (
                "El código de configuración no es correcto. El código vigente está en el registro del servidor.",
                "The setup code is wrong. The current code is in the server log.",
            ),
            Text::ErrorInvalidAccount => (
                "Revisa los datos: el usuario lleva minúsculas, números y . _ - @ +, y la contraseña al menos 10 caracteres.",
                "Check the details: the username has lower case letters, digits and . _ - @ +, and the password at least 10 characters.",
            ),
            Text::ErrorUsernameTaken => ("Ese usuario ya existe.", "That username is taken."),
            Text::ErrorInvitation => (
                "La invitación no existe, ya se usó o caducó. Pide una nueva a un administrador.",
                "The invitation does not exist, was used or has expired. Ask an administrator for a new one.",
            ),
            Text::ErrorAlreadySetUp => (
                "El administrador ya existe. Inicia sesión.",
                "The administrator already exists. Sign in.",
            ),
            Text::ErrorCsrf => (
                "La solicitud no vino de este panel. Vuelve a cargar la página.",
                "The request did not come from this dashboard. Reload the page.",
            ),
            Text::ErrorServer => (
                "Algo falló en el servidor; los detalles están en su registro.",
                "Something failed on the server; the details are in its log.",
            ),
            Text::BackToDashboard => ("Volver al panel", "Back to the dashboard"),
            Text::NotFoundTitle => ("Página no encontrada", "Page not found"),
            Text::NotFoundBody => (
                "La dirección no corresponde a ninguna página del panel.",
                "This address is not a page of the dashboard.",
            ),
        };
        match lang {
            Lang::Es => es,
            Lang::En => en,
        }
    }
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
}
