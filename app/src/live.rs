//! Live updates: the page listens to `/ws` (the session cookie authenticates it) and reacts to
//! the server's events. On the server, rendering a page opens nothing.

use crate::events::ServerEvent;

/// Calls `handler` with every event from `/ws` while the calling component lives.
#[cfg(feature = "hydrate")]
pub fn on_events(handler: impl Fn(ServerEvent) + 'static) {
    use leptos::__reexports::send_wrapper::SendWrapper;
    use leptos::prelude::on_cleanup;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let (Ok(protocol), Ok(host)) = (location.protocol(), location.host()) else {
        return;
    };
    let scheme = if protocol == "https:" { "wss" } else { "ws" };
    let Ok(socket) = web_sys::WebSocket::new(&format!("{scheme}://{host}/ws")) else {
        return;
    };
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
            if let Some(text) = message.data().as_string() {
                if let Ok(event) = serde_json::from_str::<ServerEvent>(&text) {
                    handler(event);
                }
            }
        });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let held = SendWrapper::new((socket, on_message));
    on_cleanup(move || {
        let (socket, _on_message) = held.take();
        let _ = socket.close();
    });
}

/// On the server there is nothing to listen to.
#[cfg(not(feature = "hydrate"))]
pub fn on_events(_handler: impl Fn(ServerEvent) + 'static) {}
