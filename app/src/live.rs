//! Live updates: the page listens to `/ws` (the session cookie authenticates it) and reacts to
//! the server's events. A lost connection is reported through the returned signal and tried
//! again, waiting 1 s, 2 s, 4 s ... up to 30 s. On the server, rendering opens nothing.

use cocolu_core::events::ServerEvent;
use leptos::prelude::*;

/// Calls `handler` with every event from `/ws` while the calling component lives; the signal
/// says whether the connection is up. One connection serves every listener of the tab (the
/// layout's and the page's); it closes when the last one goes (signing out).
#[cfg(feature = "hydrate")]
pub fn on_events(handler: impl Fn(ServerEvent) + 'static) -> ReadSignal<bool> {
    use leptos::__reexports::send_wrapper::SendWrapper;
    let hub = hub::Hub::get();
    let id = hub.listen(std::rc::Rc::new(handler));
    let held = SendWrapper::new(hub.clone());
    on_cleanup(move || held.take().forget(id));
    hub.connected()
}

#[cfg(feature = "hydrate")]
mod hub {
    use super::read_event;
    use cocolu_core::events::ServerEvent;
    use leptos::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    type Handler = Rc<dyn Fn(ServerEvent)>;

    /// The tab's one connection and who listens to it.
    pub struct Hub {
        handlers: RefCell<Vec<(u64, Handler)>>,
        next: Cell<u64>,
        /// The connection loop runs.
        running: Cell<bool>,
        /// The socket was closed here (nobody listened), not lost.
        closed_here: Cell<bool>,
        socket: RefCell<Option<web_sys::WebSocket>>,
        /// Shared by every listener; each gets its own handle, gone with its component.
        connected: ArcRwSignal<bool>,
    }

    thread_local! {
        static HUB: RefCell<Option<Rc<Hub>>> = const { RefCell::new(None) };
    }

    impl Hub {
        pub fn get() -> Rc<Hub> {
            HUB.with(|hub| {
                hub.borrow_mut()
                    .get_or_insert_with(|| {
                        Rc::new(Hub {
                            handlers: RefCell::default(),
                            next: Cell::new(0),
                            running: Cell::new(false),
                            closed_here: Cell::new(false),
                            socket: RefCell::default(),
                            connected: ArcRwSignal::new(true),
                        })
                    })
                    .clone()
            })
        }

        pub fn connected(&self) -> ReadSignal<bool> {
            ReadSignal::from(self.connected.read_only())
        }

        pub fn listen(self: &Rc<Self>, handler: Handler) -> u64 {
            let id = self.next.get();
            self.next.set(id + 1);
            self.handlers.borrow_mut().push((id, handler));
            if !self.running.replace(true) {
                leptos::task::spawn_local(self.clone().run());
            }
            id
        }

        pub fn forget(&self, id: u64) {
            self.handlers.borrow_mut().retain(|(other, _)| *other != id);
            if self.handlers.borrow().is_empty() {
                if let Some(socket) = self.socket.borrow_mut().take() {
                    self.closed_here.set(true);
                    let _ = socket.close();
                }
            }
        }

        fn dispatch(&self, event: &ServerEvent) {
            // A handler may add or remove listeners: call the ones there are now.
            let handlers: Vec<Handler> = self
                .handlers
                .borrow()
                .iter()
                .map(|(_, h)| h.clone())
                .collect();
            for handler in handlers {
                handler(event.clone());
            }
        }

        /// Connects, and again after a loss (waiting 1 s, 2 s, 4 s ... up to 30 s), while
        /// anyone listens.
        async fn run(self: Rc<Self>) {
            let url = match web_sys::window().map(|w| w.location()) {
                Some(location) => match (location.protocol(), location.host()) {
                    (Ok(protocol), Ok(host)) => {
                        let scheme = if protocol == "https:" { "wss" } else { "ws" };
                        format!("{scheme}://{host}/ws")
                    }
                    _ => return self.running.set(false),
                },
                None => return self.running.set(false),
            };
            let mut delay = 1_000;
            while !self.handlers.borrow().is_empty() {
                let Ok(socket) = web_sys::WebSocket::new(&url) else {
                    self.connected.set(false);
                    let _ = sleep(delay).await;
                    delay = (delay * 2).min(30_000);
                    continue;
                };
                // Events are read one after the other, in the order they came: the first one
                // waits for the reader's code to arrive, and those behind it wait in line.
                let waiting: Rc<RefCell<VecDeque<String>>> = Rc::default();
                let reading = Rc::new(Cell::new(false));
                let hub = self.clone();
                let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(
                    move |message: web_sys::MessageEvent| {
                        let Some(text) = message.data().as_string() else {
                            return;
                        };
                        waiting.borrow_mut().push_back(text);
                        if reading.replace(true) {
                            return;
                        }
                        let (waiting, reading, hub) =
                            (waiting.clone(), reading.clone(), hub.clone());
                        leptos::task::spawn_local(async move {
                            loop {
                                let next = waiting.borrow_mut().pop_front();
                                let Some(text) = next else { break };
                                if let Some(event) = read_event(text).await {
                                    hub.dispatch(&event);
                                }
                            }
                            reading.set(false);
                        });
                    },
                );
                let connected = self.connected.clone();
                let on_open = Closure::<dyn Fn()>::new(move || connected.set(true));
                socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
                let closed = js_sys::Promise::new(&mut |resolve, _| {
                    socket.set_onclose(Some(&resolve));
                });
                *self.socket.borrow_mut() = Some(socket);
                let opened_at = js_sys::Date::now();
                let _ = JsFuture::from(closed).await;
                drop((on_message, on_open));
                self.socket.borrow_mut().take();
                if self.handlers.borrow().is_empty() {
                    break;
                }
                // Closed because nobody listened, and someone listens again: at once.
                if self.closed_here.replace(false) {
                    continue;
                }
                self.connected.set(false);
                // A connection that lasted a while starts the waits over.
                if js_sys::Date::now() - opened_at > 30_000.0 {
                    delay = 1_000;
                }
                let _ = sleep(delay).await;
                delay = (delay * 2).min(30_000);
            }
            self.closed_here.set(false);
            self.running.set(false);
        }
    }

    fn sleep(ms: i32) -> JsFuture {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        JsFuture::from(promise)
    }
}

/// `work`, at most once per `wait`: calls during the wait are folded into the one at its end.
/// Nothing is done when the component that made it is gone by then.
pub fn once_per_burst(
    wait: std::time::Duration,
    work: impl Fn() + Clone + 'static,
) -> impl Fn() + Clone + 'static {
    let queued = StoredValue::new(false);
    move || {
        if queued.try_get_value() != Some(false) {
            return;
        }
        queued.set_value(true);
        let work = work.clone();
        set_timeout(
            move || {
                if queued.try_update_value(|q| *q = false).is_some() {
                    work();
                }
            },
            wait,
        );
    }
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
