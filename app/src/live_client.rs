//! The browser's end of the live stream (`GET /api/live`): one `EventSource` per page
//! that wants changes, reconnecting with backoff and asking for what it missed.

use crate::api::live::LiveEvent;
use leptos::prelude::*;

/// The state of the connection to the live stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// Connecting (or not in a browser).
    Connecting,
    /// Receiving changes.
    Live,
    /// Lost; reconnecting after a pause.
    Offline,
}

/// Opens the live stream in the browser and keeps it open while the calling component
/// lives: every event goes to `on_event`; a dropped connection reconnects after 1, 2, 4 …
/// 15 seconds and asks for everything after `since()` (the last event applied).
#[cfg(feature = "hydrate")]
pub fn connect(
    since: impl Fn() -> i64 + 'static,
    on_event: impl Fn(LiveEvent) + 'static,
    status: RwSignal<LiveStatus>,
) {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    struct Live {
        source: Option<web_sys::EventSource>,
        attempt: u32,
        closed: bool,
        since: Box<dyn Fn() -> i64>,
        on_event: Rc<dyn Fn(LiveEvent)>,
        status: RwSignal<LiveStatus>,
        // Keep the callbacks alive as long as the connection.
        _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    fn open(live: Rc<RefCell<Live>>) {
        let (since, on_event, status) = {
            let l = live.borrow();
            if l.closed {
                return;
            }
            ((l.since)(), l.on_event.clone(), l.status)
        };
        let Ok(source) = web_sys::EventSource::new(&format!("/api/live?since={since}")) else {
            status.set(LiveStatus::Offline);
            return;
        };
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new({
            let live = live.clone();
            move |_| {
                live.borrow_mut().attempt = 0;
                status.set(LiveStatus::Live);
            }
        });
        let on_message = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(data) = event
                .dyn_ref::<web_sys::MessageEvent>()
                .and_then(|m| m.data().as_string())
            else {
                return;
            };
            match serde_json::from_str::<LiveEvent>(&data) {
                // The session ended or no longer allows this: to sign-in, whatever the page.
                Ok(LiveEvent::SignedOut) => to_sign_in(),
                Ok(event) => on_event(event),
                Err(_) => {}
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new({
            let live = live.clone();
            move |_| {
                status.set(LiveStatus::Offline);
                // A stream the server answered with an error status (401 once the
                // session ended, 503) is closed by the browser for good; a lost
                // connection only waits to reconnect.
                let refused = live
                    .borrow()
                    .source
                    .as_ref()
                    .is_some_and(|s| s.ready_state() == web_sys::EventSource::CLOSED);
                let delay = {
                    let mut l = live.borrow_mut();
                    if let Some(s) = l.source.take() {
                        s.close();
                    }
                    l.attempt += 1;
                    (1000_u32 << l.attempt.min(4).saturating_sub(1)).min(15_000)
                };
                let live = live.clone();
                gloo_timers::callback::Timeout::new(delay, move || open(live)).forget();
                // Refused (401 after the session ended on another server, or while this
                // tab was asleep): ask who is signed in, and go to sign-in if nobody is.
                if refused {
                    leptos::task::spawn_local(async {
                        if let Ok(None) = crate::api::auth::current_user().await {
                            to_sign_in();
                        }
                    });
                }
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut l = live.borrow_mut();
        l.source = Some(source);
        l._handlers = vec![on_open, on_message, on_error];
    }

    let live = Rc::new(RefCell::new(Live {
        source: None,
        attempt: 0,
        closed: false,
        since: Box::new(since),
        on_event: Rc::new(on_event),
        status,
        _handlers: Vec::new(),
    }));
    open(live.clone());
    on_cleanup({
        let live = send_wrapper::SendWrapper::new(live);
        move || {
            let mut l = live.borrow_mut();
            l.closed = true;
            if let Some(s) = l.source.take() {
                s.close();
            }
        }
    });
}

/// Tells the person the page stopped working, with a way to load it again. Called from
/// the panic hook, when the app can no longer run: shows `boot.js`'s banner (the one a
/// bundle that cannot be downloaded gets), saying the page stopped responding, with a
/// *Try again* link that loads the page afresh.
#[cfg(feature = "hydrate")]
pub fn show_broken() {
    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = window, js_name = batonBroken, catch)]
        fn baton_broken(started: bool) -> Result<(), wasm_bindgen::JsValue>;
    }
    // Without it (a page not started by `boot.js`) there is nothing more to show.
    let _ = baton_broken(true);
}

/// Leaves the page for sign-in (a full load: nothing of the old session stays in memory),
/// coming back here afterwards.
#[cfg(feature = "hydrate")]
fn to_sign_in() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let here = window.location().pathname().unwrap_or_else(|_| "/".into());
    let next: String = js_sys::encode_uri_component(&here).into();
    let _ = window.location().set_href(&format!("/login?next={next}"));
}

/// Keeps an open tab honest about who is signed in, on every page (pages with a live
/// stream hear of a sign-out at once; the others ask): every 15 seconds while the tab is
/// visible, and whenever it comes back into view, the tab asks who it is signed in as, and
/// goes to sign-in when the answer is nobody (signed out elsewhere, session ended,
/// deactivated).
#[cfg(feature = "hydrate")]
pub fn watch_session() {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    fn check() {
        let visible = web_sys::window()
            .and_then(|w| w.document())
            .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        if !visible {
            return;
        }
        // Public pages work without a session: a share link or an invite stays put.
        let path = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_default();
        if ["/share/", "/invite/", "/login"]
            .iter()
            .any(|p| path.starts_with(p))
        {
            return;
        }
        leptos::task::spawn_local(async {
            if let Ok(None) = crate::api::auth::current_user().await {
                to_sign_in();
            }
        });
    }
    let timer = gloo_timers::callback::Interval::new(15_000, check);
    let on_visible = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| check());
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(d) = &document {
        let _ = d.add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
    }
    on_cleanup({
        let held = send_wrapper::SendWrapper::new((timer, on_visible, document));
        move || {
            let (timer, on_visible, document) = held.take();
            timer.cancel();
            if let Some(d) = document {
                let _ = d.remove_event_listener_with_callback(
                    "visibilitychange",
                    on_visible.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

/// On the server no tab is open.
#[cfg(not(feature = "hydrate"))]
pub fn watch_session() {}

/// Runs `f` once after `ms` milliseconds, in the browser (nothing on the server).
pub fn after(ms: u32, f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    gloo_timers::callback::Timeout::new(ms, f).forget();
    #[cfg(not(feature = "hydrate"))]
    let _ = (ms, f);
}

/// On the server there is no stream: the page is rendered as it is.
#[cfg(not(feature = "hydrate"))]
pub fn connect(
    _since: impl Fn() -> i64 + 'static,
    _on_event: impl Fn(LiveEvent) + 'static,
    _status: RwSignal<LiveStatus>,
) {
}

/// The connection's state as a coloured dot and a word ("Live", "Offline — reconnecting",
/// "Connecting"), for page headers.
#[component]
pub fn LiveBadge(status: RwSignal<LiveStatus>) -> impl IntoView {
    view! {
        // Without JavaScript the page does not follow changes: say so instead of
        // "Connecting" forever (noscript.css hides the badge).
        <noscript>
            <link rel="stylesheet" href="/noscript.css"/>
            <span class="live-dot offline" data-testid="live-static">"Not live — reload for changes"</span>
        </noscript>
        <span class=move || match status.get() {
            LiveStatus::Live => "live-dot live",
            LiveStatus::Offline => "live-dot offline",
            LiveStatus::Connecting => "live-dot",
        } data-testid="live-status" data-status=move || format!("{:?}", status.get()).to_lowercase()>
            {move || match status.get() {
                LiveStatus::Live => "Live",
                LiveStatus::Offline => "Offline — reconnecting",
                LiveStatus::Connecting => "Connecting",
            }}
        </span>
    }
}

/// Runs the latest of a burst of calls after a pause (a new call cancels the pending
/// one), with a gloo-timers timeout. The timer exists only in the browser: on the server
/// nothing is typed, and a browser timer must not be created or dropped there.
#[derive(Clone, Copy)]
pub struct Debounce {
    #[cfg(feature = "hydrate")]
    pending: StoredValue<Option<gloo_timers::callback::Timeout>, LocalStorage>,
}

impl Default for Debounce {
    fn default() -> Self {
        Self::new()
    }
}

impl Debounce {
    /// A debouncer owned by the current component.
    pub fn new() -> Self {
        Self {
            #[cfg(feature = "hydrate")]
            pending: StoredValue::new_local(None),
        }
    }

    /// Runs `f` after `ms` milliseconds unless called again before.
    pub fn run(&self, ms: u32, f: impl FnOnce() + 'static) {
        #[cfg(feature = "hydrate")]
        self.pending
            .set_value(Some(gloo_timers::callback::Timeout::new(ms, f)));
        #[cfg(not(feature = "hydrate"))]
        let _ = (ms, f);
    }
}
