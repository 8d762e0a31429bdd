//! Engine benchmark (issue 5): one decision with 200 rules, the matching one last, so every
//! rule is tried. Run: `cargo bench --bench engine`.

use cocolu_core::document::HandEdited;
use cocolu_core::engine::decide::{decide, CompiledRules, ContactState, Message, World};
use cocolu_core::engine::rules::Rules;
use cocolu_core::settings::Settings;
use cocolu_core::templates::BUILTIN;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::Arc;

fn rules(count: usize) -> Rules {
    let mut list: Vec<serde_json::Value> = (0..count - 1)
        .map(|i| {
            let kind = ["contains", "word", "exact", "starts_with", "regex"][i % 5];
            let text = if kind == "regex" { format!("producto\\s*#?{i}\\d+") } else { format!("palabra clave {i}") };
            serde_json::json!({"id": format!("r{i}"), "when": {"match": kind, "text": [text, format!("otra frase {i}")]},
                "reply": [{"template": "precios"}]})
        })
        .collect();
    list.push(serde_json::json!({"id": "ultima", "when": {"text": ["precio"]}, "reply": [{"template": "precios"}]}));
    serde_json::from_value(serde_json::json!({"version": 1, "rules": list})).expect("rules")
}

fn template(name: &str) -> Option<Arc<str>> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| Arc::from(*t))
}

fn bench(c: &mut Criterion) {
    let compiled = CompiledRules::new(Arc::new(rules(200)));
    let settings = Settings::defaults();
    let time_zone = jiff::tz::TimeZone::get("America/Caracas").expect("tz");
    let world = World {
        rules: &compiled,
        settings: &settings,
        templates: &template,
        time_zone: &time_zone,
    };
    let state = ContactState {
        last_in_at: Some(0),
        ..ContactState::default()
    };
    let now = jiff::Timestamp::now();
    c.bench_function("one decision with 200 rules (the last one matches)", |b| {
        b.iter(|| {
            let message = Message {
                kind: "text",
                text: Some("¿Cuál es el PRÉCIO del envío? 😀"),
                choice_id: None,
                stale: false,
                name: Some("Ana"),
            };
            black_box(decide(&world, black_box(&state), &message, now))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
