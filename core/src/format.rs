//! Texts as WhatsApp shows them: `{{variables}}` filled in, `[[fill-in]]` marks found, and
//! `*bold*`, `_italic_`, `~strikethrough~` and ```` ```monospace``` ```` turned into styled
//! pieces. Shared by the reply engine (which fills templates) and the dashboard (which
//! previews them).
use crate::fault::{Fault, Part};

/// Fills `{{variable}}`s; unknown variables become empty.
pub fn render(template: &str, variables: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        if let Some((_, value)) = variables.iter().find(|(n, _)| *n == name) {
            out.push_str(value);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    // An empty variable leaves "¡Hola, !" or "ayudar, ?": close the gap before punctuation.
    for mark in ["!", "?", ".", ","] {
        out = out
            .replace(&format!(", {mark}"), mark)
            .replace(&format!(" {mark}"), mark);
    }
    out
}

/// The names of the `{{variables}}` a text uses, trimmed, in order (an unclosed `{{` is not
/// one).
pub fn variables_in(text: &str) -> Vec<String> {
    marked(text, "{{", "}}")
}

/// The texts inside the fill-in marks (`[[what to fill in]]`), trimmed, in order. A mark
/// says the owner still has to write something there (the prices, a link): a template that
/// has one is never sent to a customer. An unclosed `[[` is not a mark (`check` reports it).
pub fn fill_ins(text: &str) -> Vec<String> {
    marked(text, "[[", "]]")
}

/// What stands between each `open` and the `close` after it, trimmed, in order.
fn marked(text: &str, open: &str, close: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(close) else {
            break;
        };
        found.push(after[..end].trim().to_string());
        rest = &after[end + close.len()..];
    }
    found
}

/// WhatsApp's limit for one text message.
pub const MAX_CHARS: usize = 4096;

/// Whether `name` can name a template (and so a file `NAME.txt`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Checks a template's text; each problem is a byte offset and a fault.
pub fn check(text: &str) -> Vec<(usize, Fault)> {
    let mut problems = Vec::new();
    if text.trim().is_empty() {
        problems.push((
            0,
            Fault::Empty {
                what: Part::Template,
            },
        ));
    }
    let chars = text.trim_end().chars().count();
    if chars > MAX_CHARS {
        problems.push((
            0,
            Fault::TooLong {
                what: Part::Template,
                chars,
                max: MAX_CHARS,
            },
        ));
    }
    let mut rest = 0;
    while let Some(found) = text[rest..].find("{{") {
        let open = rest + found;
        let Some(len) = text[open + 2..].find("}}") else {
            problems.push((open, never_closed("{{", "}}")));
            break;
        };
        let name = text[open + 2..open + 2 + len].trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push((
                open,
                Fault::NotAVariable {
                    name: name.to_string(),
                },
            ));
        }
        rest = open + 2 + len + 2;
    }
    let mut rest = 0;
    while let Some(found) = text[rest..].find("[[") {
        let open = rest + found;
        let Some(len) = text[open + 2..].find("]]") else {
            problems.push((open, never_closed("[[", "]]")));
            break;
        };
        if text[open + 2..open + 2 + len].trim().is_empty() {
            problems.push((open, Fault::EmptyBlank));
        }
        rest = open + 2 + len + 2;
    }
    problems
}

fn never_closed(open: &str, close: &str) -> Fault {
    Fault::NeverClosed {
        open: open.into(),
        close: close.into(),
    }
}

/// A piece of text and its style.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub mono: bool,
}

/// The style markers, in the order WhatsApp knows them.
const MARKERS: [&str; 4] = ["```", "*", "_", "~"];

/// Whether `marker` opens at `at` in `line`: after the start, a space or punctuation, followed
/// by a non-space, and closed later on the same line by the same marker after a non-space.
fn closing(line: &str, at: usize, marker: &str) -> Option<usize> {
    let before = line[..at].chars().next_back();
    if before.is_some_and(char::is_alphanumeric) {
        return None;
    }
    let inner_start = at + marker.len();
    let first = line[inner_start..].chars().next()?;
    if first.is_whitespace() {
        return None;
    }
    let mut search = inner_start + first.len_utf8();
    while let Some(found) = line[search..].find(marker) {
        let close = search + found;
        let last = line[..close].chars().next_back();
        let after = line[close + marker.len()..].chars().next();
        if !last.is_some_and(char::is_whitespace) && !after.is_some_and(char::is_alphanumeric) {
            return Some(close);
        }
        search = close + marker.len();
    }
    None
}

