//! Live updates: the page listens to `/ws` (the session cookie authenticates it) and reacts to
//! the server's events. A lost connection is reported through the returned signal and tried
//! again, waiting 1 s, 2 s, 4 s ... up to 30 s. On the server, rendering opens nothing.

use cocolu_core::events::ServerEvent;
use leptos::prelude::*;

/// Calls `handler` with every event from `/ws` while the calling component lives; the signal
/// says whether the connection is up.
#[cfg(feature = "hydrate")]
pub fn on_events(handler: impl Fn(ServerEvent) + 'static) -> ReadSignal<bool> {
    use leptos::__reexports::send_wrapper::SendWrapper;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let connected = RwSignal::new(true);
    let Some(window) = web_sys::window() else {
        return connected.read_only();
    };
    let location = window.location();
    let (Ok(protocol), Ok(host)) = (location.protocol(), location.host()) else {
        return connected.read_only();
    };
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    let url = format!("{scheme}://{host}/ws");
    let handler: Rc<dyn Fn(ServerEvent)> = Rc::new(handler);
    let alive = Rc::new(Cell::new(true));
    let current: Rc<RefCell<Option<web_sys::WebSocket>>> = Rc::default();
    {
        let held = SendWrapper::new((alive.clone(), current.clone()));
        on_cleanup(move || {
            let (alive, current) = held.take();
            alive.set(false);
            let socket = current.borrow_mut().take();
            if let Some(socket) = socket {
                let _ = socket.close();
            }
        });
    }
    let sleep = move |ms: i32| {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        JsFuture::from(promise)
    };
    leptos::task::spawn_local(async move {
        let mut delay = 1_000;
        while alive.get() {
            if let Ok(socket) = web_sys::WebSocket::new(&url) {
                let handler = handler.clone();
                // Events are read one after the other, in the order they came: the first
                // one waits for the reader's code to arrive, and those behind it wait in line.
                let waiting: Rc<RefCell<VecDeque<String>>> = Rc::default();
                let reading = Rc::new(Cell::new(false));
                let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(
                    move |message: web_sys::MessageEvent| {
                        let Some(text) = message.data().as_string() else {
                            return;
                        };
                        waiting.borrow_mut().push_back(text);
                        if reading.replace(true) {
                            return;
                        }
                        let (waiting, reading, handler) =
                            (waiting.clone(), reading.clone(), handler.clone());
                        leptos::task::spawn_local(async move {
                            loop {
                                let next = waiting.borrow_mut().pop_front();
                                let Some(text) = next else { break };
                                if let Some(event) = read_event(text).await {
                                    handler(event);
                                }
                            }
                            reading.set(false);
                        });
                    },
                );
                let on_open = Closure::<dyn Fn()>::new(move || connected.set(true));
                socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
                let closed = js_sys::Promise::new(&mut |resolve, _| {
                    socket.set_onclose(Some(&resolve));
                });
                *current.borrow_mut() = Some(socket);
                let opened_at = js_sys::Date::now();
                let _ = JsFuture::from(closed).await;
                drop((on_message, on_open));
                current.borrow_mut().take();
                if !alive.get() {
                    break;
                }
                connected.set(false);
                // A connection that lasted a while starts the waits over.
                if js_sys::Date::now() - opened_at > 30_000.0 {
                    delay = 1_000;
                }
            } else {
                connected.set(false);
            }
            let _ = sleep(delay).await;
            delay = (delay * 2).min(30_000);
        }
    });
    connected.read_only()
}

/// Reads one event. Its code is a module of its own that the browser loads with the first
/// event: the readers of every event's fields would otherwise be the largest part of the
/// code a page needs to show itself (18 KB of the overview's), for events that may not come.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn read_event(text: String) -> Option<ServerEvent> {
    ServerEvent::from_json(&text).ok()
}

/// On the server there is nothing to listen to: the page renders as connected.
#[cfg(not(feature = "hydrate"))]
pub fn on_events(_handler: impl Fn(ServerEvent) + 'static) -> ReadSignal<bool> {
    RwSignal::new(true).read_only()
}
