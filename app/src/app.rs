//! The HTML shell, the app frame and the routes.

use crate::api::auth::{current_user, Logout, SignedInUser};
use crate::domain::permissions::Permission;
use crate::pages::{
    audit::AuditPage,
    bench::EngineBenchPage,
    capacity::CapacityPage,
    clients::{ClientPage, ClientsPage},
    dashboard::DashboardPage,
    data::DataPage,
    invite::InvitePage,
    login::LoginPage,
    not_found::NotFound,
    pipeline::PipelinePage,
    projects::{ProjectPage, ProjectsPage},
    roles::RolesPage,
    share::SharePage,
    time::TimePage,
    users::UsersPage,
    workspace::WorkspacePage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// The document around every page (server-side only). It hands the response's CSP nonce
/// to Leptos so the hydration scripts carry it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(nonce) = crate::server::context::request_parts()
        .and_then(|p| p.extensions.get::<crate::server::CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The bundle's directory carries its version (`pkg/<hash>` in a release
                // build), so the stylesheet is named here, where the server knows it.
                <link rel="stylesheet" id="leptos" href=format!("/{}/baton.css", options.site_pkg_dir)/>
                <BootScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The scripts that start the app in the browser: Leptos' `HydrationScripts` (the
/// bundle preloaded, then loaded and hydrated) with one change — a bundle that cannot be
/// downloaded or started shows a message with a way to load the page again (`boot.js`)
/// rather than leaving a page whose controls do nothing.
#[component]
fn BootScripts(options: LeptosOptions) -> impl IntoView {
    let bundle = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    let js = format!("{bundle}.js");
    let wasm = format!("{bundle}.wasm");
    let start = format!("{}({js:?}, {wasm:?});", include_str!("boot.js").trim_end());
    view! {
        <link rel="modulepreload" href=js.clone() crossorigin=""/>
        <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=leptos::nonce::use_nonce()>{start}</script>
    }
}

/// Bumped whenever this browser signs in or out without a page load, so whatever
/// depends on who is signed in loads again.
#[derive(Debug, Clone, Copy)]
pub struct SessionEpoch(pub RwSignal<u32>);

impl SessionEpoch {
    /// Bumps the epoch whenever `action` finishes successfully.
    pub fn follow<A, O>(action: Action<A, Result<O, crate::error::AppError>>)
    where
        A: Send + Sync + 'static,
        O: Send + Sync + 'static,
    {
        if let Some(epoch) = use_context::<SessionEpoch>() {
            Effect::new(move |_| {
                if action.value().with(|v| matches!(v, Some(Ok(_)))) {
                    epoch.0.update(|n| *n += 1);
                }
            });
        }
    }
}

/// The signed-in user, loaded once per page and shared by the frame and the pages.
pub type UserResource = Resource<Result<Option<SignedInUser>, crate::error::AppError>>;

/// The logo: a link home, except on a client's share page, where home is a sign-in the
/// client has no use for.
#[component]
fn Brand() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    move || {
        if location.pathname.get().starts_with("/share/") {
            view! {
                <span class="brand">
                    <span class="brand-mark" aria-hidden="true">"B"</span>
                    <span class="brand-name">"Baton"</span>
                </span>
            }
            .into_any()
        } else {
            view! {
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"B"</span>
                    <span class="brand-name">"Baton"</span>
                </A>
            }
            .into_any()
        }
    }
}

/// The application: top bar and routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let epoch = SessionEpoch(RwSignal::new(0));
    provide_context(epoch);
    let user: UserResource = Resource::new(move || epoch.0.get(), |_| current_user());
    provide_context(user);
    view! {
        <Title formatter=|page: String| title_text(&page)/>
        <Router>
            <header class="topbar">
                <Brand/>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        user.await.ok().flatten().map(|u| view! { <Frame user=u/> })
                    })}
                </Suspense>
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                    <Route path=path!("/share/:token") view=SharePage ssr=SsrMode::Async/>
                    <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("/pipeline") view=PipelinePage ssr=SsrMode::Async/>
                    <Route path=path!("/clients") view=ClientsPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=path!("/capacity") view=CapacityPage ssr=SsrMode::Async/>
                    <Route path=path!("/time") view=TimePage ssr=SsrMode::Async/>
                    <Route path=path!("/data") view=DataPage ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:id") view=ProjectPage ssr=SsrMode::Async/>
                    <Route path=path!("/clients/:id") view=ClientPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/roles") view=RolesPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings/workspace") view=WorkspacePage ssr=SsrMode::Async/>
                    <Route path=path!("/bench/engine") view=EngineBenchPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The signed-in part of the top bar: navigation by permission, who is signed in, sign out.
#[component]
fn Frame(user: SignedInUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    SessionEpoch::follow(logout.into());
    let admin = user.permissions.contains(Permission::ManageUsers);
    let settings = user.permissions.contains(Permission::ManageSettings);
    let pipeline = user.permissions.contains(Permission::ViewPipeline);
    let time = user.permissions.contains(Permission::LogOwnTime);
    crate::live_client::watch_session();
    view! {
        <nav class="mainnav" aria-label="Main">
            {pipeline.then(|| view! {
                <A href="/" exact=true>"Dashboard"</A>
                <A href="/pipeline">"Pipeline"</A>
                <A href="/clients">"Clients"</A>
                <A href="/projects">"Projects"</A>
                <A href="/capacity">"Capacity"</A>
            })}
            {time.then(|| view! { <A href="/time">"Time"</A> })}
            {pipeline.then(|| view! { <A href="/data">"Data"</A> })}
            {admin.then(|| view! {
                <A href="/settings/users">"Users"</A>
                <A href="/settings/roles">"Roles"</A>
                <A href="/settings/audit">"Audit log"</A>
            })}
            {settings.then(|| view! { <A href="/settings/workspace">"Workspace"</A> })}
        </nav>
        <div class="usermenu">
            <span class="workspace-name">{user.workspace_name}</span>
            <span class="user-chip" title=user.email>
                <span class="user-name">{user.name}</span>
                <span class="user-role">{user.role_name}</span>
            </span>
            <ActionForm action=logout>
                <button type="submit" class="button ghost small">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

/// The document title for a page's title (`Name · Baton`), as the head receives it.
///
/// leptos_meta 0.8 writes the title into the server-rendered `<head>` as it is, without
/// escaping (`leptos_meta::ServerMetaContextOutput::inject_meta_context`), so a client
/// named `</title><meta http-equiv="refresh" …>` would become markup. Every page's title
/// passes through this formatter: on the server it escapes the text; in the browser
/// `document.title` takes text, so it stays as it is.
pub fn title_text(page: &str) -> String {
    let text = if page.is_empty() {
        "Baton".to_string()
    } else {
        format!("{page} · Baton")
    };
    if cfg!(feature = "ssr") {
        escape_html(&text)
    } else {
        text
    }
}

/// `text` with the five characters that mean something in HTML replaced by references.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_escaped_for_the_server_rendered_head() {
        assert_eq!(title_text(""), "Baton");
        let hostile = r#"</title><meta http-equiv="refresh" content="0;url=http://evil.test/">"#;
        let title = title_text(hostile);
        assert!(!title.contains('<') && !title.contains('"'), "{title}");
        assert_eq!(
            title,
            "&lt;/title&gt;&lt;meta http-equiv=&quot;refresh&quot; \
             content=&quot;0;url=http://evil.test/&quot;&gt; · Baton"
        );
        assert_eq!(escape_html("a & 'b'"), "a &amp; &#39;b&#39;");
    }
}