fn push(out: &mut Vec<Span>, text: &str, style: &Span) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(last)
            if (last.bold, last.italic, last.strike, last.mono)
                == (style.bold, style.italic, style.strike, style.mono) =>
        {
            last.text.push_str(text)
        }
        _ => out.push(Span {
            text: text.to_string(),
            ..style.clone()
        }),
    }
}

fn line_spans(line: &str, style: &Span, out: &mut Vec<Span>) {
    let mut plain_from = 0;
    let mut at = 0;
    while at < line.len() {
        let marker = if style.mono {
            None
        } else {
            MARKERS
                .iter()
                .find(|m| line[at..].starts_with(**m))
                .and_then(|m| closing(line, at, m).map(|close| (*m, close)))
        };
        match marker {
            Some((marker, close)) => {
                push(out, &line[plain_from..at], style);
                let mut inner = style.clone();
                match marker {
                    "*" => inner.bold = true,
                    "_" => inner.italic = true,
                    "~" => inner.strike = true,
                    _ => inner.mono = true,
                }
                line_spans(&line[at + marker.len()..close], &inner, out);
                at = close + marker.len();
                plain_from = at;
            }
            None => at += line[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    push(out, &line[plain_from..], style);
}

/// The styled pieces of a message; line breaks stay in the text.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            push(&mut out, "\n", &Span::default());
        }
        line_spans(line, &Span::default(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_variables_a_text_uses_are_listed() {
        assert_eq!(
            variables_in("Hola {{ nombre }}, {{nombr}} y {{negocio"),
            vec!["nombre".to_string(), "nombr".to_string()]
        );
        assert!(variables_in("sin variables").is_empty());
    }

    use super::*;

    fn styled(text: &str) -> Vec<(String, &'static str)> {
        spans(text)
            .into_iter()
            .map(|s| {
                let style = match (s.bold, s.italic, s.strike, s.mono) {
                    (true, true, _, _) => "bold+italic",
                    (true, _, _, _) => "bold",
                    (_, true, _, _) => "italic",
                    (_, _, true, _) => "strike",
                    (_, _, _, true) => "mono",
                    _ => "plain",
                };
                (s.text, style)
            })
            .collect()
    }

    #[test]
    fn fill_ins_are_the_trimmed_texts_between_double_brackets() {
        assert_eq!(
            fill_ins("Precios:\n[[ tus productos y precios ]]\nVer: [[el enlace]]."),
            vec!["tus productos y precios", "el enlace"]
        );
        assert!(fill_ins("Hola {{nombre}} [solo uno] ]] [[sin cerrar").is_empty());
        assert_eq!(fill_ins("[[a]][[b]]"), vec!["a", "b"]);
    }

    #[test]
    fn check_locates_an_unclosed_or_empty_fill_in() {
        let problems = check("Hola.\nVer [[el enlace");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 10);
        assert!(
            problems[0].1.to_string().contains("`[[` is never closed"),
            "{problems:?}"
        );
        let problems = check("Precios: [[  ]]");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, 9);
        assert!(check("Precios: [[tu lista]]").is_empty());
    }

    #[test]
    fn markers_style_the_words_between_them() {
        assert_eq!(
            styled("Bienvenido a *Mi Tienda*."),
            vec![
                ("Bienvenido a ".into(), "plain"),
                ("Mi Tienda".into(), "bold"),
                (".".into(), "plain")
            ]
        );
        assert_eq!(styled("_hola_"), vec![("hola".into(), "italic")]);
        assert_eq!(styled("~no~"), vec![("no".into(), "strike")]);
        assert_eq!(styled("```a *b*```"), vec![("a *b*".into(), "mono")]);
        assert_eq!(styled("*_ambos_*"), vec![("ambos".into(), "bold+italic")]);
    }

    #[test]
    fn lone_or_inner_markers_stay_as_written() {
        assert_eq!(styled("2*3*4"), vec![("2*3*4".into(), "plain")]);
        assert_eq!(styled("a * b * c"), vec![("a * b * c".into(), "plain")]);
        assert_eq!(
            styled("snake_case_name"),
            vec![("snake_case_name".into(), "plain")]
        );
        assert_eq!(styled("*abierto"), vec![("*abierto".into(), "plain")]);
        assert_eq!(styled("*no\ncruza*"), vec![("*no\ncruza*".into(), "plain")]);
    }
}
