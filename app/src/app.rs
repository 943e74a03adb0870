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
use leptos_router::{path, Lazy, LazyRoute, SsrMode};

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
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
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

/// Pages whose code the browser downloads only when one of them is first shown: each group
/// is one chunk of the WebAssembly bundle (`cargo leptos build --split`), fetched with its
/// first page; the server renders the pages as any other and names the chunk in the page,
/// so the browser fetches it alongside the main module. Pages are grouped by who opens them
/// together: a chunk per page would mean hundreds of small shared chunks (one per set of
/// pages sharing code), each a request. Each group names the preload function `#[lazy]`
/// makes for it (`__preload_<group>`), which a route awaits before hydration.
macro_rules! lazy_pages {
    ($($group:ident / $preload:ident { $($route:ident => $page:ident),* $(,)? })*) => {$(
        #[leptos::lazy]
        fn $group(route: &'static str) -> AnyView {
            match route {
                $(stringify!($route) => view! { <$page/> }.into_any(),)*
                _ => ().into_any(),
            }
        }

        $(
            #[doc = concat!("The route of [`", stringify!($page), "`], in the `",
                stringify!($group), "` chunk.")]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $group(stringify!($route)).await
                }

                // Hydration awaits this before it walks the page: without it the page's
                // view would still be loading when hydration reaches it.
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    )*};
}

lazy_pages! {
    public_pages / __preload_public_pages { LoginRoute => LoginPage, InviteRoute => InvitePage, ShareRoute => SharePage }
    board_page / __preload_board_page { PipelineRoute => PipelinePage }
    sales_pages / __preload_sales_pages {
        DashboardRoute => DashboardPage,
        ClientsRoute => ClientsPage,
        ClientRoute => ClientPage,
        ProjectsRoute => ProjectsPage,
    }
    project_page / __preload_project_page { ProjectRoute => ProjectPage }
    planner_page / __preload_planner_page { CapacityRoute => CapacityPage }
    time_page / __preload_time_page { TimeRoute => TimePage }
    admin_pages / __preload_admin_pages {
        UsersRoute => UsersPage,
        RolesRoute => RolesPage,
        AuditRoute => AuditPage,
        WorkspaceRoute => WorkspacePage,
        DataRoute => DataPage,
        EngineBenchRoute => EngineBenchPage,
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
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/invite/:token") view={Lazy::<InviteRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/share/:token") view={Lazy::<ShareRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/pipeline") view={Lazy::<PipelineRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/clients") view={Lazy::<ClientsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/projects") view={Lazy::<ProjectsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/capacity") view={Lazy::<CapacityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/time") view={Lazy::<TimeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/data") view={Lazy::<DataRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/projects/:id") view={Lazy::<ProjectRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/clients/:id") view={Lazy::<ClientRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/roles") view={Lazy::<RolesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/settings/workspace") view={Lazy::<WorkspaceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/bench/engine") view={Lazy::<EngineBenchRoute>::new()}/>
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
